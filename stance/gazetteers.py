"""The shipped word lists and tables that name variants, mention matching and discovery use.

Each list is a plain text file under ``stance/resources/`` (one entry per line, ``#``
comments) or a TSV file where an entry has fields: the country table with demonyms,
capitals and other names, the titles written before surnames, the words that mark
organizations, companies, governments and function words, the particles and articles
of surnames, the other names of well-known organizations and of collective actors
("Gulf states"), and the words around a name that discovery reads (places, forces,
roles, witnesses, events, descriptions). This module reads each
file once, on first use, and exposes it through a function that returns an immutable
value; edit the files, not the code, to change what is recognized.

Example:
    >>> find_country("U.S.").name
    'United States'
    >>> "mr" in title_keys()
    True
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

from stance.names import name_key

__all__ = [
    "Country",
    "articles",
    "bystander_words",
    "collectives",
    "common_acronyms",
    "company_words",
    "countries",
    "country_index",
    "country_keys",
    "demonym_keys",
    "description_heads",
    "event_words",
    "family_first_names",
    "find_country",
    "force_words",
    "function_words",
    "government_words",
    "heads",
    "known_organizations",
    "locative_words",
    "national_heads",
    "non_actor_words",
    "organization_words",
    "particles",
    "place_nouns",
    "role_words",
    "state_nouns",
    "suffixes",
    "title_keys",
    "titles",
    "word_surnames",
]


def _read(filename: str) -> str:
    return resources.files("stance").joinpath(f"resources/{filename}").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=32)
def _entries(filename: str) -> tuple[str, ...]:
    """The entries of a list file, in order: its lines, less blanks and ``#`` comments."""
    lines = (line.strip() for line in _read(filename).splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


# --------------------------------------------------------------------------------------
# Countries
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    """A row of the shipped country table (``stance/resources/countries.tsv``)."""

    name: str
    demonyms: tuple[str, ...] = ()
    capitals: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@functools.lru_cache(maxsize=1)
def countries() -> tuple[Country, ...]:
    """The shipped table of countries with their demonyms, capitals and other names.

    Raises:
        ValueError: when a row of ``countries.tsv`` has no country name.
    """
    text = _read("countries.tsv")
    rows = []
    for line_no, row in enumerate(csv.DictReader(io.StringIO(text), delimiter="\t"), start=2):
        if not row.get("country"):
            raise ValueError(f"countries.tsv line {line_no} has no country name.")

        def split(column: str, row: dict[str, str] = row) -> tuple[str, ...]:
            return tuple(p.strip() for p in (row.get(column) or "").split("|") if p.strip())

        rows.append(
            Country(row["country"].strip(), split("demonyms"), split("capitals"), split("aliases"))
        )
    return tuple(rows)


def _index_by(forms: Callable[[Country], Iterable[str]]) -> Mapping[str, tuple[Country, ...]]:
    """``name key of a form -> the countries with that form``, in table order."""
    index: dict[str, list[Country]] = {}
    for country in countries():
        for form in forms(country):
            entries = index.setdefault(name_key(form), [])
            if country not in entries:
                entries.append(country)
    return {key: tuple(value) for key, value in index.items()}


@functools.lru_cache(maxsize=1)
def country_index() -> Mapping[str, tuple[Country, ...]]:
    """``name key -> the countries of that name or alias`` (several when it is shared).

    Keys are :func:`stance.names.name_key` of the names and aliases (not the demonyms
    or capitals).
    """
    return _index_by(lambda country: (country.name, *country.aliases))


@functools.lru_cache(maxsize=1)
def country_keys() -> frozenset[str]:
    """The name keys of every country's name and aliases."""
    return frozenset(country_index())


@functools.lru_cache(maxsize=1)
def demonym_index() -> Mapping[str, tuple[Country, ...]]:
    """``demonym key -> the countries of that demonym`` ("turkish" -> Turkey), in table order."""
    return _index_by(lambda country: country.demonyms)


@functools.lru_cache(maxsize=1)
def demonym_keys() -> frozenset[str]:
    """The name keys of every country's demonyms ("turkish", "turks")."""
    return frozenset(demonym_index())


def find_country(name: str) -> Country | None:
    """The country of the table that ``name`` (a name or alias) denotes, if exactly one.

    Example:
        >>> find_country("U.S.").name
        'United States'
    """
    found = country_index().get(name_key(name), ())
    if name.lower().startswith("the "):
        found = found or country_index().get(name_key(name[4:]), ())
    return found[0] if len(found) == 1 else None


# --------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def titles() -> tuple[str, ...]:
    """Titles written before a surname ("Mr.", "President", "Lt. Gen."), as written, in order."""
    return _entries("titles.txt")


@functools.lru_cache(maxsize=1)
def title_keys() -> frozenset[str]:
    """The name keys of the titles, with and without a final period ("dr .", "dr")."""
    return frozenset(name_key(t) for t in titles()) | frozenset(
        name_key(t.rstrip(".")) for t in titles()
    )


@functools.lru_cache(maxsize=1)
def particles() -> frozenset[str]:
    """Particles that stay with a surname: "de Gaulle", "van der Leyen", "bin Salman"."""
    return frozenset(_entries("particles.txt"))


@functools.lru_cache(maxsize=1)
def articles() -> frozenset[str]:
    """Arabic articles: "al-Assad" is also written "Assad"."""
    return frozenset(_entries("articles.txt"))


@functools.lru_cache(maxsize=1)
def suffixes() -> frozenset[str]:
    """Suffixes that a full name may end with and its surname drops ("jr", "iii")."""
    return frozenset(_entries("suffixes.txt"))


@functools.lru_cache(maxsize=1)
def word_surnames() -> frozenset[str]:
    """Surnames that are also capitalized common words ("may", "price"): only after a title."""
    return frozenset(_entries("word_surnames.txt"))


@functools.lru_cache(maxsize=1)
def family_first_names() -> frozenset[str]:
    """East Asian family names, which come first: Xi Jinping -> Xi, Kim Jong Un -> Kim."""
    return frozenset(_entries("family_first_names.txt"))


# --------------------------------------------------------------------------------------
# Organizations and governments
# --------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def function_words() -> frozenset[str]:
    """Words that neither count in a match nor give a letter to an acronym ("the", "of")."""
    return frozenset(_entries("function_words.txt"))


@functools.lru_cache(maxsize=1)
def company_words() -> frozenset[str]:
    """Trailing words that a company's short name drops: Larchmont Partners -> Larchmont."""
    return frozenset(_entries("company_words.txt"))


@functools.lru_cache(maxsize=1)
def organization_words() -> frozenset[str]:
    """Words that mark a name as an organization's, company words included."""
    return frozenset(_entries("organization_words.txt")) | company_words()


@functools.lru_cache(maxsize=1)
def government_words() -> frozenset[str]:
    """Heads that make a national name a government ("Syrian government", "the junta")."""
    return frozenset(_entries("government_words.txt"))


@functools.lru_cache(maxsize=1)
def national_heads() -> frozenset[str]:
    """Heads of a national name that stand alone with "the": the government words, "army"..."""
    return government_words() | frozenset(_entries("national_heads.txt"))


@functools.lru_cache(maxsize=1)
def heads() -> frozenset[str]:
    """Heads of organization names that stand alone with "the": the Commission, the Court."""
    return frozenset(_entries("heads.txt"))


def _rows(filename: str) -> tuple[tuple[str, ...], ...]:
    """The tab-separated rows of a table of names: a canonical name, then its other names."""
    rows = []
    for line in _entries(filename):
        forms = tuple(form.strip() for form in line.split("\t") if form.strip())
        if len(forms) < 2:
            raise ValueError(
                f"{filename} has the row {line!r} with one name; give the "
                "canonical name and its other names, separated by tabs."
            )
        rows.append(forms)
    return tuple(rows)


@functools.lru_cache(maxsize=1)
def known_organizations() -> tuple[tuple[str, ...], ...]:
    """Well-known organizations, each as its canonical name followed by its other names.

    These are the names that neither an acronym nor a plural gives ("Doctors Without
    Borders" for Médecins Sans Frontières, "the Fed").

    Raises:
        ValueError: when a row of ``known_organizations.tsv`` has a single name.
    """
    return _rows("known_organizations.tsv")


# --------------------------------------------------------------------------------------
# Discovery: words around the entities that the tagger finds
# --------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def locative_words() -> frozenset[str]:
    """Prepositions after which a place is where something happens: "talks in Tripoli"."""
    return frozenset(_entries("locative_words.txt"))


@functools.lru_cache(maxsize=1)
def role_words() -> frozenset[str]:
    """Words between an actor and its speaker: "Turkish President Erdogan", "LNA spokesman"."""
    return frozenset(_entries("role_words.txt"))


@functools.lru_cache(maxsize=1)
def non_actor_words() -> frozenset[str]:
    """Entities that are not actors on their own: "State" of "Secretary of State", "European"."""
    return frozenset(_entries("non_actor_words.txt"))


@functools.lru_cache(maxsize=1)
def state_nouns() -> frozenset[str]:
    """What a demonym modifies when it stands for the state: "Turkish troops"."""
    return frozenset(_entries("state_nouns.txt"))


@functools.lru_cache(maxsize=1)
def place_nouns() -> frozenset[str]:
    """Nouns that make a name beside them a place: "the town of Tawergha", "Sirte airport"."""
    return frozenset(_entries("place_nouns.txt"))


@functools.lru_cache(maxsize=1)
def force_words() -> frozenset[str]:
    """An actor's own forces or camp: "Haftar's militia", "troops loyal to Haftar" are Haftar."""
    return frozenset(_entries("force_words.txt"))


@functools.lru_cache(maxsize=1)
def description_heads() -> frozenset[str]:
    """Heads of organization names also written "the court", "the agency" for that organization."""
    return frozenset(_entries("description_heads.txt"))


@functools.lru_cache(maxsize=1)
def bystander_words() -> frozenset[str]:
    """What a person quoted as a witness or commentator is called: "a shopkeeper", "analyst"."""
    return frozenset(_entries("bystander_words.txt"))


@functools.lru_cache(maxsize=1)
def collectives() -> tuple[tuple[str, ...], ...]:
    """Collective actors ("Europe", "Gulf states"), each as its canonical name, then its other names.

    Raises:
        ValueError: when a row of ``collectives.tsv`` has a single name.
    """
    return _rows("collectives.tsv")


@functools.lru_cache(maxsize=1)
def common_acronyms() -> frozenset[str]:
    """Words in capitals that name no actor ("GDP", "CEO", "READ MORE")."""
    return frozenset(_entries("common_acronyms.txt"))


@functools.lru_cache(maxsize=1)
def event_words() -> frozenset[str]:
    """First or last words of events, laws and documents: "Hurricane X", "the Paris Agreement"."""
    return frozenset(_entries("event_words.txt"))
