"""The processor on real pages (issue 18): the article-extraction benchmark's 181 pages, speed and quality side by side.

`../shared/corpora/aeb` (or `AEB_CORPUS`): real article pages from news and blog sites in several languages, and the
human-checked `articleBody` of each. On the same pages, in the same run, in CPU seconds of this process (and of the
processor's extraction child):

1. `trafilatura.extract(html, url=url, with_metadata=True)` alone, the library's own call;
2. our stages: `process_document` (extraction with metadata, update notes, identity, dedupe, language, normaliser);
3. the processor role draining the pages from the raw topic on the local broker (Kafka transactions, the story
   store), as `bench/processor_bench.py` does for the generated corpus.

Quality is the benchmark's: F1 of the extracted text's word tokens against `articleBody` (the multiset overlap:
precision over what was extracted, recall over the truth), mean over the pages, a page without output counting 0.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trafilatura

from bench.processor_bench import _cpu, processor_parts, raw_documents, remember
from processors.dedupe import StoryIndex
from processors.language import LanguageDetector
from processors.pipeline import Publish, process_document

ROOT = Path(__file__).resolve().parents[1]
AEB = Path(os.environ.get("AEB_CORPUS", ROOT.parent / "shared" / "corpora" / "aeb"))
_WORD = re.compile(r"\w+")
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
BEGIN, END = "<!-- bench-pages: begin -->", "<!-- bench-pages: end -->"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


@dataclass(frozen=True)
class RealPage:
    id: str
    url: str
    html: str
    body: str


def load(path: Path = AEB) -> list[RealPage]:
    truth = json.loads((path / "ground-truth.json").read_text(encoding="utf-8"))
    found = []
    for page_id, expected in sorted(truth.items()):
        raw = gzip.decompress((path / "html" / f"{page_id}.html.gz").read_bytes())
        found.append(RealPage(page_id, expected["url"], raw.decode("utf-8", "replace"), expected["articleBody"]))
    return found


def f1(extracted: str | None, truth: str) -> float:
    got, want = Counter(_WORD.findall((extracted or "").lower())), Counter(_WORD.findall(truth.lower()))
    overlap = sum((got & want).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(got.values()), overlap / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def _library_alone(pages: list[RealPage]) -> list[str | None]:
    texts = []
    for page in pages:
        output = trafilatura.extract(page.html, url=page.url, with_metadata=True)
        texts.append(_FRONT_MATTER.sub("", output) if output else None)  # the metadata header is not article text
    return texts


def _ours(pages: list[RealPage]) -> list[str | None]:
    detector = LanguageDetector()
    state: dict[str, Any] = {}
    index = StoryIndex(state)
    texts: list[str | None] = []
    for document in raw_documents([(page.url, page.html) for page in pages]):
        outcome = process_document(document, detector=detector, index=index, now=document.fetched_at)
        remember(state, index, outcome.state_updates)
        texts.append(outcome.article.text if isinstance(outcome, Publish) else None)
    return texts


def run(bootstrap: str, path: Path = AEB, rounds: int = ROUNDS) -> dict[str, Any]:
    """Each measurement `rounds` times, in turn, and its least CPU time kept: on a shared machine a run is only
    ever slowed by what else runs, never sped up, so the least is the closest to the code's own cost (timeit's
    rule), and taking it for every side keeps the ratios fair."""
    pages = load(path)
    count = len(pages)
    _library_alone(pages[:10])  # warm-up: imports, the date parser's first call, stoplists
    documents = raw_documents([(page.url, page.html) for page in pages])
    library: list[str | None] = []
    ours: list[str | None] = []
    measured: dict[str, list[float]] = {"library": [], "stages": [], "processor": [], "processor_wall": []}
    least: dict[str, float] = {}
    for _ in range(rounds):
        library.clear()
        measured["library"].append(_cpu(lambda: library.extend(_library_alone(pages))))
        ours.clear()
        measured["stages"].append(_cpu(lambda: ours.extend(_ours(pages))))
        parts = processor_parts(documents, bootstrap)
        measured["processor"].append(parts["cpu_s"])
        measured["processor_wall"].append(parts["wall_s"])
        if parts["cpu_s"] == min(measured["processor"]):
            least = parts
    library_cpu, stages_cpu, processor_cpu = (min(measured[name]) for name in ("library", "stages", "processor"))
    return {
        "corpus": str(path),
        "pages": count,
        "rounds": rounds,
        "mean_page_bytes": sum(len(page.html.encode()) for page in pages) // count,
        "library_ms_per_page": library_cpu * 1000 / count,
        "stages_ms_per_page": stages_cpu * 1000 / count,
        "processor_ms_per_page": processor_cpu * 1000 / count,
        "processor_pages_per_wall_s": count / min(measured["processor_wall"]),
        "ratio_stages": library_cpu / stages_cpu,
        "ratio_processor": library_cpu / processor_cpu,
        "processor_parts_ms_per_page": {
            part: least[f"{part}_cpu_s"] * 1000 / count for part in ("child", "main_thread", "network_threads")
        },
        "ms_per_page_each_round": {
            name: [round(cpu * 1000 / count, 1) for cpu in measured[name]]
            for name in ("library", "stages", "processor")
        },
        "f1_library": sum(f1(text, page.body) for text, page in zip(library, pages, strict=True)) / count,
        "f1_ours": sum(f1(text, page.body) for text, page in zip(ours, pages, strict=True)) / count,
        "published": sum(text is not None for text in ours),
    }


def section(result: dict[str, Any], generated: dict[str, Any]) -> str:
    """The real-page section, first in docs/benchmarks.md; `generated` is the generated corpus's processor run."""
    real = (
        f"| real pages | {result['library_ms_per_page']:.1f} | {result['stages_ms_per_page']:.1f} | "
        f"{result['processor_ms_per_page']:.1f} | {result['ratio_processor']:.2f}x | {result['f1_library']:.3f} | "
        f"{result['f1_ours']:.3f} |"
    )
    made = (
        f"| generated ({generated['pages']} pages) | {1000 / generated['ceiling_pages_per_cpu_s']:.1f} "
        f"(without metadata) | {1000 / generated['stages_pages_per_cpu_s']:.1f} | "
        f"{1000 / generated['processor_pages_per_cpu_s']:.1f} | {generated['ratio_processor']:.2f}x | | |"
    )
    node = 2 * 1000 / result["processor_ms_per_page"]
    parts = result["processor_parts_ms_per_page"]
    return f"""{BEGIN}
## The processor on real pages

`bench/real_pages.py`: the {result["pages"]} pages of the article-extraction benchmark
(`{Path(result["corpus"]).name}`, {result["mean_page_bytes"] / 1024:.0f} KB a page on average; `AEB_CORPUS` sets
the path), against `trafilatura.extract(with_metadata=True)` alone on the same pages in the same run, CPU time of
this process, its threads and its extraction child, the least of {result["rounds"]} rounds taken in turn (each
round's: library {_listed(result, "library")}, stages {_listed(result, "stages")}, processor
{_listed(result, "processor")} ms a page); F1 of the word tokens against the benchmark's `articleBody`.

| corpus | library ms / page | stages ms / page | processor ms / page | processor / library | F1 library | F1 ours |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
{real}
{made}

Targets on real pages: the processor role at least 1.0x trafilatura with metadata alone, and F1 not below the
library's minus 0.005. By CPU, a 2-core node has room for about {node:.0f} real pages a second end to end; one
processor process drains {result["processor_pages_per_wall_s"]:.0f}/s by wall clock (it waits in turn on its extraction
child and on the broker's commits), so one process per core does about {2 * result["processor_pages_per_wall_s"]:.0f}/s
on such a node, and filling its CPU would take more processes than cores (not measured). {result["published"]} of
the {result["pages"]} pages were published (the others too short, or not articles, for our extraction).

What remains, in the least round: the extraction child {parts["child"]:.1f} ms a page, the processor's main thread
{parts["main_thread"]:.1f} ms, kafka-python's network threads {parts["network_threads"]:.1f} ms. Timed apart on
these pages (2026-12-01), the child's share is trafilatura's main-text extraction (about 11 ms), the metadata
(about 3.7 ms, of which the author heuristic 2.5 ms: it runs only when neither the page's metadata nor the feed names
an author, as here, where the bench's feed entries name none) and the parse (1.6 ms). Most of trafilatura's time is
its XPath expressions, which test class and id attributes with regular expressions that libxml2 calls back into
Python element by element. The main thread's is the stages after extraction (about 2.1 ms: fingerprint 1.3,
anchors 0.4, language 0.2), then the decision, the state store, both hops' JSON and the pipe to the child; the
network threads' is kafka-python's sender loop and its 4 KB socket reads, in Python.
{END}
"""


def _listed(result: dict[str, Any], name: str) -> str:
    return " / ".join(f"{value:.1f}" for value in result["ms_per_page_each_round"][name])


def main() -> None:
    """`make bench-pages`: this section alone (the generated row from the last `make bench`)."""
    from bench import report

    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    result = run(bootstrap)
    generated = report.earlier_results()["processor"]
    report.save("real_pages", result, section(result, generated), begin=BEGIN, end=END, before="## Processor")
    print(json.dumps(result))  # noqa: T201 (a command's output)


if __name__ == "__main__":
    main()
