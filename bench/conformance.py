"""`make conformance`: real feeds nobody here wrote, through the poller's own parse path (the sandboxed child),
written to docs/conformance.md. Not part of `make test` (it reads ../shared/corpora); tests of the cases it finds
are.

- feedparser's test suite (2,107 files): parsed, refused (by reason), crashed (must be 0), timed out (must be 0);
  and agreement with its `Expect:` lines where they compare an entry's title, link, id or summary to a value.
- feed-rs's fixtures (65 feeds, many trimmed from real publishers) beside what feed-rs parsed: agreement on entry
  ids, links, titles and dates, every disagreement listed.
"""

from __future__ import annotations

import argparse
import ast
import collections
import json
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.feed_model import ParsedEntry, ParsedFeed
from ingest.feeds import parse_feed
from ingest.sandbox import BoundedRunner, OutOfBounds
from processors.errors import NewsIngestError

ROOT = Path(__file__).resolve().parents[1]
_EXPECT = re.compile(r"^Expect:\s*(.*)$", re.MULTILINE)
_HEADER = re.compile(r"^Header:\s*([^:]+):\s*(.*)$", re.MULTILINE)
_ENTRY_FIELD = re.compile(
    r"entries\[0\]\[['\"](title|link|id|summary|description)['\"]\]\s*==\s*(u?(['\"]).*?(?<!\\)\3)"
)
_FIELDS = {"title": "title", "link": "url", "id": "id", "summary": "summary", "description": "summary"}


def _parse(runner: BoundedRunner, body: bytes, url: str, content_type: str | None) -> ParsedFeed | str:
    try:
        return runner.run(parse_feed, body, url=url, content_type=content_type, declared_language=None)
    except OutOfBounds as error:
        return f"timeout:{error}"
    except NewsIngestError as error:
        return f"refused:{error.reason}:{error}"
    except Exception as error:  # a crash is what this run exists to find
        return f"crashed:{type(error).__name__}:{error}"


def feedparser_suite(runner: BoundedRunner, folder: Path) -> dict[str, Any]:
    outcomes: collections.Counter[str] = collections.Counter()
    refusals: collections.Counter[str] = collections.Counter()
    crashes: list[str] = []
    checked = agreed = 0
    disagreements: list[str] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "LICENSE"):
        body = path.read_bytes()
        head = body[:2000].decode("utf-8", "replace")
        headers = {name.strip().lower(): value.strip() for name, value in _HEADER.findall(head)}
        url = "http://127.0.0.1:8097/" + str(path.relative_to(folder))
        result = _parse(runner, body, url, headers.get("content-type"))
        relative = str(path.relative_to(folder))
        if isinstance(result, str):
            kind = result.split(":", 1)[0]
            outcomes[kind] += 1
            if kind == "refused":
                refusals[result.split(":", 2)[2][:60]] += 1
            else:
                crashes.append(f"{relative}: {result[:200]}")
            continue
        outcomes["parsed"] += 1
        for expect in _EXPECT.findall(head):
            for field, literal, _ in _ENTRY_FIELD.findall(expect):
                try:
                    expected = ast.literal_eval(literal)
                except (ValueError, SyntaxError):
                    continue
                checked += 1
                got = _field(result.entries[0], field) if result.entries else None
                if _same(got, expected):
                    agreed += 1
                else:
                    disagreements.append(f"{relative}: entries[0].{field}: expected {expected!r:.80}, got {got!r:.80}")
    return {
        "files": sum(outcomes.values()),
        "outcomes": dict(outcomes),
        "refusals": dict(refusals.most_common()),
        "crashes": crashes,
        "expectations_checked": checked,
        "expectations_agreed": agreed,
        "disagreements": disagreements,
    }


def _field(entry: ParsedEntry, field: str) -> Any:
    return getattr(entry.entry, _FIELDS[field])


def _same(got: Any, expected: Any) -> bool:
    if got == expected:
        return True
    # Our entries trim white space and resolve links against the feed URL.
    return isinstance(got, str) and isinstance(expected, str) and got.strip() == expected.strip()


def feed_rs(runner: BoundedRunner, folder: Path) -> dict[str, Any]:
    compared = collections.Counter[str]()
    agreed = collections.Counter[str]()
    disagreements: list[str] = []
    feeds = refused = 0
    for expected_path in sorted(folder.rglob("*.serde.json")):
        source = next(
            (
                p
                for p in expected_path.parent.glob(expected_path.name.removesuffix(".serde.json") + ".*")
                if not p.name.endswith(".serde.json")
            ),
            None,
        )
        if source is None:
            continue
        feeds += 1
        expected = json.loads(expected_path.read_text(encoding="utf-8"))
        relative = str(source.relative_to(folder))
        result = _parse(runner, source.read_bytes(), f"https://feed-rs.example/{relative}", None)
        if isinstance(result, str):
            refused += 1
            disagreements.append(f"{relative}: {result[:160]}")
            continue
        ours = result.entries
        theirs = expected.get("entries") or []
        if len(ours) != len(theirs):
            disagreements.append(f"{relative}: {len(ours)} entries, feed-rs {len(theirs)}")
        for mine, other in zip(ours, theirs, strict=False):
            for name, got, want in _pairs(mine, other):
                if want is None:
                    continue
                compared[name] += 1
                if got == want:
                    agreed[name] += 1
                else:
                    disagreements.append(f"{relative}: {name}: ours {got!r:.70}, feed-rs {want!r:.70}")
    return {
        "feeds": feeds,
        "refused": refused,
        "compared": dict(compared),
        "agreed": dict(agreed),
        "disagreements": disagreements,
    }


def _pairs(mine: ParsedEntry, other: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    entry = mine.entry
    links = [link.get("href") for link in other.get("links") or [] if link.get("href")]
    title = (other.get("title") or {}).get("content")
    published = other.get("published") or other.get("updated")
    ours_date = entry.published_at or entry.updated_at
    return [
        ("title", (entry.title or "").strip(), title.strip() if title else None),
        ("link", entry.url, links[0] if links else None),
        ("date", _minute(ours_date), _minute(published)),
    ]


def _minute(value: Any) -> str | None:
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ") if moment.tzinfo else moment.strftime("%Y-%m-%dT%H:%M")


def article_pages(folder: Path) -> dict[str, Any]:
    """The article-extraction benchmark's 181 real pages through our extraction and dedupe, in one state: no two
    different articles may be linked (every page is its own article); extraction F1 beside trafilatura alone."""
    import gzip

    import trafilatura

    from bench.processor_bench import raw_documents, remember
    from processors.dedupe import StoryIndex
    from processors.language import LanguageDetector
    from processors.pipeline import Publish, decide_document, extract_document

    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    detector = LanguageDetector()
    table: dict[str, Any] = {}
    index = StoryIndex(table)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    ours: list[float] = []
    alone: list[float] = []
    links: list[str] = []
    rejected: collections.Counter[str] = collections.Counter()
    for page_id, expected in sorted(truth.items()):
        html_bytes = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        html = html_bytes.decode("utf-8", "replace")
        url = expected["url"]
        alone.append(_f1(trafilatura.extract(html_bytes, url=url, with_metadata=True) or "", expected["articleBody"]))
        (raw,) = raw_documents([(url, html)])
        try:
            document = extract_document(raw, detector=detector)
        except NewsIngestError as error:
            rejected[error.reason] += 1
            ours.append(0.0)
            continue
        ours.append(_f1(document.text, expected["articleBody"]))
        outcome = decide_document(document, index=index, now=now)
        remember(table, index, outcome.state_updates)  # as the state table does: the indexes learn each story
        article = outcome.article if isinstance(outcome, Publish) else None
        if article is None or article.version > 1 or article.duplicate_of or article.translation_of:
            links.append(
                f"{url}: {type(outcome).__name__} {getattr(article, 'version', '')} "
                f"{getattr(article, 'duplicate_of', None) or getattr(article, 'translation_of', None) or ''}"
            )
    return {
        "pages": len(truth),
        "rejected": dict(rejected),
        "f1_ours": sum(ours) / len(ours),
        "f1_trafilatura": sum(alone) / len(alone),
        "links": links,
    }


def _f1(text: str, reference: str) -> float:
    got, want = collections.Counter(text.split()), collections.Counter(reference.split())
    overlap = sum((got & want).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(got.values()), overlap / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def write_report(suite: dict[str, Any], rs: dict[str, Any], pages: dict[str, Any], seconds: float, out: Path) -> None:
    lines = [
        "# Conformance: real feeds through the poller's parse path",
        "",
        "Written by `make conformance` (`bench/conformance.py`, corpora from `../shared/corpora`, not part of",
        "`make test`). Every file goes through `ingest.feeds.parse_feed` in the sandboxed child, as the poller parses.",
        f"This run took {seconds:.0f} s.",
        "",
        "## feedparser's test suite",
        "",
        "| files | parsed | refused | crashed | timed out |",
        "| --- | --- | --- | --- | --- |",
        f"| {suite['files']} | {suite['outcomes'].get('parsed', 0)} | {suite['outcomes'].get('refused', 0)} | "
        f"{suite['outcomes'].get('crashed', 0)} | {suite['outcomes'].get('timeout', 0)} |",
        "",
        "Refusals by reason (a refusal is a `FeedParseError`: a dead letter with the body, the feed's error streak):",
        "",
        "| reason | files |",
        "| --- | --- |",
        *(f"| {reason.replace('|', '/')} | {count} |" for reason, count in suite["refusals"].items()),
        "",
        "`Expect:` lines that compare an entry's title, link, id or summary to a value: "
        f"{suite['expectations_checked']} checked, {suite['expectations_agreed']} agree.",
        "",
        "Crashes and time-outs (must be none):",
        "",
        *([f"- {line}" for line in suite["crashes"]] or ["- none"]),
        "",
        "Disagreements with `Expect:`, each a place where our entry differs from feedparser's own. What they are:",
        "relative URLs inside titles and summaries, and relative entry ids, are left as written: the poller gives",
        "feedparser no Content-Location or document URI, so that a feed that moves (http to https, a new path) does",
        "not rename every entry (ids are identities, not links; entry links are resolved against the feed URL); the",
        "`*_crazy` cases' expected values are cut short where this harness reads an `Expect:` line with an escaped",
        "quote; the rest are listed as they are:",
        "",
        *([f"- {line}" for line in suite["disagreements"]] or ["- none"]),
        "",
        "## feed-rs's fixtures (real publishers' feeds)",
        "",
        f"{rs['feeds']} feeds, {rs['refused']} refused.",
        "",
        "| field | compared | agree |",
        "| --- | --- | --- |",
        *(f"| {name} | {count} | {rs['agreed'].get(name, 0)} |" for name, count in rs["compared"].items()),
        "",
        "Every disagreement (relative links are resolved against the feed URL, as above; a host's case is kept in the",
        "link and folded in the identity; a date feedparser cannot read is no date):",
        "",
        *([f"- {line}" for line in rs["disagreements"]] or ["- none"]),
        "",
        "## The article-extraction benchmark's pages (181 real articles)",
        "",
        "Every page is a different article: through extraction and the dedupe decision, in one story state, none may",
        "become a version, a copy or a translation of another.",
        "",
        "| pages | rejected | linked to another | F1, our extraction | F1, `trafilatura.extract(with_metadata=True)` |",
        "| --- | --- | --- | --- | --- |",
        f"| {pages['pages']} | {sum(pages['rejected'].values())} {pages['rejected'] or ''} | {len(pages['links'])} | "
        f"{pages['f1_ours']:.3f} | {pages['f1_trafilatura']:.3f} |",
        "",
        "(F1: the multiset overlap of whitespace tokens with the benchmark's `articleBody`.) Links:",
        "",
        *([f"- {line}" for line in pages["links"]] or ["- none"]),
        "",
    ]
    out.write_text("\n".join(lines), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "conformance.md")
    args = parser.parse_args()
    runner = BoundedRunner(timeout_s=10, memory_bytes=1024 * 2**20, preload=["ingest.feeds"], children=2)
    started = time.monotonic()
    try:
        suite = feedparser_suite(runner, args.corpora / "feedparser-tests")
        rs = feed_rs(runner, args.corpora / "feed-rs")
    finally:
        runner.close()
    pages = article_pages(args.corpora / "aeb")
    write_report(suite, rs, pages, time.monotonic() - started, args.out)
    summary = {
        "files": suite["files"],
        **suite["outcomes"],
        "expect_checked": suite["expectations_checked"],
        "expect_agreed": suite["expectations_agreed"],
        "feed_rs_compared": sum(rs["compared"].values()),
        "feed_rs_agreed": sum(rs["agreed"].values()),
        "aeb_links": len(pages["links"]),
        "aeb_f1_ours": round(pages["f1_ours"], 3),
        "aeb_f1_trafilatura": round(pages["f1_trafilatura"], 3),
    }
    sys.stdout.write(json.dumps(summary) + "\n")
    return 1 if suite["outcomes"].get("crashed") or suite["outcomes"].get("timeout") or pages["links"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
