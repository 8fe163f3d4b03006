"""A deterministic corpus of distinct, realistic-looking news pages, published as raw documents."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from kafka import KafkaProducer

from processors.records import FeedEntry, FeedRef, RawDocument

_PLACES = ["Jakarta", "Lyon", "Hamburg", "Sevilla", "Surabaya", "Leeds", "Porto", "Graz", "Medan", "Nantes"]
_PEOPLE = ["Rina Wulandari", "Marc Dubois", "Anna Schmidt", "Lucía García", "Tom Hughes", "Budi Santoso"]
_TOPICS = {
    "en": (
        "council",
        "approved a plan to",
        "rebuild the harbour",
        "Officials said the work would start in",
        "Residents welcomed the decision but warned about the cost, estimated at",
        "million pounds.",
    ),
    "fr": (
        "conseil municipal",
        "a approuvé un projet pour",
        "rénover le port",
        "Les responsables ont indiqué que les travaux commenceraient en",
        "Les habitants ont salué la décision tout en s'inquiétant du coût, estimé à",
        "millions d'euros.",
    ),
    "de": (
        "Stadtrat",
        "hat einen Plan beschlossen, um",
        "den Hafen zu erneuern",
        "Die Arbeiten sollen nach Angaben der Verwaltung beginnen im",
        "Die Anwohner begrüßten die Entscheidung, warnten aber vor den Kosten von",
        "Millionen Euro.",
    ),
    "id": (
        "dewan kota",
        "menyetujui rencana untuk",
        "membangun kembali pelabuhan",
        "Para pejabat mengatakan pekerjaan akan dimulai pada",
        "Warga menyambut baik keputusan itu tetapi mengkhawatirkan biayanya, sekitar",
        "miliar rupiah.",
    ),
}


def page(number: int) -> tuple[str, str, str]:
    """(language, title, html) of story `number`: distinct text, the same every run."""
    rng = random.Random(number)
    language = sorted(_TOPICS)[number % len(_TOPICS)]
    body, verb, goal, start, cost, unit = _TOPICS[language]
    place, person = rng.choice(_PLACES), rng.choice(_PEOPLE)
    year, amount, votes = 2020 + rng.randint(0, 6), rng.randint(10, 900), rng.randint(20, 60)
    title = f"{place}: {body} {verb} {goal} ({number})"
    paragraphs = [
        f"{place.upper()} - The {body} of {place} {verb} {goal} on day {number}, after {votes} votes in favour."
        if language == "en"
        else f"{place.upper()} - {body.capitalize()} {place} {verb} {goal} ({number}, {votes}).",
        f"{start} {year}. {person} ({rng.randint(30, 70)}) — {rng.randint(1, 28)}/{rng.randint(1, 12)}/{year}.",
        f"{cost} {amount} {unit} " * 2,
        f"{person}: «{goal} {place} {number}». " * 3,
    ]
    paragraphs += [f"{start} {year + i}. {cost} {amount + i} {unit}" for i in range(rng.randint(1, 4))]
    html = (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8"><title>{title}</title></head><body>'
        f'<nav><a href="/">Home</a></nav><article><h1>{title}</h1>'
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "</article><footer>(c) Local Wire</footer></body></html>"
    )
    return language, title, html


def publish_corpus(bootstrap: str, topic: str, count: int, *, first: int = 0) -> None:
    """Publish stories `first` .. `first + count - 1` as raw documents, keyed as the poller keys them."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=20)
    feed = FeedRef(name="local-wire", url="https://wire.example/feed.xml")
    for number in range(first, first + count):
        language, title, html = page(number)
        url = f"https://wire.example/{language}/story-{number}"
        document = RawDocument(
            feed=feed,
            entry=FeedEntry(
                id=f"story-{number}",
                url=url,
                title=title,
                summary=None,
                authors=[],
                published_at=datetime(2022, 9, 13, tzinfo=UTC),
                updated_at=None,
                language=None,
            ),
            source="page",
            url=url,
            html=html,
            content_type="text/html; charset=utf-8",
            content_language=None,
            fetched_at=datetime(2022, 9, 13, 12, tzinfo=UTC),
        )
        producer.send(topic, key=f"url:{url}".encode(), value=document.to_json_bytes())
    producer.flush()
    producer.close()
