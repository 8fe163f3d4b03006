"""Author lists hold people: dates, month names, job titles and sentences are not authors."""

from processors.authors import clean_authors


def test_names_are_kept_and_junk_is_not() -> None:
    given = [
        "Jane Doe",
        "By John Smith",
        "September",
        "12 September 2022",
        "2022-09-13 10:00",
        "Jane Doe is a reporter covering city hall for the Herald",
        "Staff",
        "AFP",
        "Redaksi",
        "jane doe",
        "Rina Wulandari",
        "oleh Budi Santoso",
        "https://news.example/authors/x",
        "editor@news.example",
        "Marc Dubois, Anna Schmidt",
        "Phil Helsel is a reporter",
        "Jeff Foust Monday",
        "Admin",
        "Staff writer",
    ]
    assert clean_authors(given) == [
        "Jane Doe",
        "John Smith",
        "AFP",
        "Rina Wulandari",
        "Budi Santoso",
        "Marc Dubois, Anna Schmidt",
        "Phil Helsel",
        "Jeff Foust",
    ]


def test_names_that_contain_a_month_word_inside_are_kept() -> None:
    assert clean_authors(["April Ryan", "Juni Pratama", "Augusto Pinto"]) == [
        "April Ryan",
        "Juni Pratama",
        "Augusto Pinto",
    ]
