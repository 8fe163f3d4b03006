"""`make bench`: run the benchmarks, write bench/results.json and docs/benchmarks.md.

Today: the polling simulation of issue #8 (bench/schedule_sim.py). Each benchmark adds its section here.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

from bench.schedule_sim import BOUNDS, DAYS, run

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
REPORT = ROOT / "docs" / "benchmarks.md"


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def polling_section(results: dict[str, dict[str, float]], elapsed_s: float) -> str:
    adaptive = results["adaptive (ours: sqrt)"]
    feeds = int(adaptive["feeds"])
    equal_budget_s = feeds * 3600 / adaptive["requests_per_hour"]
    rows = [
        f"| {name} | {r['requests_per_hour']:,.0f} | {_minutes(r['mean_staleness_s'])} | "
        f"{_minutes(r['p50_staleness_s'])} | {_minutes(r['p95_staleness_s'])} |"
        for name, r in sorted(results.items(), key=lambda item: -item[1]["requests_per_hour"])
    ]
    rows.append(
        f"| fixed {_minutes(equal_budget_s)} (the adaptive budget; analytic: staleness ~ U(0, T)) | "
        f"{adaptive['requests_per_hour']:,.0f} | {_minutes(equal_budget_s / 2)} | {_minutes(equal_budget_s / 2)} | "
        f"{_minutes(0.95 * equal_budget_s)} |"
    )
    table = "\n".join(rows)
    return f"""## Polling 100,000 feeds: requests per hour and staleness

`bench/schedule_sim.py` simulates {feeds:,} feeds for {DAYS} days (the first is the warm-up) with realistic
publication rates (log-normal, median 6 entries a day, wires at hundreds a day, a day/night cycle), 70% of feeds
listing dates, 20% declaring a `<ttl>`. The adaptive scheduler runs the poller's own code (`ingest/schedule.py`,
bounds {BOUNDS.min_interval_s:.0f} s .. {BOUNDS.max_interval_s / 3600:.0f} h). Staleness: publication to the first
poll that sees the entry, over {int(adaptive["entries"]):,} entries published on days 2-3.

| scheduler | requests / hour | mean staleness | p50 | p95 |
| --- | ---: | ---: | ---: | ---: |
{table}

Reading it: staleness is counted per entry, so busy feeds (most of the entries) weigh most, and those are the
feeds the adaptive scheduler polls often; quiet feeds are polled rarely, which is where its requests are saved.
Against fixed-interval polling at the same request budget, ours has a much lower mean and median staleness; its
p95 is higher, and that is the price: the rare entries of quiet feeds wait longer (and the `<ttl>` floors cost
staleness on the feeds that declare them: honouring the publisher is the point). The square-root law (interval
`reference_interval_s * sqrt(24 / entries a day)`) is the allocation that minimises mean staleness for a request
budget; the row "1 poll per expected entry" is the obvious alternative, measured side by side. Operators trade
requests for freshness with `poller.reference_interval_s` (1200 s here): the interval of a feed publishing hourly.
(Simulation time: {elapsed_s:.0f} s on this machine.)
"""


def main() -> None:
    started = time.monotonic()
    polling = run()
    elapsed = time.monotonic() - started
    results = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "at": time.strftime("%Y-%m-%d")},
        "polling_simulation": polling,
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    REPORT.write_text(
        "# Benchmarks\n\nWritten by `make bench` (`bench/run.py`); machine-readable figures in "
        "`bench/results.json`. Figures are from one run on the machine named there (2 cores).\n\n"
        + polling_section(polling, elapsed),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
