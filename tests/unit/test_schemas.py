"""The committed JSON Schemas are the consumers' contract: they must match the record models."""

import json
from pathlib import Path

import jsonschema
import pytest

from ingest.cli import json_schema
from processors.records import TOPIC_RECORDS

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


@pytest.mark.parametrize("name", sorted(TOPIC_RECORDS))
def test_committed_schema_matches_the_model(name: str) -> None:
    committed = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema(name, TOPIC_RECORDS[name]), "run `make schema` and commit the result"
    jsonschema.Draft202012Validator.check_schema(committed)


def test_article_schema_requires_the_documented_fields() -> None:
    schema = json.loads((SCHEMAS / "article.schema.json").read_text(encoding="utf-8"))
    documented = {
        "story_id",
        "version",
        "url",
        "canonical_url",
        "feed",
        "title",
        "text",
        "language",
        "language_confidence",
        "authors",
        "published_at",
        "updated_at",
        "first_seen_at",
        "fetched_at",
        "update_note",
        "revision_of",
        "duplicate_of",
        "translation_of",
        "agency",
        "content_hash",
        "schema_version",
    }
    assert documented <= set(schema["required"]) | {"schema_version"}
    assert documented <= set(schema["properties"])
