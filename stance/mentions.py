"""Finding every mention of every actor in a text.

:func:`find_mentions` finds the mentions of the actors of an
:class:`~stance.actors.Actors` dictionary: the canonical names and aliases case- and
diacritic-insensitively, and (with ``variants=True``) the names a news text uses without
being told (see :mod:`stance.variants`): surnames and titles of people, acronyms of
organizations, demonyms and capitals of countries, and plurals of parties and groups.

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

import functools
import logging
from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stance.actors import Actors
from stance.gazetteers import function_words
from stance.names import Token, name_key, tokenize
from stance.schema import Span
from stance.variants import actor_variants

logger = logging.getLogger(__name__)

__all__ = [
    "AmbiguousMention",
    "Mention",
    "MentionSearch",
    "find_mentions",
]

EXPLICIT = 2
"""Priority of a canonical name or a user-given alias."""
GENERATED = 1
"""Priority of a generated variant (surname, acronym, demonym...)."""


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
    tokens = tokenize(form)
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
            for form in actor_variants(actor.name, actor.aliases, actor.type):
                add(form, actor.name, GENERATED)
    acronyms: dict[str, list[str]] = {}
    if variants:
        for actor in actors:
            for form in actor.surface_forms:
                letters = form.replace(".", "")
                if 3 <= len(letters) <= 6 and letters.isalpha() and letters.isupper():
                    owners_of = acronyms.setdefault(name_key(letters), [])
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
    text: str, tokens: Sequence[Token], acronyms: Mapping[str, tuple[str, ...]]
) -> Iterator[tuple[int, int, tuple[str, ...]]]:
    """Spans whose capitalized words spell an acronym actor: "Rapid Support Forces" for RSF."""
    longest = max((len(a) for a in acronyms), default=0)
    firsts = {a[0] for a in acronyms}
    skipped = function_words()
    for i, first in enumerate(tokens):
        if first.key[0] not in firsts or first.key in skipped:
            continue
        if not text[first.start].isupper():
            continue
        letters = ""
        j = i
        while j < len(tokens) and len(letters) < longest:
            token = tokens[j]
            if token.key in skipped and j > i:
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


def _case_fits(pattern: _Pattern, text: str, tokens: Sequence[Token]) -> bool:
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
    tokens = tokenize(text)
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
    skipped = function_words()
    content = [0]
    for t in tokens:
        content.append(content[-1] + (t.key[0].isalnum() and t.key not in skipped))
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
