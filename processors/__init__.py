"""Pure processing stages: no I/O, no clocks read, no global state. Input in, output (or a typed rejection) out."""
