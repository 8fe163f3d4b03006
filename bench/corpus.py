"""A corpus of varied news pages for the benchmarks: several languages, lengths and page templates.

Deterministic (seeded): the same pages every run. Built from the fault suite's story generator, wrapped in the
boilerplate real news sites carry (navigation, "most read" boxes, related links, scripts, comment sections,
cookie banners), plus the demo site's hand-written pages.
"""

from __future__ import annotations

import random
from pathlib import Path

from tests.faults.corpus import page

ROOT = Path(__file__).resolve().parents[1]
_TEMPLATES = ("plain", "portal", "blog", "amp")


def _boilerplate(rng: random.Random, kind: str) -> tuple[str, str]:
    links = "".join(f"<li><a href='/s/{rng.randint(1, 9999)}'>Section {n}</a></li>" for n in range(rng.randint(5, 25)))
    topics = ["rates", "storms", "elections", "football"]
    most_read = "".join(
        f"<li><a href='/a/{rng.randint(1, 99999)}'>Most read story {n} about {rng.choice(topics)}</a></li>"
        for n in range(rng.randint(3, 10))
    )
    scripts = "".join(
        f"<script>window.dataLayer=window.dataLayer||[];dataLayer.push({{'id':{rng.randint(1, 10**6)}}});</script>"
        for _ in range(rng.randint(1, 6))
    )
    head = f"<nav><ul>{links}</ul></nav>{scripts}<div class='cookie'>We use cookies. <button>OK</button></div>"
    tail = f"<aside><h3>Most read</h3><ol>{most_read}</ol></aside>"
    if kind in ("portal", "blog"):
        comments = "".join(
            f"<div class='comment'><b>reader{n}</b><p>{'Great article! ' * rng.randint(1, 6)}</p></div>"
            for n in range(rng.randint(0, 12))
        )
        tail += f"<section id='comments'><h3>Comments</h3>{comments}</section>"
    tail += "<footer><p>(c) 2026 News Site. All rights reserved.</p><a href='/privacy'>Privacy</a></footer>"
    return head, tail


def pages(count: int = 600, seed: int = 11) -> list[tuple[str, str]]:
    """(url, html) of `count` pages."""
    rng = random.Random(seed)
    result: list[tuple[str, str]] = []
    for path in sorted((ROOT / "demo" / "site" / "news").glob("*.html")):
        result.append((f"https://demo.example/news/{path.name}", path.read_text(encoding="utf-8")))
    number = 0
    while len(result) < count:
        number += 1
        language, _, html = page(number)
        kind = rng.choice(_TEMPLATES)
        head, tail = _boilerplate(rng, kind)
        extra = "".join(
            f"<p>{rng.choice(['Officials', 'Residents', 'Analysts'])} said more on day {number}: "
            + "details " * rng.randint(5, 60)
            + "</p>"
            for _ in range(rng.randint(0, 8))
        )
        html = html.replace("<body>", f"<body>{head}").replace("</article>", f"{extra}</article>{tail}")
        result.append((f"https://{kind}.example/{language}/story-{number}", html))
    return result
