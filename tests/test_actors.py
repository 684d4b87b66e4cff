"""Tests for stance.actors: actor dictionaries and mention finding."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stance.actors import Actor, Actors
from stance.gazetteers import countries, find_country
from stance.mentions import AmbiguousMention, Mention, MentionSearch, find_mentions
from stance.names import fold


def found(text: str, actors: object, **kwargs: bool) -> list[tuple[str, str]]:
    """(actor, surface text) of every mention, in order."""
    search = find_mentions(text, actors, **kwargs)  # type: ignore[arg-type]
    return [(m.actor, m.text) for m in search.mentions]


# ---------------------------------------------------------------------------- fold


@pytest.mark.parametrize(
    "text",
    [
        "Straße",
        "İstanbul",
        "Kalın",
        "ı",
        "e\u0301",  # e + combining acute
        "\u0301 lone mark",
        "emoji 😀👍🏽 and flags 🇹🇷",
        "ﬁnance",
        "Ǆ ǅ",
        "ΣΊΣΥΦΟΣ",
        "Haf\u00adtar",
        "",
    ],
)
def test_fold_keeps_length(text: str) -> None:
    assert len(fold(text)) == len(text)


def test_fold_strips_case_and_diacritics() -> None:
    assert fold("İbrahim Kalın") == "ibrahim kalin"
    assert fold("ÇAVUŞOĞLU") == "cavusoglu"
    assert fold("Çavuşoğlu") == fold("Cavusoglu")
    assert fold("Łódź Øresund") == "lodz oresund"


@given(st.text())
def test_fold_keeps_length_on_any_text(text: str) -> None:
    assert len(fold(text)) == len(text)


# ---------------------------------------------------------------------------- names and aliases


def test_canonical_name_and_given_aliases() -> None:
    actors = {"Government of National Accord": ["GNA", "government forces", "Tripoli"]}
    assert found("Government forces loyal to Tripoli pushed back.", actors) == [
        ("Government of National Accord", "Government forces"),
        ("Government of National Accord", "Tripoli"),
    ]


def test_case_and_diacritic_folding() -> None:
    actors = ["İbrahim Kalın", "Mevlüt Çavuşoğlu"]
    text = "Kalin spoke. ÇAVUŞOĞLU and Cavusoglu listened; Ibrahim Kalın left."
    assert found(text, actors) == [
        ("İbrahim Kalın", "Kalin"),
        ("Mevlüt Çavuşoğlu", "ÇAVUŞOĞLU"),
        ("Mevlüt Çavuşoğlu", "Cavusoglu"),
        ("İbrahim Kalın", "Ibrahim Kalın"),
    ]


def test_decomposed_diacritics_and_soft_hyphens_keep_original_offsets() -> None:
    text = "Mr. C\u0327avus\u0327og\u0306lu met Haf\u00adtar."
    search = find_mentions(text, ["Mevlüt Çavuşoğlu", "Khalifa Haftar"])
    assert [m.text for m in search.mentions] == ["Mr. C\u0327avus\u0327og\u0306lu", "Haf\u00adtar"]
    for m in search.mentions:
        assert text[m.start : m.end] == m.text


def test_word_boundaries() -> None:
    assert found("Romania and Iranian officials", ["Oman", "Iran"], variants=False) == []
    assert found("Oman and Iran.", ["Oman", "Iran"]) == [("Oman", "Oman"), ("Iran", "Iran")]


def test_possessives_cover_the_name_only() -> None:
    text = "Haftar's forces, Haftar’s allies and Reuters' report"
    search = find_mentions(text, ["Khalifa Haftar", "Reuters"])
    assert [(m.actor, m.text) for m in search.mentions] == [
        ("Khalifa Haftar", "Haftar"),
        ("Khalifa Haftar", "Haftar"),
        ("Reuters", "Reuters"),
    ]
    assert search.spans()["Khalifa Haftar"] == ((0, 6), (17, 23))


# ---------------------------------------------------------------------------- variants


def test_surname_and_title_for_a_person_given_by_full_name() -> None:
    text = "Mr. Obama met President Obama's aides; Obama left."
    assert found(text, ["Barack Obama"]) == [
        ("Barack Obama", "Mr. Obama"),
        ("Barack Obama", "President Obama"),
        ("Barack Obama", "Obama"),
    ]
    assert found(text, ["Barack Obama"], variants=False) == []


def test_surname_particles_and_family_first_names() -> None:
    actors = ["Bashar al-Assad", "Charles de Gaulle", "Xi Jinping", "Mohammed bin Salman"]
    text = "Assad, al-Assad, de Gaulle, Xi and bin Salman met; Salman did not."
    assert found(text, actors) == [
        ("Bashar al-Assad", "Assad"),
        ("Bashar al-Assad", "al-Assad"),
        ("Charles de Gaulle", "de Gaulle"),
        ("Xi Jinping", "Xi"),
        ("Mohammed bin Salman", "bin Salman"),
    ]


def test_generated_surnames_keep_their_capital() -> None:
    # "May" is a month and a verb: only "Mrs. May" and the full name count.
    actors = ["Theresa May", "George Bush"]
    text = "Mrs. May said she may meet Bush in May; the bush burned."
    assert found(text, actors) == [("Theresa May", "Mrs. May"), ("George Bush", "Bush")]


def test_typed_person_gets_surname_even_with_an_unusual_name() -> None:
    actors = {"Philip Green": {"type": "person"}}
    assert found("Green said.", actors) == [("Philip Green", "Green")]


def test_demonyms_and_capitals() -> None:
    text = "Turkish forces advanced, Ankara said, as the Kremlin and Moscow objected."
    assert found(text, ["Turkey", "Russia"]) == [
        ("Turkey", "Turkish"),
        ("Turkey", "Ankara"),
        ("Russia", "the Kremlin"),
        ("Russia", "Moscow"),
    ]


def test_country_aliases_and_short_acronyms_are_case_sensitive() -> None:
    text = "Let us go: the US and the U.S. and America; Americans and Washington."
    assert found(text, ["United States"]) == [
        ("United States", "US"),
        ("United States", "U.S."),
        ("United States", "America"),
        ("United States", "Americans"),
        ("United States", "Washington"),
    ]


def test_country_given_by_alias_gets_the_table_forms() -> None:
    assert found("American and U.S. officials", ["USA"]) == [("USA", "American"), ("USA", "U.S.")]


def test_party_plurals() -> None:
    text = "Republicans and a Republican senator; Democrats and the Labour vote."
    actors = ["Republican Party", "Democratic Party", "Labour Party"]
    assert found(text, actors) == [
        ("Republican Party", "Republicans"),
        ("Republican Party", "Republican"),
        ("Democratic Party", "Democrats"),
        ("Labour Party", "Labour"),
    ]


def test_group_plural() -> None:
    assert found("The Houthis fired.", ["Houthi"]) == [("Houthi", "Houthis")]
    assert found("A Houthi fighter.", {"Houthis": {"type": "group"}}) == [("Houthis", "Houthi")]


def test_acronyms() -> None:
    actors = ["Government of National Accord", "Libyan National Army", "United Nations"]
    text = "The GNA and the LNA, the UN and the U.N.; gna is not one."
    assert found(text, actors) == [
        ("Government of National Accord", "GNA"),
        ("Libyan National Army", "LNA"),
        ("United Nations", "UN"),
        ("United Nations", "U.N."),
    ]


def test_long_form_of_an_acronym_actor_is_found_in_the_text() -> None:
    text = "The Rapid Support Forces (RSF) shelled El Fasher; the RSF denied it."
    assert found(text, ["RSF"]) == [
        ("RSF", "Rapid Support Forces"),
        ("RSF", "RSF"),
        ("RSF", "RSF"),
    ]
    # People's: "Tigray People's Liberation Front" spells TPLF.
    assert found("the Tigray People's Liberation Front", ["TPLF"]) == [
        ("TPLF", "Tigray People's Liberation Front")
    ]


def test_known_organizations() -> None:
    text = "The UN refugee agency and the WHO warned; Brussels agreed."
    assert found(text, ["UNHCR", "World Health Organization", "European Union"]) == [
        ("UNHCR", "UN refugee agency"),
        ("World Health Organization", "WHO"),
        ("European Union", "Brussels"),
    ]


def test_national_institutions() -> None:
    actors = ["Syrian government", "Sudanese army", "Myanmar junta"]
    text = "Syria's government and Damascus; Sudan's army and the army; the junta."
    assert found(text, actors) == [
        ("Syrian government", "Syria's government"),
        ("Syrian government", "Damascus"),
        ("Sudanese army", "Sudan's army"),
        ("Sudanese army", "the army"),
        ("Myanmar junta", "the junta"),
    ]


def test_short_names_of_companies_and_heads_of_institutions() -> None:
    text = "Larchmont sued; the Commission said the Court would rule."
    actors = ["Larchmont Partners", "European Commission", "Constitutional Court"]
    assert found(text, actors) == [
        ("Larchmont Partners", "Larchmont"),
        ("European Commission", "the Commission"),
        ("Constitutional Court", "the Court"),
    ]


def test_organizations_are_not_taken_for_people() -> None:
    # Without the organization words these would get "Mr. Confederation" and "France".
    assert found("The AFC and France", ["Asian Football Confederation", "Greenpeace France"]) == [
        ("Asian Football Confederation", "AFC")
    ]


# ---------------------------------------------------------------------------- overlaps, ambiguity


def test_longest_match_wins() -> None:
    text = "The Libyan National Army and Libyan forces."
    search = find_mentions(text, ["Libya", "Libyan National Army"])
    assert [(m.actor, m.text) for m in search.mentions] == [
        ("Libyan National Army", "Libyan National Army"),
        ("Libya", "Libyan"),
    ]


def test_more_words_beat_an_explicit_shorter_name() -> None:
    # The UN is named explicitly, but "UN refugee agency" is a longer, generated UNHCR form.
    assert found("The UN refugee agency said", ["United Nations", "UNHCR"]) == [
        ("UNHCR", "UN refugee agency")
    ]


def test_explicit_alias_beats_a_generated_variant() -> None:
    # "Jordan" is the country's name and only a generated surname of the player.
    assert found("Jordan said.", ["Jordan", "Michael Jordan"]) == [("Jordan", "Jordan")]
    # A user actor "White House" keeps its mentions from the US's generated metonym.
    assert found("the White House said", ["United States", "White House"]) == [
        ("White House", "White House")
    ]


def test_alias_for_two_actors_is_ambiguous() -> None:
    actors = {"United States": ["Washington"], "Washington Post": ["Washington"]}
    search = find_mentions("Washington said.", actors)
    assert search.mentions == ()
    assert search.ambiguous == (
        AmbiguousMention(0, 10, "Washington", ("United States", "Washington Post")),
    )


def test_shared_surname_is_ambiguous() -> None:
    search = find_mentions("Bush spoke.", ["George Bush", "Laura Bush"])
    assert search.mentions == ()
    assert search.ambiguous[0].candidates == ("George Bush", "Laura Bush")


def test_shared_table_alias_is_ambiguous() -> None:
    search = find_mentions("Congo", ["Democratic Republic of the Congo", "Republic of the Congo"])
    assert [a.text for a in search.ambiguous] == ["Congo"]


def test_spans_and_counts_list_every_actor() -> None:
    search = find_mentions("Turkey and Turkey.", ["Turkey", "Egypt"])
    assert search.spans() == {"Turkey": ((0, 6), (11, 17)), "Egypt": ()}
    assert search.counts() == {"Turkey": 2, "Egypt": 0}
    assert search.found() == ("Turkey",)


def test_find_mentions_rejects_a_non_string_text() -> None:
    with pytest.raises(ValueError, match="string"):
        find_mentions(["Turkey"], ["Turkey"])  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- Actors


def test_coerce_forms() -> None:
    assert Actors.coerce(["Turkey", "Egypt"]).names == ("Turkey", "Egypt")
    by_alias = Actors.coerce({"Turkey": ["Ankara"], "Egypt": None, "Libya": "Tripoli"})
    assert by_alias["Turkey"].aliases == ("Ankara",)
    assert by_alias["Egypt"].aliases == ()
    assert by_alias["Libya"].aliases == ("Tripoli",)
    full = Actors.coerce({"Kalın": {"type": "Person", "affiliation": "Turkey", "aliases": []}})
    assert full["Kalın"] == Actor("Kalın", (), "person", "Turkey")
    assert Actors.coerce(full) is full


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ("Turkey", "wrap it in a list"),
        (42, "list of names or a dictionary"),
        (["Turkey", 3], "Actor #1"),
        (["Turkey", "Turkey"], "listed twice"),
        (["  "], "non-empty name"),
        ({"Turkey": {"alias": ["Ankara"]}}, "unknown keys"),
        ({"Turkey": 5}, "expected null, a list of aliases"),
        ({"Turkey": [1]}, "quote numbers"),
        ({"A": {"affiliation": "B"}, "B": {"affiliation": "A"}}, "cycle"),
        ({"A": {"affiliation": "A"}}, "affiliated with itself"),
    ],
)
def test_coerce_errors(obj: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Actors.coerce(obj)  # type: ignore[arg-type]


EXAMPLE_YAML = """\
Turkey:
  type: country
  aliases: [Ankara, Turkish government]
İbrahim Kalın:
  type: person
  affiliation: Turkey
Khalifa Haftar:
  aliases: [the renegade field marshal, LNA commander]
Government of National Accord:
  aliases: [GNA, government forces, Tripoli]
Egypt:
"""


def test_yaml_load_and_save_round_trip(tmp_path: Path) -> None:
    source = tmp_path / "actors.yaml"
    source.write_text(EXAMPLE_YAML, encoding="utf-8")
    actors = Actors.load(source)
    assert actors.names == (
        "Turkey",
        "İbrahim Kalın",
        "Khalifa Haftar",
        "Government of National Accord",
        "Egypt",
    )
    assert actors["İbrahim Kalın"].affiliation == "Turkey"
    assert actors["Egypt"] == Actor("Egypt")
    for name in ("copy.yaml", "copy.yml", "copy.json"):
        actors.save(tmp_path / name)
        assert Actors.load(tmp_path / name) == actors
    assert "İbrahim Kalın" in (tmp_path / "copy.yaml").read_text(encoding="utf-8")
    assert json.loads((tmp_path / "copy.json").read_text(encoding="utf-8"))["Egypt"] is None


def test_load_errors_name_the_file_and_entry(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("Turkey:\n  alias: [Ankara]\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.yaml.*'Turkey' has unknown keys"):
        Actors.load(bad)
    empty = tmp_path / "empty.yml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="is empty"):
        Actors.load(empty)
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match=r"Cannot parse .*broken\.json"):
        Actors.load(broken)
    with pytest.raises(ValueError, match=r"\.txt"):
        Actors.load(tmp_path / "actors.txt")


def test_merge_prefers_the_other_dictionary() -> None:
    discovered = Actors(
        [
            Actor("Turkey", ("Ankara",), "country"),
            Actor("Haftar", ("LNA",), "person"),
            Actor("Egypt", ("Cairo",), "country"),
            Actor("Kalın", type="person", affiliation="Haftar"),
        ]
    )
    user = Actors(
        [
            Actor("Turkey", ("Turkish government",)),
            Actor("Khalifa Haftar", ("Haftar",), "person"),
            Actor("Libyan National Army", ("LNA",)),
        ]
    )
    merged = discovered.merge(user)
    assert merged.names == ("Turkey", "Egypt", "Kalın", "Khalifa Haftar", "Libyan National Army")
    assert merged["Turkey"] == Actor("Turkey", ("Turkish government",))
    assert merged["Egypt"].aliases == ("Cairo",)
    # "Haftar" was the user's "Khalifa Haftar": affiliations follow it.
    assert merged["Kalın"].affiliation == "Khalifa Haftar"


def test_merge_drops_aliases_the_other_dictionary_owns() -> None:
    discovered = Actors([Actor("Libya", ("Tripoli", "Libyan"))])
    user = Actors([Actor("Government of National Accord", ("Tripoli",))])
    assert discovered.merge(user)["Libya"].aliases == ("Libyan",)


def test_roll_up_follows_chains() -> None:
    actors = Actors.coerce(
        {
            "Spokesman": {"affiliation": "Kalın"},
            "Kalın": {"affiliation": "Turkey"},
            "Turkey": None,
            "Haftar": {"affiliation": "LNA"},
        }
    )
    assert actors.roll_up() == {
        "Spokesman": "Turkey",
        "Kalın": "Turkey",
        "Turkey": "Turkey",
        "Haftar": "LNA",
    }


def test_actors_collection_protocol() -> None:
    actors = Actors.coerce(["Turkey", "Egypt"])
    assert len(actors) == 2
    assert "Turkey" in actors and "Libya" not in actors
    assert [a.name for a in actors] == ["Turkey", "Egypt"]
    with pytest.raises(KeyError, match="Libya"):
        actors["Libya"]


def test_country_table_covers_the_g20_and_is_well_formed() -> None:
    table = countries()
    assert len(table) >= 120
    names = [c.name for c in table]
    assert len(set(names)) == len(names)
    g20 = [
        "Argentina", "Australia", "Brazil", "Canada", "China", "France", "Germany", "India",
        "Indonesia", "Italy", "Japan", "Mexico", "Russia", "Saudi Arabia", "South Africa",
        "South Korea", "Turkey", "United Kingdom", "United States",
    ]  # fmt: skip
    for name in g20:
        assert name in names
    assert find_country("U.S.").name == "United States"  # type: ignore[union-attr]
    assert find_country("Türkiye").name == "Turkey"  # type: ignore[union-attr]
    assert find_country("Congo") is None  # two countries: not guessed


# ---------------------------------------------------------------------------- properties


names = st.text(min_size=1, max_size=12).filter(lambda s: s.strip() != "")


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=200),
    actor_names=st.lists(names, max_size=5, unique_by=str.strip),
    variants=st.booleans(),
)
def test_find_mentions_never_crashes_and_spans_are_consistent(
    text: str, actor_names: list[str], variants: bool
) -> None:
    # Put some names into the text so that matches actually happen.
    text = " ".join([text, *actor_names, text[:20]])
    search = find_mentions(text, actor_names, variants=variants)
    assert isinstance(search, MentionSearch)
    spans = sorted(
        [(m.start, m.end) for m in search.mentions] + [(a.start, a.end) for a in search.ambiguous]
    )
    for mention in [*search.mentions, *search.ambiguous]:
        assert 0 <= mention.start < mention.end <= len(text)
        assert text[mention.start : mention.end] == mention.text
    for (_, end), (start, _) in pairwise(spans):
        assert end <= start
    assert set(search.spans()) == {name.strip() for name in actor_names}
    assert all(isinstance(m, Mention) for m in search.mentions)
