"""The `news-ingest` command."""

from __future__ import annotations

import argparse
import faulthandler
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.backfill import Source
from ingest.config import ConfigError, Settings, load_settings
from ingest.demo import SiteServer, describe, follow_articles
from ingest.feed_registry import FeedRegistry
from ingest.feed_status import feed_statuses
from ingest.kafka import BrokerUnavailable, FatalProducerError, MissingTopic, TransactionalProducer, ensure_topics
from ingest.logs import configure_logging
from ingest.opml import read_opml, write_opml
from ingest.revisit_status import revisit_status
from ingest.sandbox import ChildUnavailable
from ingest.story_store import StoreError
from ingest.worker import Role, Worker, replay_dead_letters, reprocess, run_backfill
from processors.records import TOPIC_RECORDS, Article

log = logging.getLogger("ingest.cli")

_ROLES = {"run": (Role.POLLER, Role.PROCESSOR), "poll": (Role.POLLER,), "process": (Role.PROCESSOR,)}
_SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


def main(argv: Sequence[str] | None = None) -> int:
    # `kill -USR1 <pid>` prints every thread's stack to stderr: how to see where a stuck worker waits.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.command(args))
    except ConfigError as error:
        sys.stderr.write(f"news-ingest: {error}\n")
        return 2
    except (BrokerUnavailable, FatalProducerError, MissingTopic, StoreError, ChildUnavailable) as error:
        log.error("cannot continue", extra={"reason": type(error).__name__, "detail": str(error)})
        sys.stderr.write(f"news-ingest: {error}\n")
        return 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="news-ingest", description="Poll news feeds, extract, deduplicate and publish articles to Kafka."
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    helps = {
        "run": "run pollers and processors in one process until SIGTERM/SIGINT",
        "poll": "run only the poller role (feeds -> raw topic)",
        "process": "run only the processor role (raw topic -> articles)",
    }
    for name, text in helps.items():
        command = commands.add_parser(name, help=text, description=text)
        _config_argument(command)
        command.add_argument(
            "--once", action="store_true", help="poll every feed once / process what is there, then exit 0"
        )
        command.set_defaults(command=_run, roles=_ROLES[name])

    demo = commands.add_parser(
        "demo",
        help="serve the bundled demo feeds on loopback, run the pipeline and show each article",
        description="The embedded default of `make run`.",
    )
    _config_argument(demo)
    demo.add_argument("--site", type=Path, required=True, help="folder of demo feeds and pages to serve")
    demo.add_argument("--port", type=int, default=8765, help="port of the demo site on 127.0.0.1")
    demo.add_argument(
        "--log-file",
        type=Path,
        default=Path(".local/demo.log"),
        help="where the worker's JSON logs go, so that the terminal shows the articles (default .local/demo.log)",
    )
    demo.set_defaults(command=_demo)

    tail = commands.add_parser("tail", help="print each committed article version as a readable line")
    _config_argument(tail)
    tail.set_defaults(command=_tail)

    dlq = commands.add_parser("dlq", help="work with the dead-letter topic")
    dlq_commands = dlq.add_subparsers(required=True, metavar="ACTION")
    replay = dlq_commands.add_parser(
        "replay",
        help="send dead letters back through the pipeline (once their cause is fixed)",
        description="Each letter is replayed once (consumer group <app_id>.dlq-replay); see docs/operations.md.",
    )
    _config_argument(replay)
    replay.add_argument("--reason", action="append", default=[], help="only letters with this reason (repeatable)")
    replay.add_argument("--stage", action="append", default=[], help="only letters of this stage (repeatable)")
    replay.add_argument("--from-beginning", action="store_true", help="scan every letter, not only new ones")
    replay.set_defaults(command=_dlq_replay)

    topics = commands.add_parser("topics", help="manage the deployment's Kafka topics")
    topics_commands = topics.add_subparsers(required=True, metavar="ACTION")
    create = topics_commands.add_parser(
        "create",
        help="create the missing topics (partitions, replication and configs from the settings) and exit",
        description="For a provisioning Job when workers run with kafka.create_topics: false.",
    )
    _config_argument(create)
    create.set_defaults(command=_topics_create)

    _add_feeds_commands(commands)
    _add_revisits_commands(commands)
    _add_backfill_command(commands)
    again = commands.add_parser(
        "reprocess",
        help="run the raw topic through the processors again (after an upgrade); changed results are new versions",
        description=(
            "Raw pages are kept for topics.raw_retention_days. Unchanged results publish nothing. The pages are "
            "extracted again under a group of the run's own; the results are then decided in the processors' group: "
            "by this process when the processors are stopped, by them with --extract-only."
        ),
    )
    _config_argument(again)
    again.add_argument("--since", type=datetime.fromisoformat, help="ISO time: only raw pages fetched since then")
    again.add_argument(
        "--extract-only", action="store_true", help="leave the decisions to the running processors (live deployments)"
    )
    again.set_defaults(command=_reprocess)

    schema = commands.add_parser("schema", help="print or write the JSON Schemas of the topics' records")
    schema.add_argument("--write", action="store_true", help=f"write them into {_SCHEMA_DIR}")
    schema.set_defaults(command=_schema)
    return parser


def _add_feeds_commands(commands: Any) -> None:
    feeds = commands.add_parser("feeds", help="the feed registry: list, add, remove, OPML, status")
    feed_commands = feeds.add_subparsers(required=True, metavar="ACTION")
    listing = feed_commands.add_parser("list", help="every feed (config file and registry), one JSON line each")
    add = feed_commands.add_parser("add", help="add or update a feed in the registry (pollers pick it up live)")
    add.add_argument("--name", required=True)
    add.add_argument("--url", required=True)
    add.add_argument("--interval-s", type=float, help="starting interval (adaptive) or fixed interval")
    add.add_argument("--language", help="the feed's declared language (settles close detections)")
    remove = feed_commands.add_parser("remove", help="remove registry feeds by URL or name")
    remove.add_argument("feeds", nargs="+", metavar="URL_OR_NAME")
    import_opml = feed_commands.add_parser("import-opml", help="add every feed of an OPML file to the registry")
    import_opml.add_argument("file", type=Path)
    export_opml = feed_commands.add_parser("export-opml", help="print every feed as an OPML document")
    status = feed_commands.add_parser("status", help="each feed's status, schedule and last error")
    status.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    for command, handler in (
        (listing, _feeds_list),
        (add, _feeds_add),
        (remove, _feeds_remove),
        (import_opml, _feeds_import_opml),
        (export_opml, _feeds_export_opml),
        (status, _feeds_status),
    ):
        _config_argument(command)
        command.set_defaults(command=handler)


def _add_revisits_commands(commands: Any) -> None:
    revisits = commands.add_parser("revisits", help="revisits of published article pages: what is pending")
    revisit_commands = revisits.add_subparsers(required=True, metavar="ACTION")
    status = revisit_commands.add_parser("status", help="pending revisits by feed and step, overdue, next due")
    status.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    _config_argument(status)
    status.set_defaults(command=_revisits_status)


def _add_backfill_command(commands: Any) -> None:
    backfill = commands.add_parser(
        "backfill",
        help="push saved pages (WARC files or a folder of .html) through the processors; resumable",
        description="Articles are marked backfill: true (and go to topics.backfill if set). Run processors too.",
    )
    _config_argument(backfill)
    given = backfill.add_mutually_exclusive_group(required=True)
    given.add_argument("--warc", type=Path, nargs="+", help="WARC files (.warc or .warc.gz)")
    given.add_argument("--dir", type=Path, help="a folder of saved .html pages (searched recursively)")
    backfill.add_argument("--chunk", type=int, default=50, help="pages per transaction (and per resume step)")
    backfill.add_argument("--no-progress", action="store_true", help="no progress bar (logs only)")
    backfill.set_defaults(command=_backfill)


def _config_argument(command: argparse.ArgumentParser) -> None:
    command.add_argument("--config", type=Path, help="YAML settings file (environment variables override it)")


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config)
    configure_logging(settings.log_level)
    return settings


def _run(args: argparse.Namespace) -> int:
    worker = Worker(_settings(args), args.roles)
    worker.install_signal_handlers()
    return worker.run(once=args.once)


def _demo(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    args.log_file.parent.mkdir(parents=True, exist_ok=True)
    log_stream = args.log_file.open("a", encoding="utf-8")
    configure_logging(settings.log_level, stream=log_stream)
    site = SiteServer(args.site, port=args.port, auto_advance=True).start()
    worker = Worker(settings, _ROLES["run"])
    worker.install_signal_handlers()
    # The worker creates the topics; the viewer waits for the articles topic (ingest.kafka.partitions_of).
    viewer = threading.Thread(
        target=follow_articles,
        args=(settings.kafka, settings.topics.articles, worker.stop, _print_article),
        name="viewer",
        daemon=True,
    )
    viewer.start()
    sys.stdout.write(
        f"demo site on {site.base_url}; the worker's logs go to {args.log_file}; "
        "published articles appear below (Ctrl-C stops)\n"
    )
    try:
        return worker.run(once=False)
    finally:
        site.close()
        log_stream.close()


def _dlq_replay(args: argparse.Namespace) -> int:
    settings = _settings(args)
    report = replay_dead_letters(
        settings, reasons=set(args.reason), stages=set(args.stage), from_beginning=args.from_beginning
    )
    sys.stdout.write(json.dumps(asdict(report)) + "\n")
    return 0


def _backfill(args: argparse.Namespace) -> int:
    sources = [Source(path) for path in (args.warc or [args.dir])]
    missing = [str(source.path) for source in sources if not source.path.exists()]
    if missing:
        raise ConfigError(f"backfill: no such file or folder: {', '.join(missing)}")
    report = run_backfill(_settings(args), sources, chunk=args.chunk, progress=not args.no_progress)
    sys.stdout.write(json.dumps(asdict(report)) + "\n")
    return 0


def _reprocess(args: argparse.Namespace) -> int:
    since = args.since.replace(tzinfo=args.since.tzinfo or UTC) if args.since else None
    report = reprocess(_settings(args), since=since, extract_only=args.extract_only)
    sys.stdout.write(json.dumps(asdict(report)) + "\n")
    return 0


def _topics_create(args: argparse.Namespace) -> int:
    created = ensure_topics(_settings(args))
    sys.stdout.write(json.dumps({"created": created}) + "\n")
    return 0


@contextmanager
def _registry(args: argparse.Namespace) -> Iterator[FeedRegistry]:
    settings = _settings(args)
    if settings.kafka.create_topics:
        ensure_topics(settings)
    producer = TransactionalProducer.of_role(settings, "feeds-cli")
    try:
        yield FeedRegistry(settings, producer)
    finally:
        producer.close()


def _json_lines(rows: Iterable[object]) -> None:
    for row in rows:
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")


def _feeds_list(args: argparse.Namespace) -> int:
    with _registry(args) as registry:
        _json_lines(feed.model_dump() | {"source": source} for feed, source in registry.all_feeds())
    return 0


def _feeds_add(args: argparse.Namespace) -> int:
    feed = {"name": args.name, "url": args.url, "language": args.language}
    if args.interval_s is not None:
        feed["interval_s"] = args.interval_s
    with _registry(args) as registry:
        _json_lines(added.model_dump() for added in registry.add([feed]))
    return 0


def _feeds_remove(args: argparse.Namespace) -> int:
    with _registry(args) as registry:
        _json_lines({"removed": url} for url in registry.remove(args.feeds))
    return 0


def _feeds_import_opml(args: argparse.Namespace) -> int:
    try:
        listed = read_opml(args.file)
    except (OSError, ValueError) as error:
        raise ConfigError(f"{args.file}: {error}") from error
    with _registry(args) as registry:
        known = {feed.url for feed, _ in registry.all_feeds()}
        added = registry.add(feed for feed in listed if feed["url"] not in known)
    sys.stdout.write(json.dumps({"added": len(added), "already_known": len(listed) - len(added)}) + "\n")
    return 0


def _feeds_export_opml(args: argparse.Namespace) -> int:
    with _registry(args) as registry:
        sys.stdout.write(write_opml(feed.model_dump() for feed, _ in registry.all_feeds()))
    return 0


def _feeds_status(args: argparse.Namespace) -> int:
    with _registry(args) as registry:
        rows = feed_statuses(registry.settings, registry.all_feeds())
    if args.json:
        _json_lines(rows)
        return 0
    columns = ("name", "status", "last_polled_at", "next_poll_at", "interval_s", "rate_per_day", "error_streak")
    table = [columns, *[tuple("" if row[c] is None else str(row[c]) for c in columns) for row in rows]]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    for line in table:
        sys.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() + "\n")
    for row in rows:
        if row["last_error"]:
            sys.stdout.write(f"{row['name']}: {row['last_error_class']}: {row['last_error']}\n")
    return 0


def _revisits_status(args: argparse.Namespace) -> int:
    status = revisit_status(_settings(args), time.time())
    if args.json:
        sys.stdout.write(json.dumps(status) + "\n")
        return 0
    sys.stdout.write(
        f"pending {status['pending']}, overdue {status['overdue']}, next due {status['next_due_at'] or '-'}\n"
        f"by step (of {len(status['schedule_s'])}): "
        + (", ".join(f"{step}: {count}" for step, count in status["by_step"].items()) or "-")
        + "\n"
    )
    for row in status["feeds"]:
        sys.stdout.write(f"  {row['feed']}  {row['pending']}  next {row['next_due_at']}\n")
    return 0


def _tail(args: argparse.Namespace) -> int:
    settings = _settings(args)
    stop = threading.Event()
    try:
        follow_articles(settings.kafka, settings.topics.articles, stop, _print_article)
    except KeyboardInterrupt:
        stop.set()
    return 0


def _print_article(article: Article) -> None:
    sys.stdout.write(describe(article) + "\n")
    sys.stdout.flush()


def _schema(args: argparse.Namespace) -> int:
    for name, model in TOPIC_RECORDS.items():
        document = json.dumps(json_schema(name, model), indent=2, ensure_ascii=False) + "\n"
        if args.write:
            (_SCHEMA_DIR / f"{name}.schema.json").write_text(document, encoding="utf-8")
        else:
            sys.stdout.write(document)
    return 0


def json_schema(name: str, model: type) -> dict[str, object]:
    """The published JSON Schema of one record type (draft 2020-12)."""
    schema: dict[str, object] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://news-ingest.github.io/schemas/{name}.schema.json",
    }
    schema.update(model.model_json_schema(mode="serialization"))  # type: ignore[attr-defined]
    return schema


if __name__ == "__main__":
    sys.exit(main())
