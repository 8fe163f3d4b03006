from pathlib import Path

import pytest

from ingest.config import ConfigError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file() -> None:
    settings = load_settings(None)
    assert settings.app_id == "news-ingest"
    assert settings.kafka.bootstrap_servers == "127.0.0.1:9092"
    assert (settings.topics.articles, settings.topics.dlq) == ("news.articles", "news-ingest.dlq")
    assert (settings.topics.raw, settings.topics.latest) == ("news-ingest.raw", "news-ingest.articles.latest")
    assert settings.http.allow_private_addresses is False
    assert settings.feed_state_topic == "news-ingest.feed-state"


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "app_id: from-file\nhttp: {timeout_s: 7}\n")
    monkeypatch.setenv("NEWS_INGEST_HTTP__TIMEOUT_S", "3.5")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker-1:9092,broker-2:9092")
    settings = load_settings(path)
    assert settings.app_id == "from-file"
    assert settings.http.timeout_s == 3.5
    assert settings.kafka.bootstrap_servers == "broker-1:9092,broker-2:9092"


def test_errors_name_the_key_and_the_reason(tmp_path: Path) -> None:
    path = write(tmp_path, "http: {timeout_s: -1, max_bytes: lots}\nkafak: {}\nfeeds: [{name: x, url: 'ftp://x/f'}]\n")
    with pytest.raises(ConfigError) as error:
        load_settings(path)
    message = str(error.value)
    assert "http.timeout_s: Input should be greater than 0 (got -1)" in message
    assert "http.max_bytes" in message
    assert "kafak: unknown key (misspelt?)" in message
    assert "feeds.0.url: must be an absolute http(s) URL" in message


def test_sasl_needs_its_credentials(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SASL needs sasl_mechanism"):
        load_settings(write(tmp_path, "kafka: {security_protocol: SASL_SSL}\n"))


def test_secrets_are_masked_when_logged(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "kafka: {security_protocol: SASL_SSL, sasl_mechanism: SCRAM-SHA-512,"
        " sasl_username: u, sasl_password: s3cret}\n",
    )
    assert "s3cret" not in str(load_settings(path).masked())


def test_feed_names_must_be_unique(tmp_path: Path) -> None:
    path = write(tmp_path, "feeds: [{name: a, url: 'http://x/1'}, {name: a, url: 'http://x/2'}]\n")
    with pytest.raises(ConfigError, match="name must be unique, repeated: a"):
        load_settings(path)


def test_feeds_from_opml_are_added_without_repeats(tmp_path: Path) -> None:
    (tmp_path / "feeds.opml").write_text(
        """<?xml version="1.0"?><opml version="2.0"><body><outline text="group">
        <outline text="One" xmlUrl="http://x/1"/><outline title="Two" text="2" xmlUrl="http://x/2" language="ms"/>
        </outline><outline text="a folder without a feed"/></body></opml>""",
        encoding="utf-8",
    )
    path = write(tmp_path, "feeds: [{name: first, url: 'http://x/1'}]\nfeeds_opml: feeds.opml\n")
    feeds = load_settings(path).feeds
    assert [(f.name, f.url, f.language) for f in feeds] == [("first", "http://x/1", None), ("Two", "http://x/2", "ms")]


def test_a_missing_file_or_bad_yaml_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="No such file"):
        load_settings(tmp_path / "absent.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(write(tmp_path, "feeds: [unclosed\n"))
    with pytest.raises(ConfigError, match="mapping"):
        load_settings(write(tmp_path, "- a list\n"))


def test_the_demo_config_is_valid() -> None:
    demo = Path(__file__).resolve().parents[2] / "demo" / "config.yaml"
    settings = load_settings(demo)
    assert len(settings.feeds) == 4


def test_the_user_agent_must_name_the_product_and_a_contact(tmp_path: Path) -> None:
    path = tmp_path / "ua.yaml"
    for agent, ok in (
        ("news-ingest/0.1 (+https://newsroom.example/bot)", True),
        ("newsroom-bot/2 (ops@newsroom.example)", True),
        ("Mozilla/5.0", False),
        ("just a crawler https://x.example", False),
    ):
        path.write_text(f"http: {{user_agent: '{agent}'}}\n", encoding="utf-8")
        if ok:
            assert load_settings(path).http.user_agent == agent
        else:
            with pytest.raises(ConfigError, match=r"http\.user_agent: must start with a product token"):
                load_settings(path)


def test_secrets_and_url_credentials_never_appear_in_configuration_errors(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "kafka: {sasl_password: [hunter2-password]}\n"
        "websub: {secret: 12345678}\n"
        "feeds: [{url: 'https://user:pa55word@host/feed', name: x, interval_s: -1}]\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    message = str(caught.value)
    assert "kafka.sasl_password" in message and "websub.secret" in message and "feeds.0.interval_s" in message
    for secret in ("hunter2-password", "12345678", "pa55word"):
        assert secret not in message


def test_url_credentials_are_redacted_in_every_log_record(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from ingest.logs import configure_logging

    configure_logging("INFO")
    log = logging.getLogger("ingest.test")
    log.warning("fetch of https://user:pa55word@host/feed failed", extra={"url": "http://tok3n@host/x"})
    try:
        raise ValueError("cannot open https://user:pa55word@host/feed")
    except ValueError:
        log.exception("boom")
    err = capsys.readouterr().err
    assert "pa55word" not in err and "tok3n" not in err and "https://***@host/feed" in err


def test_a_deployments_own_topics_are_named_from_its_app_id_unless_set(tmp_path: Path) -> None:
    other = load_settings(write(tmp_path, "app_id: second\n"))
    assert (other.topics.raw, other.topics.latest, other.topics.dlq) == (
        "second.raw",
        "second.articles.latest",
        "second.dlq",
    )
    kept = load_settings(write(tmp_path, "app_id: second\ntopics: {raw: news.raw, latest: news.articles.latest}\n"))
    assert (kept.topics.raw, kept.topics.latest, kept.topics.dlq) == ("news.raw", "news.articles.latest", "second.dlq")
