"""A loopback site for the benchmarks: one handler served on many loopback hosts, in its own process."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def serve_hosts(hosts: list[str], port: int, handler: type[BaseHTTPRequestHandler], ready: Any) -> None:
    """Serve `handler` on every host at `port` (forever: the process is terminated); set `ready` when listening."""
    servers = [ThreadingHTTPServer((host, port), handler) for host in hosts]
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    ready.set()
    servers[0].serve_forever()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
