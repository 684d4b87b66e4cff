"""Actor dictionaries, and finding every mention of every actor in a text.

An :class:`Actors` dictionary names the actors of a text, with the other names each one
goes by. :func:`find_mentions` finds their mentions: the canonical names and aliases
case- and diacritic-insensitively, and (with ``variants=True``) the names a news text
uses without being told: surnames and titles of people, acronyms of organizations,
demonyms and capitals of countries, and plurals of parties and groups.

Matching works on word tokens of a folded copy of the text, so a name never matches
inside a longer word ("Oman" is not found in "Romania"), and every span points into the
original text. When two surface forms overlap, the one with more words wins; with as
many words, an explicit name or alias beats a generated variant, then the longer and the
earlier match win. A form that fits two actors at the same priority is not guessed: it is
reported as ambiguous.

Example:
    >>> search = find_mentions("Mr. Obama met Turkish officials.", ["Barack Obama", "Turkey"])
    >>> [(m.actor, m.text) for m in search.mentions]
    [('Barack Obama', 'Mr. Obama'), ('Turkey', 'Turkish')]
"""

from __future__ import annotations

import csv
import functools
import io
import json
import logging
import os
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from stance.schema import Span

logger = logging.getLogger(__name__)

__all__ = [
    "Actor",
    "Actors",
    "AmbiguousMention",
    "Country",
    "Mention",
    "MentionSearch",
    "countries",
    "find_country",
    "find_mentions",
    "fold",
]

# --------------------------------------------------------------------------------------
# Folding: case and diacritics
# --------------------------------------------------------------------------------------

# Letters that carry no decomposable diacritic but that writers replace by a plain
# letter all the same (Kalın -> Kalin, Łódź -> Lodz). Multi-letter replacements only
# take effect in the matching key, never in fold(), which keeps one char per char.
_LETTERS = {
    "ı": "i",
    "ø": "o",
    "ł": "l",
    "đ": "d",
    "ħ": "h",
    "ŧ": "t",
    "ð": "d",
    "æ": "ae",
    "œ": "oe",
    "þ": "th",
    "ß": "ss",
    # Apostrophes and hyphens come in many shapes; Haftar’s is Haftar's.
    "’": "'",
    "‘": "'",
    "ʼ": "'",
    "`": "'",
    "´": "'",
    "′": "'",
    "‐": "-",
    "‑": "-",
}


@functools.lru_cache(maxsize=65536)
def _key_char(char: str) -> str:
    """The matching key of one character: folded, possibly empty or several characters.

    Combining marks and invisible format characters (soft hyphen, zero-width joiner)
    have an empty key, so "Kalı\u0307n", "Haf\u00adtar" and "Haftar" all compare equal.
    """
    if unicodedata.category(char) in ("Mn", "Me", "Mc", "Cf"):
        return ""
    out = []
    for part in unicodedata.normalize("NFKD", char):
        if unicodedata.combining(part) or unicodedata.category(part) in ("Mn", "Me", "Cf"):
            continue
        for low in part.casefold():
            out.append(_LETTERS.get(low, low))
    return "".join(out)


@functools.lru_cache(maxsize=65536)
def _fold_char(char: str) -> str:
    key = _key_char(char)
    if len(key) == 1:
        return key
    # An expansion (ß -> ss, ﬁ -> fi) or a lone mark: keep one character so offsets hold.
    lower = char.lower()
    return lower if len(lower) == 1 else char


def fold(text: str) -> str:
    """Casefold ``text`` and strip its diacritics, one character for one character.

    The result has the same length as ``text``, so an offset found in the folded text is
    an offset into the original. A character whose fold would take several characters
    (``ß``, the ligature ``ﬁ``) is only lowercased, and a lone combining mark is kept
    as it is.

    Example:
        >>> fold("İbrahim Kalın, ÇAVUŞOĞLU")
        'ibrahim kalin, cavusoglu'
    """
    return "".join(_fold_char(char) for char in text)


# --------------------------------------------------------------------------------------
# Actors and the dictionary format
# --------------------------------------------------------------------------------------

_ENTRY_KEYS = ("aliases", "type", "affiliation")


@dataclass(frozen=True)
class Actor:
    """One actor: its canonical name, the other names it goes by, its type and affiliation.

    Args:
        name: The canonical name, used in predictions and graphs.
        aliases: Other surface names of the actor in texts ("Ankara", "GNA").
        type: ``"person"``, ``"country"``, ``"organization"``, ``"group"``... or ``None``
            when unknown; it decides which name variants are generated.
        affiliation: The canonical name of the actor this one speaks for (a spokesman ->
            his country); :meth:`Actors.roll_up` follows it.

    Example:
        >>> Actor("İbrahim Kalın", type="person", affiliation="Turkey").affiliation
        'Turkey'
    """

    name: str
    aliases: tuple[str, ...] = ()
    type: str | None = None
    affiliation: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(
                f"An actor needs a non-empty name, got {self.name!r}; "
                "give the canonical name as a string."
            )
        name = self.name.strip()
        object.__setattr__(self, "name", name)
        aliases: Any = self.aliases
        if aliases is None:
            aliases = ()
        elif isinstance(aliases, str):
            aliases = (aliases,)
        elif not isinstance(aliases, Iterable):
            raise ValueError(
                f"The aliases of actor {name!r} must be a list of strings, got {aliases!r}."
            )
        cleaned: list[str] = []
        for alias in aliases:
            if not isinstance(alias, str):
                raise ValueError(
                    f"Actor {name!r} has an alias {alias!r} of type {type(alias).__name__}; "
                    "aliases must be strings (quote numbers in YAML)."
                )
            alias = alias.strip()
            if alias and alias != name and alias not in cleaned:
                cleaned.append(alias)
        object.__setattr__(self, "aliases", tuple(cleaned))
        for attr in ("type", "affiliation"):
            value = getattr(self, attr)
            if value is None:
                continue
            if not isinstance(value, str):
                raise ValueError(
                    f"The {attr} of actor {name!r} must be a string or null, got {value!r}."
                )
            value = value.strip() or None
            if attr == "type" and value is not None:
                value = value.lower()
            object.__setattr__(self, attr, value)
        if self.affiliation == name:
            raise ValueError(
                f"Actor {name!r} is affiliated with itself; leave affiliation empty for an "
                "actor that speaks for itself."
            )

    @property
    def surface_forms(self) -> tuple[str, ...]:
        """The canonical name followed by the aliases."""
        return (self.name, *self.aliases)

    def to_dict(self) -> dict[str, Any] | None:
        """The entry of this actor in the dictionary format (``None`` when it has none)."""
        entry: dict[str, Any] = {}
        if self.type is not None:
            entry["type"] = self.type
        if self.aliases:
            entry["aliases"] = list(self.aliases)
        if self.affiliation is not None:
            entry["affiliation"] = self.affiliation
        return entry or None


def _entry_to_actor(name: Any, value: Any) -> Actor:
    """One ``name: value`` entry of the dictionary format as an :class:`Actor`."""
    if not isinstance(name, str):
        raise ValueError(
            f"Actor names must be strings, got {name!r} of type {type(name).__name__}; "
            "quote the name in YAML."
        )
    if isinstance(value, Actor):
        if value.name != name.strip():
            raise ValueError(
                f"The entry {name!r} holds an Actor named {value.name!r}; key the entry by "
                "the actor's own name."
            )
        return value
    if value is None:
        return Actor(name)
    if isinstance(value, str):
        return Actor(name, (value,))
    if isinstance(value, Mapping):
        unknown = sorted(str(k) for k in value if k not in _ENTRY_KEYS)
        if unknown:
            raise ValueError(
                f"Actor {name!r} has unknown keys {unknown}; expected only {list(_ENTRY_KEYS)}."
            )
        return Actor(
            name,
            value.get("aliases") or (),
            value.get("type"),
            value.get("affiliation"),
        )
    if isinstance(value, Sequence):
        return Actor(name, tuple(value))
    raise ValueError(
        f"Actor {name!r} has the entry {value!r} of type {type(value).__name__}; expected null, "
        "a list of aliases, or a mapping with 'aliases', 'type' and 'affiliation'."
    )


class Actors:
    """An ordered, immutable collection of :class:`Actor`, unique by name.

    Build it from actors, or with :meth:`coerce` from a list of names or a dictionary,
    or with :meth:`load` from a YAML or JSON file::

        Turkey:
          type: country
          aliases: [Ankara, Turkish government]
        İbrahim Kalın:
          type: person
          affiliation: Turkey

    Raises:
        ValueError: on a repeated name, or on affiliations that form a cycle.

    Example:
        >>> actors = Actors.coerce({"Turkey": ["Ankara"], "İbrahim Kalın": None})
        >>> actors.names
        ('Turkey', 'İbrahim Kalın')
        >>> actors["Turkey"].aliases
        ('Ankara',)
    """

    __slots__ = ("_actors", "_by_name")

    def __init__(self, actors: Iterable[Actor]) -> None:
        items = tuple(actors)
        by_name: dict[str, Actor] = {}
        for actor in items:
            if not isinstance(actor, Actor):
                raise ValueError(
                    f"Actors holds Actor objects, got {actor!r}; use Actors.coerce() for "
                    "names or dictionaries."
                )
            if actor.name in by_name:
                raise ValueError(
                    f"The actor {actor.name!r} is listed twice; give each actor once and put "
                    "its other names in its aliases."
                )
            by_name[actor.name] = actor
        self._actors = items
        self._by_name = by_name
        self.roll_up()  # fail early on an affiliation cycle

    @classmethod
    def coerce(cls, obj: Actors | Sequence[str] | Mapping[str, Any]) -> Actors:
        """Build an :class:`Actors` from the forms users write.

        Args:
            obj: An :class:`Actors` (returned as is); a list of names (or :class:`Actor`);
                a dictionary ``name -> list of aliases``; or the dictionary format
                ``name -> {aliases: [...], type: ..., affiliation: ...}`` (a value may also
                be null or a single alias).

        Raises:
            ValueError: naming the entry that does not fit and the forms that do.
        """
        if isinstance(obj, Actors):
            return obj
        if isinstance(obj, str):
            raise ValueError(
                f"Expected a list of actor names or a dictionary, got the single string "
                f"{obj!r}; wrap it in a list: [{obj!r}]."
            )
        if isinstance(obj, Mapping):
            return cls(_entry_to_actor(name, value) for name, value in obj.items())
        if isinstance(obj, Sequence):
            actors: list[Actor] = []
            for i, item in enumerate(obj):
                if isinstance(item, Actor):
                    actors.append(item)
                elif isinstance(item, str):
                    actors.append(Actor(item))
                else:
                    raise ValueError(
                        f"Actor #{i} is {item!r} of type {type(item).__name__}; a list of actors "
                        "holds names (strings); use a dictionary to give aliases."
                    )
            return cls(actors)
        raise ValueError(
            f"Expected actors as a list of names or a dictionary name -> aliases, got "
            f"{type(obj).__name__}; for example ['Turkey', 'Khalifa Haftar'] or "
            "{'Turkey': ['Ankara']}."
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Actors:
        """Read a dictionary from a ``.yaml``/``.yml`` or ``.json`` file.

        Raises:
            ValueError: naming the file (and the entry) that does not fit the format.
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".yaml", ".yml", ".json"):
            raise ValueError(
                f"Cannot read actors from {path}: expected a .yaml, .yml or .json file, "
                f"got the extension {suffix!r}."
            )
        text = path.read_text(encoding="utf-8")
        try:
            data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError) as error:
            raise ValueError(f"Cannot parse the actor dictionary {path}: {error}") from None
        if data is None:
            raise ValueError(
                f"The actor dictionary {path} is empty; write one entry per actor, "
                "e.g. 'Turkey: [Ankara]'."
            )
        try:
            return cls.coerce(data)
        except ValueError as error:
            raise ValueError(f"In the actor dictionary {path}: {error}") from None

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the dictionary to ``path`` (YAML or JSON by extension) for :meth:`load`."""
        path = Path(path)
        suffix = path.suffix.lower()
        data = self.to_dict()
        if suffix == ".json":
            text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        elif suffix in (".yaml", ".yml"):
            text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        else:
            raise ValueError(
                f"Cannot save actors to {path}: expected a .yaml, .yml or .json file, "
                f"got the extension {suffix!r}."
            )
        path.write_text(text, encoding="utf-8")

    def to_dict(self) -> dict[str, Any]:
        """The dictionary format: ``{name: {type, aliases, affiliation} or None}``."""
        return {actor.name: actor.to_dict() for actor in self._actors}

    def merge(self, other: Actors) -> Actors:
        """The union of two dictionaries; on a name in both, ``other``'s entry wins.

        Meant for a user dictionary (``other``) over discovered actors (``self``): an actor
        of ``self`` whose name is a name or alias of an actor of ``other`` (up to case and
        diacritics) is taken to be that actor and dropped, and an alias of ``self`` that
        ``other`` gives to one of its actors is dropped too, so the two never compete.
        Affiliations to a dropped actor follow it to its new name.
        """
        other = Actors.coerce(other)
        owner: dict[str, str] = {}
        for actor in other:
            for form in actor.surface_forms:
                owner.setdefault(_form_key(form), actor.name)
        renamed: dict[str, str] = {}
        merged: list[Actor] = []
        for actor in self._actors:
            if actor.name in other:
                merged.append(other[actor.name])
                continue
            target = owner.get(_form_key(actor.name))
            if target is not None:
                logger.debug("Merging actor %r into %r.", actor.name, target)
                renamed[actor.name] = target
                continue
            aliases = tuple(a for a in actor.aliases if _form_key(a) not in owner)
            merged.append(Actor(actor.name, aliases, actor.type, actor.affiliation))
        seen = {actor.name for actor in merged}
        merged.extend(actor for actor in other if actor.name not in seen)
        result = []
        for actor in merged:
            affiliation = renamed.get(actor.affiliation or "", actor.affiliation)
            if affiliation == actor.name:
                affiliation = None
            result.append(Actor(actor.name, actor.aliases, actor.type, affiliation))
        return Actors(result)

    def roll_up(self) -> dict[str, str]:
        """Map each actor to the actor it counts for, following affiliation chains.

        An actor with no affiliation counts for itself. An affiliation to a name outside
        the dictionary still counts (the spokesman of an unlisted country rolls up to it).

        Raises:
            ValueError: when affiliations form a cycle.

        Example:
            >>> Actors([Actor("Kalın", affiliation="Turkey"), Actor("Turkey")]).roll_up()
            {'Kalın': 'Turkey', 'Turkey': 'Turkey'}
        """
        result: dict[str, str] = {}
        for actor in self._actors:
            chain = [actor.name]
            current: Actor | None = actor
            while current is not None and current.affiliation is not None:
                nxt = current.affiliation
                if nxt in chain:
                    raise ValueError(
                        f"The affiliations {' -> '.join([*chain, nxt])} form a cycle; "
                        "an actor must not speak, directly or not, for itself."
                    )
                chain.append(nxt)
                current = self._by_name.get(nxt)
            result[actor.name] = chain[-1]
        return result

    @property
    def names(self) -> tuple[str, ...]:
        """The canonical names, in order."""
        return tuple(actor.name for actor in self._actors)

    def __iter__(self) -> Iterator[Actor]:
        return iter(self._actors)

    def __len__(self) -> int:
        return len(self._actors)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> Actor:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"No actor named {name!r}; the actors are {list(self.names)}.") from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Actors) and self._actors == other._actors

    def __hash__(self) -> int:
        return hash(self._actors)

    def __repr__(self) -> str:
        return f"Actors({list(self._actors)!r})"


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
    """The shipped table of countries with their demonyms, capitals and other names."""
    text = resources.files("stance").joinpath("resources/countries.tsv").read_text(encoding="utf-8")
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


@functools.lru_cache(maxsize=1)
def _country_index() -> dict[str, tuple[Country, ...]]:
    index: dict[str, list[Country]] = {}
    for country in countries():
        for form in (country.name, *country.aliases):
            entries = index.setdefault(_form_key(form), [])
            if country not in entries:
                entries.append(country)
    return {key: tuple(value) for key, value in index.items()}


@functools.lru_cache(maxsize=1)
def _demonym_keys() -> frozenset[str]:
    return frozenset(_form_key(d) for country in countries() for d in country.demonyms)


def find_country(name: str) -> Country | None:
    """The country of the table that ``name`` (a name or alias) denotes, if exactly one.

    Example:
        >>> find_country("U.S.").name
        'United States'
    """
    found = _country_index().get(_form_key(name), ())
    if name.lower().startswith("the "):
        found = found or _country_index().get(_form_key(name[4:]), ())
    return found[0] if len(found) == 1 else None


# --------------------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class _Token:
    key: str  # folded
    start: int  # offsets into the original text
    end: int


def _tokenize(text: str) -> list[_Token]:
    """Word and punctuation tokens of the folded text, with offsets into ``text``."""
    chars: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        key = _key_char(char)
        chars.append(key)
        origin.extend([i] * len(key))
    key_text = "".join(chars)
    n = len(text)
    tokens = []
    for match in _TOKEN.finditer(key_text):
        start = origin[match.start()]
        end = origin[match.end() - 1] + 1
        # The marks and invisible characters after the last letter belong to it.
        while end < n and not _key_char(text[end]):
            end += 1
        tokens.append(_Token(match.group(), start, end))
    return tokens


def _form_key(form: str) -> str:
    """A surface form as a comparable string (folded tokens joined by spaces)."""
    return " ".join(token.key for token in _tokenize(form))


# --------------------------------------------------------------------------------------
# Variants
# --------------------------------------------------------------------------------------

EXPLICIT = 2
"""Priority of a canonical name or a user-given alias."""
GENERATED = 1
"""Priority of a generated variant (surname, acronym, demonym...)."""


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_FUNCTION_WORDS = _wordset(
    "of the for and de des du la le el in on to a an at by & und et y del della di da"
)
# Particles that stay with a surname ("de Gaulle", "van der Leyen", "bin Salman").
_PARTICLES = _wordset(
    "de du des da das di do dos del della der den van von ter ten le la bin ibn ben bint abu"
)
# Arabic articles: "al-Assad" is also written "Assad".
_ARTICLES = frozenset(("al", "el", "ul", "ad", "ar", "as", "ash", "at", "az", "an"))
_ARTICLE_PREFIX = re.compile(r"(?i)(al|el|ul|ad|ar|as|ash|at|az|an)[-‐‑](?=\w)")
_SUFFIXES = frozenset(("jr", "sr", "ii", "iii", "iv", "v", "phd", "md"))
_ORG_WORDS = _wordset(
    """party union council army forces force ministry bank court nations front movement group
    company inc inc. co corp corporation ltd llc plc association federation committee agency
    organization organisation institute institution university college school foundation fund
    trust authority commission office department service services police guard guards navy
    brigade brigades militia battalion regiment division corps alliance coalition congress
    parliament senate assembly cabinet administration government republic kingdom state states
    emirates islands island city province region airlines airways motors holdings media network
    news times post press journal television radio club church mosque society center centre
    board bureau tribunal command unit team brotherhood league house street square international
    national federal united global royal islamic democratic republican liberal conservative
    socialist communist labour labor greens people peoples popular revolutionary
    liberation resistance rebels tribe tribes clan council summit treaty pact accord agreement
    initiative programme program project exchange market markets
    tahrir jabhat harakat ansar jaish liwa kataib hizb jamaat ahrar majlis
    confederation football sports olympic mission forum observatory watch rights registry
    caucus bloc workers teachers ecologist action centre movement sans frontieres
    asian african european arab latin pacific atlantic nordic gulf middle eastern western
    northern southern central
    """
)
# Trailing words of a company's name that its short name drops: Larchmont Partners -> Larchmont.
_COMPANY_WORDS = _wordset(
    """inc inc. corp corp. corporation co co. ltd ltd. llc plc ag sa se nv bv gmbh spa asa ab oy
    group holdings holding partners capital line lines shipping logistics motors motor automobil
    automotive semiconductor semiconductors microdevices components electronics industries
    technologies technology systems software labs pharma pharmaceuticals energy energi resources
    mining steel airlines airways studios entertainment games media telecom communications
    insurance investments ventures"""
)
_ORG_WORDS = _ORG_WORDS | _COMPANY_WORDS
_TITLES = (
    "Mr.",
    "Mrs.",
    "Ms.",
    "Miss",
    "Dr.",
    "Prof.",
    "Professor",
    "President",
    "Vice President",
    "Prime Minister",
    "Premier",
    "Minister",
    "Foreign Minister",
    "Defence Minister",
    "Defense Minister",
    "Interior Minister",
    "Finance Minister",
    "Secretary",
    "Secretary of State",
    "Secretary-General",
    "General",
    "Gen.",
    "Lt. Gen.",
    "Maj. Gen.",
    "Brig. Gen.",
    "Col.",
    "Colonel",
    "Field Marshal",
    "Marshal",
    "Admiral",
    "Adm.",
    "Commander",
    "Senator",
    "Sen.",
    "Rep.",
    "Representative",
    "Congressman",
    "Congresswoman",
    "Governor",
    "Gov.",
    "Mayor",
    "Judge",
    "Justice",
    "Chancellor",
    "King",
    "Queen",
    "Prince",
    "Princess",
    "Crown Prince",
    "Emir",
    "Sheikh",
    "Sheik",
    "Sultan",
    "Ayatollah",
    "Imam",
    "Pope",
    "Cardinal",
    "Rabbi",
    "Ambassador",
    "Envoy",
    "Chairman",
    "Chairwoman",
    "Speaker",
    "Spokesman",
    "Spokeswoman",
    "Spokesperson",
    "Sir",
    "Dame",
    "Lord",
    "Lady",
    "Captain",
    "Capt.",
)
_TITLE_KEYS = frozenset(_form_key(t) for t in _TITLES) | frozenset(
    _form_key(t.rstrip(".")) for t in _TITLES
)
# Surnames that are also capitalized common words are only matched after a title.
_WORD_SURNAMES = _wordset(
    """may march april june july august january monday tuesday wednesday thursday friday
    saturday sunday will mark rose king prince queen said long little hope price young
    page bishop general major north south east west new young"""
)
# East Asian names put the family name first: Xi Jinping -> Xi, Kim Jong Un -> Kim.
_FAMILY_FIRST = _wordset(
    """xi hu wen li wang zhang liu chen yang zhao huang zhou wu xu zhu guo lin luo zheng liang
    xie tang feng deng cao peng zeng xiao tian dong pan yuan cai jiang du cheng wei lu ding ren
    shen yao qin mao kim park moon yoon choi jung kang cho shin ahn"""
)
# Other names of well-known organizations that neither an acronym nor a plural gives.
_KNOWN_ORGANIZATIONS = (
    ("United Nations", "UN", "U.N."),
    ("European Union", "EU", "E.U.", "Brussels"),
    ("European Commission", "Brussels"),
    ("UNHCR", "UN refugee agency", "U.N. refugee agency", "UN High Commissioner for Refugees"),
    ("World Health Organization", "World Health Organisation", "WHO", "UN health agency"),
    ("UNICEF", "UN children's agency", "U.N. children's agency", "United Nations Children's Fund"),
    ("World Food Programme", "WFP", "UN food agency", "U.N. food agency"),
    ("International Atomic Energy Agency", "IAEA", "UN nuclear watchdog", "U.N. nuclear watchdog"),
    ("North Atlantic Treaty Organization", "North Atlantic Treaty Organisation", "NATO", "Nato"),
    ("International Committee of the Red Cross", "ICRC", "Red Cross"),
    ("Médecins Sans Frontières", "MSF", "Doctors Without Borders"),
    ("Reporters Without Borders", "Reporters sans frontières"),
    ("International Monetary Fund", "IMF"),
    ("International Criminal Court", "ICC"),
    ("International Court of Justice", "ICJ", "World Court"),
    ("African Union", "AU"),
    ("Association of Southeast Asian Nations", "ASEAN"),
    ("Organization of the Petroleum Exporting Countries", "OPEC"),
    ("Arab League", "League of Arab States"),
    ("Gulf Cooperation Council", "GCC"),
    ("World Trade Organization", "WTO"),
    ("Islamic State", "ISIS", "ISIL", "Daesh"),
    ("Hezbollah", "Hizbollah", "Hizbullah"),
    ("al-Qaeda", "al-Qaida", "Al Qaeda"),
    ("Kurdistan Workers' Party", "PKK"),
    ("Federal Reserve", "the Fed"),
    ("Republican Party", "GOP", "G.O.P."),
    ("Conservative Party", "Tories", "Tory"),
    ("Liberal Democrats", "Lib Dems"),
)
_PERSON_TYPES = frozenset(("person", "per", "people"))
_COUNTRY_TYPES = frozenset(("country", "state", "nation", "government", "gpe"))


@functools.lru_cache(maxsize=1)
def _known_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for forms in _KNOWN_ORGANIZATIONS:
        for form in forms:
            index.setdefault(_form_key(form), []).extend(f for f in forms if f != form)
    return {key: tuple(dict.fromkeys(forms)) for key, forms in index.items()}


@functools.lru_cache(maxsize=1)
def _country_keys() -> frozenset[str]:
    return frozenset(_country_index())


def _words(name: str) -> list[str]:
    return name.replace(",", " ").split()


def _is_capitalized(word: str) -> bool:
    return bool(word) and word[0].isupper()


def _looks_like_person(name: str) -> bool:
    """Whether an untyped name reads as a person's full name ("Khalifa Haftar")."""
    words = _words(name)
    while words and _form_key(words[0]) in _TITLE_KEYS:
        words = words[1:]
    if not 2 <= len(words) <= 5 or find_country(name) is not None:
        return False
    demonyms = _demonym_keys()
    for word in words:
        key = _form_key(word)
        if key in _PARTICLES or key in _ARTICLES:
            continue
        if key in _FUNCTION_WORDS or key in demonyms or any(c.isdigit() for c in word):
            return False
        if any(part in _ORG_WORDS for part in key.split()):
            return False
        if not (_is_capitalized(word) or _ARTICLE_PREFIX.match(word)):
            return False
    # "Greenpeace France", "Health New Zealand" (but "Jordan Peterson" is a person).
    keys = [_form_key(w) for w in words]
    for n in range(1, 4):
        for i in range(1, len(keys) - n + 1):
            if " ".join(keys[i : i + n]) in _country_keys():
                return False
    return _is_capitalized(words[0])


def _person_variants(name: str) -> list[str]:
    """Surname forms of a person's full name, bare and after titles."""
    words = _words(name)
    while words and _form_key(words[0]) in _TITLE_KEYS:
        words = words[1:]
    while len(words) > 2 and _form_key(words[-1]).replace(" ", "").strip(".") in _SUFFIXES:
        words = words[:-1]
    if len(words) < 2:
        return []
    surnames: list[str] = []
    bare: list[str] = []  # surnames that may stand alone
    first = _form_key(words[0])
    if first in _FAMILY_FIRST and len(words) in (2, 3) and all(_is_capitalized(w) for w in words):
        surnames.append(words[0])
    else:
        last = words[-1]
        i = len(words) - 1
        while i > 1 and _form_key(words[i - 1]) in _PARTICLES | _ARTICLES:
            i -= 1
        with_particles = " ".join(words[i:])
        prefix = _ARTICLE_PREFIX.match(last)
        if i < len(words) - 1:
            surnames.append(with_particles)
            if all(_form_key(w) in _ARTICLES for w in words[i:-1]):
                surnames.append(last)
        else:
            surnames.append(last)
        if prefix:
            surnames.append(last[prefix.end() :])
    variants = []
    surnames = [s for s in surnames if _form_key(s)]
    for surname in surnames:
        if _form_key(surname) not in _WORD_SURNAMES and len(_form_key(surname)) > 1:
            bare.append(surname)
    variants.extend(bare)
    for surname in surnames:
        for title in _TITLES:
            variants.append(f"{title} {surname}")
            if title.endswith("."):
                variants.append(f"{title[:-1]} {surname}")
    return variants


def _acronyms(name: str) -> list[str]:
    """``GNA`` and ``G.N.A.`` for "Government of National Accord"."""
    words = [w for w in re.split(r"[\s\-‐‑]+", name) if w]
    content = [w for w in words if _form_key(w) not in _FUNCTION_WORDS | _ARTICLES]
    if len(content) < 2 or len(content) > 8 or not all(_is_capitalized(w) for w in content):
        return []
    letters = [w[0] for w in content if w[0].isalpha()]
    if len(letters) != len(content):
        return []
    acronym = "".join(letters).upper()
    forms = [acronym]
    if len(acronym) <= 4:
        forms.append(".".join(acronym) + ".")
    return forms


def _plural(word: str) -> str:
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def _party_variants(name: str) -> list[str]:
    """Members and short names of a party: Republican Party -> Republicans, Republican."""
    words = _words(name)
    if words and words[0].lower() == "the":
        words = words[1:]
    if len(words) < 2 or words[-1].lower() != "party":
        return []
    base = words[:-1]
    last = base[-1]
    lower = last.lower()
    if lower in ("labour", "labor"):
        return [" ".join(base)]
    noun = last[:-2] if lower.endswith("atic") else last  # Democratic -> Democrat
    plural = " ".join([*base[:-1], _plural(noun)])
    variants = [plural]
    if noun.lower().endswith(("an", "at", "ist", "ive", "al", "ic")):
        variants.append(" ".join([*base[:-1], noun]))  # a Republican, a Liberal Democrat
    if len(base) == 1 and noun != last and lower not in _WORD_SURNAMES:
        variants.append(last)  # a Democratic senator
    return variants


def _group_variants(name: str, singular: bool) -> list[str]:
    """Houthi -> Houthis for a one-word group name (and Houthis -> Houthi for a group)."""
    if " " in name or not name[:1].isupper() or len(name) < 3 or not name.isalpha():
        return []
    if name.endswith("s"):
        # Houthis -> Houthi, Kurds -> Kurd; never Hamas -> Hama.
        if not singular or name[-2] in "aeousy":
            return []
        return [name[:-1]]
    return [_plural(name)]


def _company_variants(name: str) -> list[str]:
    """The short name of a company: Larchmont Partners -> Larchmont."""
    words = _words(name)
    while len(words) > 1 and _form_key(words[-1]) in _COMPANY_WORDS:
        words = words[:-1]
    head = " ".join(words)
    key = _form_key(head)
    if head == name or not all(_is_capitalized(w) for w in words):
        return []
    if key in _country_keys() or key in _demonym_keys() or key in _FUNCTION_WORDS:
        return []
    if any(part in _ORG_WORDS for part in key.split()):
        return []
    return [head]


_GOVERNMENT_WORDS = _wordset(
    "government regime junta authorities administration cabinet leadership presidency"
)


def _national_variants(name: str) -> list[str]:
    """Syrian government <-> Syria's government, and Damascus for a government."""
    words = _words(name)
    for n in (3, 2, 1):
        if len(words) <= n:
            continue
        head = " ".join(words[:n])
        key = _form_key(head)
        possessive = key.endswith(" ' s")
        if possessive:
            key = key[: -len(" ' s")]
        country = _country_index().get(key, ())
        by_demonym = [c for c in countries() if key in {_form_key(d) for d in c.demonyms}]
        found = country if len(country) == 1 else tuple(by_demonym) if len(by_demonym) == 1 else ()
        if not found:
            continue
        place = found[0]
        rest = " ".join(words[n:])
        variants = [f"{place.name}'s {rest}", f"{place.name} {rest}"]
        if place.demonyms:
            variants.append(f"{place.demonyms[0]} {rest}")
        head = _form_key(words[n])
        if head in _GOVERNMENT_WORDS:
            variants.extend(place.capitals)
        if n + 1 == len(words) and head in _NATIONAL_HEADS:
            # "the junta", "the army": two such actors in a text make it ambiguous.
            variants.append(f"the {words[n]}")
            if head in ("junta", "regime"):
                variants.append(words[n])
        return [v for v in variants if _form_key(v) != _form_key(name)]
    return []


_NATIONAL_HEADS = _GOVERNMENT_WORDS | _wordset("army military navy police parliament")
# Heads of organization names that stand alone with "the": the Commission, the Court.
_HEADS = _wordset(
    """commission court council tribunal parliament assembly senate congress union federation
    league bank fund agency authority committee alliance coalition ministry"""
)


def _head_variants(name: str) -> list[str]:
    """ "the Commission" for the European Commission: the capitalized head of the name."""
    words = _words(name)
    if "of" in words:
        words = words[: words.index("of")]
    if len(words) < 2 or not _is_capitalized(words[-1]) or _form_key(words[-1]) not in _HEADS:
        return []
    return [f"the {words[-1]}"]


def _country_variants(country: Country) -> list[str]:
    return [country.name, *country.aliases, *country.demonyms, *country.capitals]


def _actor_country(actor: Actor) -> Country | None:
    if actor.type is not None and actor.type not in _COUNTRY_TYPES:
        return None
    for form in actor.surface_forms:
        country = find_country(form)
        if country is not None:
            return country
    return None


def _variants(actor: Actor) -> list[str]:
    """The generated surface forms of ``actor`` (its names and aliases not included)."""
    variants: list[str] = []
    for form in actor.surface_forms:
        variants.extend(_known_index().get(_form_key(form), ()))
    country = _actor_country(actor)
    if country is not None:
        variants.extend(_country_variants(country))
    elif actor.type in _PERSON_TYPES or (actor.type is None and _looks_like_person(actor.name)):
        for form in actor.surface_forms:
            if form == actor.name or _looks_like_person(form):
                variants.extend(_person_variants(form))
        if actor.type is None and len(_words(actor.name)) >= 3:
            # Untyped, it may be an organization after all (Médecins Sans Frontières).
            variants.extend(_acronyms(actor.name))
    else:
        for form in actor.surface_forms:
            variants.extend(_national_variants(form))
            if actor.type in _COUNTRY_TYPES:
                continue
            variants.extend(_acronyms(form))
            variants.extend(_party_variants(form))
            variants.extend(_company_variants(form))
            variants.extend(_head_variants(form))
        if actor.type in (None, "group"):
            variants.extend(_group_variants(actor.name, singular=True))
    expanded = []
    for variant in variants:
        expanded.append(variant)
        # "the Kremlin" is also written "Kremlin".
        if variant.lower().startswith("the ") and _is_capitalized(variant[4:]):
            expanded.append(variant[4:])
    return expanded


# --------------------------------------------------------------------------------------
# The matcher
# --------------------------------------------------------------------------------------

_FOLD, _INITIAL, _UPPER = "fold", "initial", "upper"


@dataclass(frozen=True)
class _Pattern:
    tokens: tuple[str, ...]
    case: str  # _FOLD: any case; _INITIAL: capitalized words stay capitalized; _UPPER: no lowercase
    capitals: tuple[bool, ...]  # which tokens start with a capital (for _INITIAL)


def _pattern(form: str, generated: bool) -> _Pattern | None:
    tokens = _tokenize(form)
    if not tokens:
        return None
    letters = [c for c in form if c.isalpha()]
    all_caps = bool(letters) and all(not c.islower() for c in letters)
    if all_caps and len(letters) <= 3:
        # A short acronym is matched in capitals only: "US" is not "us", "WHO" not "Who".
        case = _UPPER
    elif generated or all_caps:
        case = _INITIAL
    else:
        case = _FOLD
    capitals = tuple(not form[t.start].islower() and form[t.start].isalpha() for t in tokens)
    return _Pattern(tuple(t.key for t in tokens), case, capitals)


@dataclass(frozen=True)
class _Matcher:
    # first token -> [(pattern, {actor: priority})], longest patterns first
    index: Mapping[str, tuple[tuple[_Pattern, Mapping[str, int]], ...]]
    names: tuple[str, ...]
    # folded letters of an acronym name or alias ("gna") -> its actors, to find long forms
    acronyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@functools.lru_cache(maxsize=64)
def _matcher(actors: Actors, variants: bool) -> _Matcher:
    table: dict[_Pattern, dict[str, int]] = {}

    def add(form: str, actor: str, priority: int) -> None:
        pattern = _pattern(form, generated=priority == GENERATED)
        if pattern is None:
            logger.debug("The name %r of actor %r has no letters to match.", form, actor)
            return
        owners = table.setdefault(pattern, {})
        owners[actor] = max(priority, owners.get(actor, 0))

    for actor in actors:
        for form in actor.surface_forms:
            add(form, actor.name, EXPLICIT)
        if variants:
            for form in _variants(actor):
                add(form, actor.name, GENERATED)
    acronyms: dict[str, list[str]] = {}
    if variants:
        for actor in actors:
            for form in actor.surface_forms:
                letters = form.replace(".", "")
                if 3 <= len(letters) <= 6 and letters.isalpha() and letters.isupper():
                    owners_of = acronyms.setdefault(_form_key(letters), [])
                    if actor.name not in owners_of:
                        owners_of.append(actor.name)
    index: dict[str, list[tuple[_Pattern, Mapping[str, int]]]] = {}
    for pattern, owners in table.items():
        index.setdefault(pattern.tokens[0], []).append((pattern, owners))
    for entries in index.values():
        entries.sort(key=lambda entry: -len(entry[0].tokens))
    return _Matcher(
        {k: tuple(v) for k, v in index.items()},
        actors.names,
        {k: tuple(v) for k, v in acronyms.items()},
    )


def _long_forms(
    text: str, tokens: Sequence[_Token], acronyms: Mapping[str, tuple[str, ...]]
) -> Iterator[tuple[int, int, tuple[str, ...]]]:
    """Spans whose capitalized words spell an acronym actor: "Rapid Support Forces" for RSF."""
    longest = max((len(a) for a in acronyms), default=0)
    firsts = {a[0] for a in acronyms}
    for i, first in enumerate(tokens):
        if first.key[0] not in firsts or first.key in _FUNCTION_WORDS:
            continue
        if not text[first.start].isupper():
            continue
        letters = ""
        j = i
        while j < len(tokens) and len(letters) < longest:
            token = tokens[j]
            if token.key in _FUNCTION_WORDS and j > i:
                j += 1
                continue
            if token.key == "'" and j + 1 < len(tokens) and tokens[j + 1].key == "s":
                j += 2  # People's
                continue
            if not (token.key[0].isalpha() and text[token.start].isupper()):
                break
            letters += token.key[0]
            if letters in acronyms and j > i:
                yield first.start, token.end, acronyms[letters]
            j += 1


def _case_fits(pattern: _Pattern, text: str, tokens: Sequence[_Token]) -> bool:
    if pattern.case == _FOLD:
        return True
    if pattern.case == _UPPER:
        return not any(c.islower() for c in text[tokens[0].start : tokens[-1].end])
    return all(
        not text[token.start].islower()
        for token, capital in zip(tokens, pattern.capitals, strict=True)
        if capital
    )


# --------------------------------------------------------------------------------------
# Mentions
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mention:
    """One mention of an actor: ``text`` is ``original_text[start:end]``."""

    actor: str
    start: int
    end: int
    text: str

    @property
    def span(self) -> Span:
        """``(start, end)``."""
        return (self.start, self.end)


@dataclass(frozen=True)
class AmbiguousMention:
    """A surface form that fits several actors equally well; it is reported, not assigned."""

    start: int
    end: int
    text: str
    candidates: tuple[str, ...]

    @property
    def span(self) -> Span:
        """``(start, end)``."""
        return (self.start, self.end)


@dataclass(frozen=True)
class MentionSearch:
    """The mentions of the actors in a text.

    Attributes:
        mentions: The assigned mentions, sorted by start; they never overlap.
        ambiguous: Forms that fit several actors, sorted by start; not assigned.
        actor_names: The actors searched for, so that :meth:`spans` lists every one of
            them, found or not.
    """

    mentions: tuple[Mention, ...]
    ambiguous: tuple[AmbiguousMention, ...] = ()
    actor_names: tuple[str, ...] = field(default=())

    def spans(self) -> dict[str, tuple[Span, ...]]:
        """``actor -> its spans``, with every searched actor present (maybe ``()``)."""
        result: dict[str, list[Span]] = {name: [] for name in self.actor_names}
        for mention in self.mentions:
            result.setdefault(mention.actor, []).append(mention.span)
        return {name: tuple(spans) for name, spans in result.items()}

    def counts(self) -> dict[str, int]:
        """``actor -> number of mentions``, with every searched actor present."""
        return {name: len(spans) for name, spans in self.spans().items()}

    def found(self) -> tuple[str, ...]:
        """The actors mentioned at least once, in the order of the dictionary."""
        return tuple(name for name, spans in self.spans().items() if spans)


def find_mentions(
    text: str,
    actors: Actors | Sequence[str] | Mapping[str, Any],
    *,
    variants: bool = True,
) -> MentionSearch:
    """Find every mention of every actor in ``text``.

    Names and aliases match case- and diacritic-insensitively on word boundaries, with
    possessives ("Haftar's") matched on the name alone. With ``variants=True`` the
    generated forms match too: surnames and titles of people ("Mr. Obama"), acronyms
    ("GNA", "U.N.") and, for an actor named by an acronym, its long form spelled out in the
    text ("Rapid Support Forces" for "RSF"), demonyms and capitals of countries
    ("Turkish", "Ankara", "the Kremlin"), party or group plurals ("Republicans",
    "Houthis") and the heads of names ("the Commission", "the junta"). Generated forms and
    short acronyms must keep their capitals in the text ("May" is not "may", "US" is not
    "us").

    Overlaps resolve to the match with the most words (not counting "the", "of" or
    punctuation); then an explicit name or alias beats a generated variant, then the
    longest and the earliest match win. A form that fits several actors at the same
    priority is reported in ``ambiguous`` and not assigned.

    Args:
        text: The text to search.
        actors: An :class:`Actors`, a list of names, or a dictionary (see
            :meth:`Actors.coerce`).
        variants: Whether to generate surname, acronym, demonym and plural variants.

    Returns:
        A :class:`MentionSearch` whose spans point into ``text``.

    Raises:
        ValueError: when ``text`` is not a string or ``actors`` cannot be read.

    Example:
        >>> search = find_mentions("Haftar's forces", {"Khalifa Haftar": None})
        >>> search.spans()
        {'Khalifa Haftar': ((0, 6),)}
    """
    if not isinstance(text, str):
        raise ValueError(
            f"Expected the text as a string, got {type(text).__name__}; pass one text at a time."
        )
    actors = Actors.coerce(actors)
    matcher = _matcher(actors, variants)
    tokens = _tokenize(text)
    # (start, end) -> {actor: priority}
    found: dict[Span, dict[str, int]] = {}
    for i, token in enumerate(tokens):
        for pattern, owners in matcher.index.get(token.key, ()):
            n = len(pattern.tokens)
            if i + n > len(tokens):
                continue
            window = tokens[i : i + n]
            if any(t.key != p for t, p in zip(window, pattern.tokens, strict=True)):
                continue
            if not _case_fits(pattern, text, window):
                continue
            slot = found.setdefault((window[0].start, window[-1].end), {})
            for actor, priority in owners.items():
                slot[actor] = max(priority, slot.get(actor, 0))
    if matcher.acronyms:
        for start, end, names in _long_forms(text, tokens, matcher.acronyms):
            slot = found.setdefault((start, end), {})
            for actor in names:
                slot[actor] = max(GENERATED, slot.get(actor, 0))

    # Content words (not "the", "of" or punctuation) before each token, to measure matches.
    token_starts = [t.start for t in tokens]
    content = [0]
    for t in tokens:
        content.append(content[-1] + (t.key[0].isalnum() and t.key not in _FUNCTION_WORDS))
    candidates = []
    for (start, end), owners in found.items():
        top = max(owners.values())
        names = tuple(a for a in actors.names if owners.get(a) == top)
        words = content[bisect_left(token_starts, end)] - content[bisect_left(token_starts, start)]
        candidates.append((words, top, start, end, names))
    # The match with the most content words wins ("Libyan National Army" over "Libyan"); on
    # a tie an explicit name beats a generated variant ("White House" over "the White
    # House"), then the longer and the earlier match win.
    candidates.sort(key=lambda c: (-c[0], -c[1], -(c[3] - c[2]), c[2]))
    starts: list[int] = []
    ends: list[int] = []
    mentions: list[Mention] = []
    ambiguous: list[AmbiguousMention] = []
    for _, _, start, end, names in candidates:
        i = bisect_left(starts, start)
        if (i > 0 and ends[i - 1] > start) or (i < len(starts) and starts[i] < end):
            continue
        starts.insert(i, start)
        ends.insert(i, end)
        if len(names) == 1:
            mentions.append(Mention(names[0], start, end, text[start:end]))
        else:
            logger.debug("%r at %d fits several actors: %s", text[start:end], start, names)
            ambiguous.append(AmbiguousMention(start, end, text[start:end], names))
    mentions.sort(key=lambda m: m.start)
    ambiguous.sort(key=lambda m: m.start)
    return MentionSearch(tuple(mentions), tuple(ambiguous), actors.names)
