"""Name variants: the surface forms a news text uses for an actor without being told.

From an actor's name, aliases and type, :func:`actor_variants` generates the other forms
it goes by: surnames and titles of people ("Mr. Obama"), acronyms of organizations
("GNA", "G.N.A."), demonyms and capitals of countries ("Turkish", "Ankara"), plurals and
members of parties and groups ("Republicans", "Houthis"), the short names of companies
("Larchmont"), the national forms of governments ("Syria's government", "Damascus"),
the heads of names ("the Commission") and the other names of well-known organizations.
The rules for one kind of name (:func:`person_variants`, :func:`acronyms`,
:func:`party_variants`...) are public too, for discovery to cluster names with them.

Example:
    >>> actor_variants("Barack Obama", type="person")[:3]
    ['Obama', 'Mr. Obama', 'Mr Obama']
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence

from stance.gazetteers import (
    Country,
    articles,
    company_words,
    country_index,
    country_keys,
    demonym_index,
    demonym_keys,
    family_first_names,
    find_country,
    function_words,
    government_words,
    heads,
    known_organizations,
    national_heads,
    organization_words,
    particles,
    suffixes,
    title_keys,
    titles,
    word_surnames,
)
from stance.names import is_capitalized, name_key, name_words

__all__ = [
    "acronyms",
    "actor_variants",
    "known_index",
    "party_variants",
    "person_variants",
]

# The values of Actor.type that mean a person or a country (the dictionary format lets
# users write any of them).
_PERSON_TYPES = frozenset(("person", "per", "people"))
_COUNTRY_TYPES = frozenset(("country", "state", "nation", "government", "gpe"))


@functools.lru_cache(maxsize=1)
def _article_prefix() -> re.Pattern[str]:
    """An Arabic article and its hyphen at the start of a word: "al-" of "al-Assad"."""
    # Longest first, so that "ash-" is not read as "as" followed by "h-".
    alternatives = "|".join(re.escape(a) for a in sorted(articles(), key=lambda a: (-len(a), a)))
    return re.compile(rf"(?i)({alternatives})[-‐‑](?=\w)")


@functools.lru_cache(maxsize=1)
def known_index() -> Mapping[str, tuple[str, ...]]:
    """``name key -> the other names`` of each name of a well-known organization.

    Example:
        >>> known_index()["nato"][:2]
        ('North Atlantic Treaty Organization', 'North Atlantic Treaty Organisation')
    """
    index: dict[str, list[str]] = {}
    for forms in known_organizations():
        for form in forms:
            index.setdefault(name_key(form), []).extend(f for f in forms if f != form)
    return {key: tuple(dict.fromkeys(forms)) for key, forms in index.items()}


def _looks_like_person(name: str) -> bool:
    """Whether an untyped name reads as a person's full name ("Khalifa Haftar")."""
    words = name_words(name)
    while words and name_key(words[0]) in title_keys():
        words = words[1:]
    if not 2 <= len(words) <= 5 or find_country(name) is not None:
        return False
    demonyms = demonym_keys()
    org_words = organization_words()
    for word in words:
        key = name_key(word)
        if key in particles() or key in articles():
            continue
        if key in function_words() or key in demonyms or any(c.isdigit() for c in word):
            return False
        if any(part in org_words for part in key.split()):
            return False
        if not (is_capitalized(word) or _article_prefix().match(word)):
            return False
    # "Greenpeace France", "Health New Zealand" (but "Jordan Peterson" is a person).
    keys = [name_key(w) for w in words]
    for n in range(1, 4):
        for i in range(1, len(keys) - n + 1):
            if " ".join(keys[i : i + n]) in country_keys():
                return False
    return is_capitalized(words[0])


def person_variants(name: str) -> list[str]:
    """Surname forms of a person's full name, bare and after titles.

    Example:
        >>> person_variants("Khalifa Haftar")[:3]
        ['Haftar', 'Mr. Haftar', 'Mr Haftar']
    """
    words = name_words(name)
    while words and name_key(words[0]) in title_keys():
        words = words[1:]
    while len(words) > 2 and name_key(words[-1]).replace(" ", "").strip(".") in suffixes():
        words = words[:-1]
    if len(words) < 2:
        return []
    surnames: list[str] = []
    bare: list[str] = []  # surnames that may stand alone
    first = name_key(words[0])
    if (
        first in family_first_names()
        and len(words) in (2, 3)
        and all(is_capitalized(w) for w in words)
    ):
        surnames.append(words[0])
    else:
        last = words[-1]
        i = len(words) - 1
        while i > 1 and name_key(words[i - 1]) in particles() | articles():
            i -= 1
        with_particles = " ".join(words[i:])
        prefix = _article_prefix().match(last)
        if i < len(words) - 1:
            surnames.append(with_particles)
            if all(name_key(w) in articles() for w in words[i:-1]):
                surnames.append(last)
        else:
            surnames.append(last)
        if prefix:
            surnames.append(last[prefix.end() :])
    variants = []
    surnames = [s for s in surnames if name_key(s)]
    for surname in surnames:
        if name_key(surname) not in word_surnames() and len(name_key(surname)) > 1:
            bare.append(surname)
    variants.extend(bare)
    for surname in surnames:
        for title in titles():
            variants.append(f"{title} {surname}")
            if title.endswith("."):
                variants.append(f"{title[:-1]} {surname}")
    return variants


def acronyms(name: str) -> list[str]:
    """``GNA`` and ``G.N.A.`` for "Government of National Accord".

    Example:
        >>> acronyms("Government of National Accord")
        ['GNA', 'G.N.A.']
    """
    words = [w for w in re.split(r"[\s\-‐‑]+", name) if w]
    skipped = function_words() | articles()
    content = [w for w in words if name_key(w) not in skipped]
    if len(content) < 2 or len(content) > 8 or not all(is_capitalized(w) for w in content):
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


def party_variants(name: str) -> list[str]:
    """Members and short names of a party: Republican Party -> Republicans, Republican.

    Example:
        >>> party_variants("Democratic Party")
        ['Democrats', 'Democrat', 'Democratic']
    """
    words = name_words(name)
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
    variants = [" ".join([*base[:-1], _plural(noun)])]
    if noun.lower().endswith(("an", "at", "ist", "ive", "al", "ic")):
        variants.append(" ".join([*base[:-1], noun]))  # a Republican, a Liberal Democrat
    if len(base) == 1 and noun != last and lower not in word_surnames():
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
    words = name_words(name)
    while len(words) > 1 and name_key(words[-1]) in company_words():
        words = words[:-1]
    head = " ".join(words)
    key = name_key(head)
    if head == name or not all(is_capitalized(w) for w in words):
        return []
    if key in country_keys() or key in demonym_keys() or key in function_words():
        return []
    if any(part in organization_words() for part in key.split()):
        return []
    return [head]


def _national_variants(name: str) -> list[str]:
    """Syrian government <-> Syria's government, and Damascus for a government."""
    words = name_words(name)
    for n in (3, 2, 1):
        if len(words) <= n:
            continue
        head = " ".join(words[:n])
        key = name_key(head)
        possessive = key.endswith(" ' s")
        if possessive:
            key = key[: -len(" ' s")]
        country = country_index().get(key, ())
        by_demonym = demonym_index().get(key, ())
        found = country if len(country) == 1 else by_demonym if len(by_demonym) == 1 else ()
        if not found:
            continue
        place = found[0]
        rest = " ".join(words[n:])
        variants = [f"{place.name}'s {rest}", f"{place.name} {rest}"]
        if place.demonyms:
            variants.append(f"{place.demonyms[0]} {rest}")
        head = name_key(words[n])
        if head in government_words():
            variants.extend(place.capitals)
        if n + 1 == len(words) and head in national_heads():
            # "the junta", "the army": two such actors in a text make it ambiguous.
            variants.append(f"the {words[n]}")
            if head in ("junta", "regime"):
                variants.append(words[n])
        return [v for v in variants if name_key(v) != name_key(name)]
    return []


def _head_variants(name: str) -> list[str]:
    """ "the Commission" for the European Commission: the capitalized head of the name."""
    words = name_words(name)
    if "of" in words:
        words = words[: words.index("of")]
    if len(words) < 2 or not is_capitalized(words[-1]) or name_key(words[-1]) not in heads():
        return []
    return [f"the {words[-1]}"]


def _country_variants(country: Country) -> list[str]:
    return [country.name, *country.aliases, *country.demonyms, *country.capitals]


def _actor_country(forms: Sequence[str], type: str | None) -> Country | None:
    if type is not None and type not in _COUNTRY_TYPES:
        return None
    for form in forms:
        country = find_country(form)
        if country is not None:
            return country
    return None


def actor_variants(name: str, aliases: Sequence[str] = (), type: str | None = None) -> list[str]:
    """The generated surface forms of an actor (its name and aliases not included).

    Args:
        name: The actor's canonical name.
        aliases: Its other names.
        type: Its type (``"person"``, ``"country"``, ``"organization"``, ``"group"``...),
            or ``None`` when unknown: then the name decides whether it reads as a person.

    Returns:
        The variants, in the order generated; some may repeat.

    Example:
        >>> actor_variants("Turkey", type="country")[:3]
        ['Turkey', 'Türkiye', 'Republic of Turkey']
    """
    forms = (name, *aliases)
    variants: list[str] = []
    for form in forms:
        variants.extend(known_index().get(name_key(form), ()))
    country = _actor_country(forms, type)
    if country is not None:
        variants.extend(_country_variants(country))
    elif type in _PERSON_TYPES or (type is None and _looks_like_person(name)):
        for form in forms:
            if form == name or _looks_like_person(form):
                variants.extend(person_variants(form))
        if type is None and len(name_words(name)) >= 3:
            # Untyped, it may be an organization after all (Médecins Sans Frontières).
            variants.extend(acronyms(name))
    else:
        for form in forms:
            variants.extend(_national_variants(form))
            if type in _COUNTRY_TYPES:
                continue
            variants.extend(acronyms(form))
            variants.extend(party_variants(form))
            variants.extend(_company_variants(form))
            variants.extend(_head_variants(form))
        if type in (None, "group"):
            variants.extend(_group_variants(name, singular=True))
    expanded = []
    for variant in variants:
        expanded.append(variant)
        # "the Kremlin" is also written "Kremlin".
        if variant.lower().startswith("the ") and is_capitalized(variant[4:]):
            expanded.append(variant[4:])
    return expanded
