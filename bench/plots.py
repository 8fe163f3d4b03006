"""PNG figures for docs/benchmarks.md, where a picture says more than a table."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt  # after choosing the backend


def latency_cdf(latencies_s: list[float], rate_per_s: float, path: Path) -> None:
    """How many articles were committed within x ms of their page's fetch."""
    values = sorted(latencies_s)
    shares = [(n + 1) / len(values) for n in range(len(values))]
    figure, axes = plt.subplots(figsize=(7, 3.6), dpi=110)
    axes.plot([v * 1000 for v in values], shares, color="#1f5f8b")
    axes.axvline(1000, color="#b03a2e", linestyle="--", linewidth=1)
    axes.axhline(0.99, color="#888888", linestyle=":", linewidth=1)
    axes.text(990, 0.05, "target: p99 < 1 s", color="#b03a2e", fontsize=8, ha="right")
    axes.set_xlabel("fetched page -> committed article (ms)")
    axes.set_ylabel("share of articles")
    axes.set_title(f"End-to-end latency at {rate_per_s:.0f} articles/s ({len(values):,} articles)", fontsize=10)
    axes.set_ylim(0, 1.01)
    axes.grid(alpha=0.3)
    _save(figure, path)


def scheduler_tradeoff(results: dict[str, dict[str, float]], path: Path) -> None:
    """Requests against staleness: every fixed interval lies on one curve; the adaptive schedulers below it."""
    feeds = next(iter(results.values()))["feeds"]
    intervals_s = [60 * m for m in (2, 3, 5, 8, 12, 15, 20, 30, 45, 60, 90, 120)]
    figure, axes = plt.subplots(figsize=(7, 4), dpi=110)
    axes.plot(
        [feeds * 3600 / t for t in intervals_s],
        [t / 2 / 60 for t in intervals_s],
        color="#888888",
        label="fixed interval T (mean staleness T/2)",
    )
    for name, result in results.items():
        adaptive = name.startswith("adaptive")
        axes.scatter(
            result["requests_per_hour"],
            result["mean_staleness_s"] / 60,
            color="#1f5f8b" if adaptive else "#888888",
            marker="o" if adaptive else "x",
            zorder=3,
        )
        axes.annotate(
            name,
            (result["requests_per_hour"], result["mean_staleness_s"] / 60),
            fontsize=7,
            xytext=(5, 4),
            textcoords="offset points",
        )
    axes.set_xscale("log")
    axes.set_xlabel(f"requests per hour ({feeds:,.0f} feeds)")
    axes.set_ylabel("mean staleness (minutes)")
    axes.set_title("Polling: requests against staleness (simulation, 3 days)", fontsize=10)
    axes.grid(alpha=0.3, which="both")
    axes.legend(fontsize=8)
    _save(figure, path)


def _save(figure: plt.Figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, metadata={"Software": None})  # no version stamp: the file changes only with the figures
    plt.close(figure)
