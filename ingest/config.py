"""The one settings object: a YAML file, overridden by environment variables, validated once at start.

Environment variables: ``NEWS_INGEST_<KEY>``, with ``__`` between nested keys
(``NEWS_INGEST_HTTP__TIMEOUT_S=5``), plus the conventional ``KAFKA_BOOTSTRAP_SERVERS``. Nothing else in the
project reads the environment.
"""

from __future__ import annotations

import itertools
import os
import re
import socket
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from ingest.opml import read_opml
from processors.untrusted import redact


class ConfigError(Exception):
    """The configuration cannot be used; the message names the key and the reason."""


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KafkaSettings(_Section):
    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    create_topics: bool = Field(True, description="Create missing topics at start (off where a Job provisions).")
    partitions: int = Field(3, ge=1)
    replication_factor: int = Field(1, ge=1)
    max_block_ms: int = Field(30_000, ge=1000, description="How long a send may wait for the broker.")
    max_record_bytes: int = Field(
        4_000_000, ge=100_000, description="Largest record published (the topics are created to accept it)."
    )
    transaction_timeout_ms: int = Field(60_000, ge=1000)
    linger_ms: int = Field(
        200,
        ge=0,
        le=10_000,
        description="How long the producer gathers records into a batch. Records are seen at their transaction's"
        " commit, which sends whatever is left: lingering longer costs no latency and fewer requests.",
    )

    @model_validator(mode="after")
    def _sasl_complete(self) -> KafkaSettings:
        if self.security_protocol.startswith("SASL") and not (
            self.sasl_mechanism and self.sasl_username and self.sasl_password
        ):
            raise ValueError("SASL needs sasl_mechanism, sasl_username and sasl_password")
        return self


class TopicSettings(_Section):
    """The topics a deployment writes. raw, latest and dlq are its own: named from app_id unless set. articles is
    what consumers read, the operator's choice."""

    raw: str = Field("", description="Raw documents (default <app_id>.raw).")
    articles: str = "news.articles"
    latest: str = Field(
        "", description="Compacted: the latest version of every story (default <app_id>.articles.latest)."
    )
    dlq: str = Field("", description="Dead letters (default <app_id>.dlq).")
    backfill: str | None = Field(
        None, description="Articles from backfills go here instead of articles/latest (None: articles, marked)."
    )
    raw_retention_days: float = Field(
        30.0, gt=0, description="How long raw pages stay in the raw topic: what `news-ingest reprocess` can re-run."
    )


class HttpSettings(_Section):
    allow_private_addresses: bool = False
    allow_hosts: list[str] = Field(
        default_factory=list,
        description="'host' or 'host:port' entries that may resolve to private addresses.",
    )
    timeout_s: float = Field(20.0, gt=0, description="Deadline for a whole fetch, connect to last byte.")
    connect_timeout_s: float = Field(5.0, gt=0)
    max_bytes: int = Field(10_000_000, ge=1024, description="Largest body accepted, after decompression.")
    max_redirects: int = Field(5, ge=0)
    user_agent: str = Field(
        "news-ingest/0.1 (+https://github.com/news-ingest/news-ingest)",
        description="Sent with every request: name the product and a contact (a URL or an e-mail address).",
    )

    @field_validator("user_agent")
    @classmethod
    def _names_a_contact(cls, agent: str) -> str:
        # Publishers need a way to reach whoever polls them (and robots.txt rules name the product token).
        if "/" not in agent.split(" ", 1)[0] or not ("http" in agent or "@" in agent):
            raise ValueError("must start with a product token (name/version) and name a contact URL or e-mail")
        return agent


class FeedSettings(_Section):
    url: str
    name: str
    interval_s: float = Field(
        300.0, ge=1, description="Starting interval (adaptive schedule), or the fixed one with poller.adaptive off."
    )
    language: str | None = Field(None, description="Declared language, used to settle close detections.")

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an absolute http(s) URL")
        return url


class PollerSettings(_Section):
    full_text_min_chars: int = Field(
        1000,
        ge=0,
        description="Entry content at least this long is taken as full text; else the page is fetched.",
    )
    idle_sleep_s: float = Field(1.0, gt=0, description="Longest sleep between checks for due feeds.")
    parse_timeout_s: float = Field(10.0, gt=0, description="Deadline for parsing one feed document.")
    parse_memory_mb: int = Field(1024, ge=256, description="Address-space ceiling of the feed-parsing process.")
    parse_processes: int = Field(
        2, ge=1, le=32, description="Feed-parsing child processes (feeds are parsed while others are fetched)."
    )
    adaptive: bool = Field(
        True, description="Learn each feed's interval from its history and the publisher's hints (off: interval_s)."
    )
    min_interval_s: float = Field(120.0, ge=1, description="Never poll a feed more often (adaptive schedule).")
    max_interval_s: float = Field(21600.0, ge=1, description="Never poll an answering feed less often (adaptive).")
    reference_interval_s: float = Field(
        1200.0, ge=1, description="Interval of a feed publishing hourly; others scale with sqrt(1/rate) (adaptive)."
    )
    max_backoff_s: float = Field(86400.0, ge=1, description="Longest wait before retrying a failing feed.")
    host_interval_s: float = Field(1.0, ge=0, description="Least time between two requests to one host.")
    concurrency: int = Field(
        16, ge=1, le=256, description="Hosts whose feeds are fetched at once (one request at a time per host)."
    )
    respect_robots_txt: bool = Field(True, description="Honour robots.txt for article pages.")
    max_entries_per_feed: int = Field(
        1000,
        ge=1,
        le=50_000,
        description="Entries taken from one feed document, in document order; the rest are counted and skipped.",
    )

    @model_validator(mode="after")
    def _bounds_in_order(self) -> PollerSettings:
        if self.min_interval_s > self.max_interval_s:
            raise ValueError("min_interval_s must not exceed max_interval_s")
        return self


_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([smhd]?)\s*$")
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _seconds(value: object) -> float:
    """A duration: seconds as a number, or a string like "90s", "15m", "8h", "2d" (ASCII digits only)."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(value) if isinstance(value, str) and value.isascii() else None
    if match is None:
        raise ValueError(f"{value!r} is not a duration (seconds, or a number with s, m, h or d)")
    return float(match.group(1)) * _UNIT_S[match.group(2)]


class RevisitSettings(_Section):
    """Article pages fetched again after they were published: an update only the page shows becomes a version."""

    enabled: bool = Field(True, description="Revisit published article pages on the schedule below.")
    schedule: list[float] = Field(
        default_factory=lambda: [900.0, 3600.0, 10800.0, 28800.0, 86400.0, 172800.0],
        description='When to fetch a page again, after it was first fetched (seconds, or "15m", "8h", "2d").',
    )
    max_pending: int = Field(
        200_000, ge=1, description="Revisits one poller replica holds; past it the oldest are dropped (counted)."
    )
    max_per_host_per_hour: int = Field(
        600, ge=1, description="Revisit requests to one host in an hour; past it a revisit is skipped (counted)."
    )

    @field_validator("schedule", mode="before")
    @classmethod
    def _durations(cls, value: object) -> list[float]:
        if not isinstance(value, list):
            raise ValueError("must be a list of durations")
        return [_seconds(item) for item in value]

    @field_validator("schedule")
    @classmethod
    def _increasing(cls, schedule: list[float]) -> list[float]:
        if not 1 <= len(schedule) <= 50:
            raise ValueError("must have between 1 and 50 steps")
        if any(step <= 0 for step in schedule) or any(b <= a for a, b in itertools.pairwise(schedule)):
            raise ValueError("must be positive durations in increasing order")
        return schedule


class ProcessorSettings(_Section):
    batch_size: int = Field(50, ge=1, description="Records per transaction.")
    poll_timeout_ms: int = Field(1000, ge=10)
    max_attempts: int = Field(3, ge=1, description="Tries of a record that fails unexpectedly before the DLQ.")
    session_timeout_ms: int = Field(10_000, ge=6000, description="How soon a dead replica's partitions move.")
    static_membership: bool = Field(False, description="Join the group as <app_id>.<instance_id> (stable ids).")
    stall_timeout_s: float = Field(60.0, gt=0, description="Replace a consumer that gets no records despite lag.")
    extract_timeout_s: float = Field(
        30.0,
        gt=0,
        description="Deadline for extracting one page; past it the work is stopped and the page dead-lettered.",
    )
    extract_memory_mb: int = Field(1536, ge=256, description="Address-space ceiling of the extraction process.")
    language_engine: Literal["langdetect-rs", "langdetect"] = Field(
        "langdetect-rs",
        description=(
            "Language detector: langdetect-rs (langdetect's algorithm and profiles in Rust, the same answers, ~15x"
            " faster a call) or langdetect itself (the reference, pure Python)."
        ),
    )


class DedupeSettings(_Section):
    """Story identity (docs/dedupe.md). The thresholds' defaults come from `make bench-dedupe`."""

    window_days: float = Field(
        30.0, gt=0, description="A story not seen for this long is forgotten (its state evicted from the topic)."
    )
    near_duplicate_threshold: float = Field(
        0.6, gt=0, le=1, description="Estimated Jaccard similarity above which a text is a known story's."
    )
    translation_threshold: float = Field(
        0.55, gt=0, le=1, description="Anchor score above which a story is a translation of one in another language."
    )
    translation_window_days: float = Field(3.0, gt=0, description="How recent a story must be to be translated.")
    sweep_interval_s: float = Field(3600.0, gt=0, description="How often expired stories are looked for.")
    store_dir: Path | None = Field(
        None,
        description=(
            "Directory of the processor's story store (RocksDB, the local copy of the story-state topic); kept across"
            " restarts, a restart reads only what the topic gained since. Unset: a temporary directory, rebuilt from"
            " the topic at every start. One process a directory."
        ),
    )


class WebSubSettings(_Section):
    """WebSub (PubSubHubbub): hubs push "this feed changed" and the feed is polled at once. Off by default."""

    enabled: bool = False
    callback_url: str | None = Field(
        None, description="Public base URL that reaches websub.port on the pollers, e.g. https://ingest.example/websub."
    )
    host: str = "0.0.0.0"
    port: int = Field(8001, ge=0, le=65535, description="Port of the callback endpoint; 0 picks a free port.")
    secret: SecretStr | None = Field(
        None,
        description="Master key: per-feed callback keys and hub secrets are derived from it; it is never sent.",
    )
    previous_secrets: list[SecretStr] = Field(
        default_factory=list,
        description="Master keys being rotated out: callbacks and deliveries made with them stay valid.",
    )
    lease_s: int = Field(864000, ge=3600, description="Subscription lease asked of hubs (renewed a day before).")

    @model_validator(mode="after")
    def _complete(self) -> WebSubSettings:
        if self.enabled and not (self.callback_url and self.secret):
            raise ValueError("websub.enabled needs callback_url and secret")
        return self


class ServerSettings(_Section):
    host: str = "0.0.0.0"
    port: int = Field(8000, ge=0, le=65535, description="/metrics, /healthz, /readyz; 0 picks a free port.")
    liveness_timeout_s: float = Field(120.0, gt=0, description="/healthz fails when a loop stalls this long.")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWS_INGEST_", env_nested_delimiter="__", extra="forbid", frozen=True)

    app_id: str = Field(
        "news-ingest",
        pattern=r"^[A-Za-z0-9._-]{1,100}$",
        description="Names internal topics and consumer groups: two deployments never share state.",
    )
    instance_id: str = Field(default_factory=socket.gethostname, description="This replica's name.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    shutdown_grace_s: float = Field(20.0, gt=0, description="After SIGTERM, how long to finish the current work.")
    max_backoff_s: float = Field(30.0, gt=0, description="Longest wait between retries while Kafka is unavailable.")
    kafka: KafkaSettings = KafkaSettings()
    topics: TopicSettings = TopicSettings()
    http: HttpSettings = HttpSettings()
    poller: PollerSettings = PollerSettings()
    processor: ProcessorSettings = ProcessorSettings()
    server: ServerSettings = ServerSettings()
    websub: WebSubSettings = WebSubSettings()
    dedupe: DedupeSettings = DedupeSettings()
    revisits: RevisitSettings = RevisitSettings()
    feeds: list[FeedSettings] = Field(default_factory=list)
    feeds_opml: Path | None = None

    @model_validator(mode="after")
    def _unique_feeds(self) -> Settings:
        for attribute in ("name", "url"):
            values = [getattr(feed, attribute) for feed in self.feeds]
            repeated = sorted({value for value in values if values.count(value) > 1})
            if repeated:
                raise ValueError(f"feeds: {attribute} must be unique, repeated: {', '.join(repeated)}")
        return self

    @model_validator(mode="after")
    def _own_topics_named_from_app_id(self) -> Settings:
        # The deployment's own topics default to its app_id, so that a second deployment with other defaults
        # never reads the first one's raw documents or writes into its compacted view.
        defaults = {
            "raw": f"{self.app_id}.raw",
            "latest": f"{self.app_id}.articles.latest",
            "dlq": f"{self.app_id}.dlq",
        }
        unset = {name: value for name, value in defaults.items() if not getattr(self.topics, name)}
        if unset:
            object.__setattr__(self, "topics", self.topics.model_copy(update=unset))
        return self

    # Internal topics carry app_id so that two deployments on one cluster never share state.
    @property
    def feed_state_topic(self) -> str:
        return f"{self.app_id}.feed-state"

    @property
    def story_state_topic(self) -> str:
        return f"{self.app_id}.story-state"

    @property
    def extracted_topic(self) -> str:
        """Between the two processing steps; one partition, so that every dedupe decision is taken in one order."""
        return f"{self.app_id}.extracted"

    @property
    def feed_registry_topic(self) -> str:
        """Its partitions are what the poller group divides: a feed belongs to the partition of its host."""
        return f"{self.app_id}.feeds"

    @property
    def revisit_topic(self) -> str:
        """Pending revisits of article pages (compacted), on the partition of their feed's host, like the feed."""
        return f"{self.app_id}.revisits"

    @property
    def backfill_state_topic(self) -> str:
        """How far each backfill source got (compacted): a backfill resumes where it stopped."""
        return f"{self.app_id}.backfill-state"

    @property
    def processor_group(self) -> str:
        return f"{self.app_id}.processor"

    @property
    def poller_group(self) -> str:
        return f"{self.app_id}.poller"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file arrives as init arguments; the environment overrides it.
        return (_ConventionalEnv(settings_cls), env_settings, init_settings)

    def masked(self) -> dict[str, Any]:
        """The settings as logged at start: secrets appear as '**********'."""
        return self.model_dump(mode="json", exclude={"feeds"}) | {"feeds": len(self.feeds)}


class _ConventionalEnv(PydanticBaseSettingsSource):
    """Environment names that operators already use, outside our prefix."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        return {"kafka": {"bootstrap_servers": bootstrap}} if bootstrap else {}


def load_settings(path: Path | None) -> Settings:
    """Read the YAML file (if any), apply the environment, validate; raise ConfigError saying what is wrong."""
    document: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"config file {path}: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"config file {path}: not valid YAML: {exc}") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"config file {path}: the top level must be a mapping of keys")
        document = loaded or {}
    settings = _validated(document, path)
    if settings.feeds_opml is None:
        return settings
    opml_path = settings.feeds_opml if path is None else (path.parent / settings.feeds_opml)
    try:
        listed = read_opml(opml_path)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"feeds_opml: {opml_path}: {exc}") from exc
    known = {feed.url for feed in settings.feeds}
    feeds = [feed.model_dump() for feed in settings.feeds] + [feed for feed in listed if feed["url"] not in known]
    return _validated({**document, "feeds": feeds}, path)


def _validated(document: dict[str, Any], path: Path | None) -> Settings:
    try:
        return Settings(**document)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from None


# Keys whose values are never shown in an error, whatever was given (a secret given as a list is still a secret).
_SECRET_KEY = re.compile(r"password|secret|token|credential", re.IGNORECASE)


def _describe(error: ValidationError, path: Path | None) -> str:
    where = f"config {path}" if path else "config"
    lines = [f"{where}: {error.error_count()} invalid setting(s):"]
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (misspelt?)"
        secret = any(_SECRET_KEY.search(str(part)) for part in item["loc"])
        if item["type"] in ("missing", "extra_forbidden"):
            shown = ""
        elif secret:
            shown = " (the value is a secret: not shown)"
        else:
            shown = f" (got {redact(repr(item['input'])):.80})"
        lines.append(f"  {key}: {message}{shown}")
    return "\n".join(lines)
