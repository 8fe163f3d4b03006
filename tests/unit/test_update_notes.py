from pathlib import Path

import pytest

from processors.extract import extract_article
from processors.update_notes import NoteSplit, split_update_note

BODY = "First paragraph of the story, long enough to be article text.\nSecond paragraph of the story."

NOTES = {
    "en": "Updated at 12 noon on 13 September to add Russia's ceasefire announcement.",
    "id": "Diperbarui pada pukul 12 siang tanggal 13 September untuk menambahkan pengumuman gencatan senjata Rusia.",
    "ms": "Dikemas kini pada jam 12 tengah hari 13 September untuk menambah pengumuman gencatan senjata Rusia.",
    "fr": "Mis à jour à midi le 13 septembre pour ajouter l'annonce du cessez-le-feu par la Russie.",
    "es": "Actualizado a las 12 del mediodía del 13 de septiembre para añadir el anuncio de alto el fuego de Rusia.",
    "de": "Aktualisiert am 13. September um 12 Uhr mit der Ankündigung einer Waffenruhe durch Russland.",
    "pt": "Atualizado ao meio-dia de 13 de setembro para incluir o anúncio de cessar-fogo da Rússia.",
    "it": "Aggiornato alle 12 del 13 settembre per aggiungere l'annuncio del cessate il fuoco della Russia.",
    "nl": "Bijgewerkt om 12 uur op 13 september met de aankondiging van een staakt-het-vuren door Rusland.",
    "ru": "Обновлено в 12 часов дня 13 сентября: добавлено заявление России о прекращении огня.",
    "ar": "تم التحديث في الساعة 12 ظهرا يوم 13 سبتمبر لإضافة إعلان روسيا وقف إطلاق النار.",
    "tr": "Güncellendi: 13 Eylül öğlen saatlerinde Rusya'nın ateşkes duyurusu eklendi.",
}


@pytest.mark.parametrize("language", sorted(NOTES))
@pytest.mark.parametrize("where", ["start", "end"])
def test_the_note_leaves_the_text(language: str, where: str) -> None:
    note = NOTES[language]
    text = f"{note}\n{BODY}" if where == "start" else f"{BODY}\n{note}"
    split = split_update_note(text)
    assert split.note == note
    assert split.text == BODY


@pytest.mark.parametrize(
    "wrapped", ["(Updated at 3 pm to add quotes)", "[UPDATE: adds the death toll]", "*Updated with a new photo*"]
)
def test_wrapped_notes(wrapped: str) -> None:
    assert split_update_note(f"{BODY}\n{wrapped}").note == wrapped.strip("()[]*")


@pytest.mark.parametrize(
    "text",
    [
        BODY,
        "Updated figures from the ministry showed exports rose.\n" + BODY,  # a sentence, not a note
        "Diperbarui " + "sangat panjang " * 40 + "\n" + BODY,  # too long to be a note
        BODY.replace("long enough", "mis à jour hier, long enough"),  # inside a paragraph, not at its start
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert split_update_note(text) == NoteSplit(text, None)


def test_a_single_paragraph_is_never_all_note() -> None:
    assert split_update_note(NOTES["en"]).note is None


def test_declared_modification_time(demo_site: Path) -> None:
    page = (demo_site / "news" / "armenia-azerbaijan-bentrok.html.next").read_text(encoding="utf-8")
    article = extract_article(page, url=None, content_type="text/html")
    assert article.modified_at is not None and article.modified_at.isoformat() == "2022-09-13T05:00:00+00:00"
    json_ld = (
        '<html><head><script type="application/ld+json">{"@context": "https://schema.org", "@graph": '
        '[{"@type": "NewsArticle", "dateModified": "2022-09-14T08:30:00Z"}]}</script></head><body><article>'
        "<p>" + "Enough words to be an article paragraph here. " * 5 + "</p></article></body></html>"
    )
    modified = extract_article(json_ld, url=None, content_type=None).modified_at
    assert modified is not None and modified.isoformat() == "2022-09-14T08:30:00+00:00"
