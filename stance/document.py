"""Reading an article: its actors and mentions, sentences, windows, and the passes to make.

How an article is read:

1. The actors are resolved (names, an alias dict, an :class:`~stance.actors.Actors`
   dictionary, or discovered with spaCy NER) and every mention of every actor is found
   (:func:`stance.mentions.find_mentions`).
2. The text is split into sentences (pysbd), and sentences into windows of ``window``
   consecutive sentences, one every ``stride`` sentences (or, with ``chunk_tokens``, into
   chunks of whole sentences of up to that many tokens, one pass each, no overlap): see
   :class:`stance.schema.ReadingSettings`.
3. Each window with two or more actors is a reading unit that knows every actor
   mentioned in it; :func:`stance.encoding.plan` turns it into the model's passes (one in
   ``all_pairs`` mode, one per pair in ``pair`` mode).
4. **Long text is never dropped.** A window too long for the encoder falls back to its
   sentences, and a sentence too long is cut in two at the white space nearest its
   middle (never inside a mention) until every piece fits. Only a piece with no white
   space left to cut at is skipped, with the reason.

The classifier scores the passes (:meth:`stance.classifier.StanceClassifier.analyze`)
and :mod:`stance.graph` aggregates the scores into a graph. This module imports neither.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import permutations
from typing import Any

from stance.actors import Actors
from stance.encoding import Group, InputEncoder, ModelInput, TextTooLongError, plan
from stance.mentions import Mention, MentionSearch, find_mentions
from stance.schema import Passage, ReadingSettings, Span

logger = logging.getLogger(__name__)

ActorsLike = Actors | Sequence[str] | Mapping[str, Any]


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=False)


def split_sentences(text: str) -> list[Span]:
    """Sentence spans ``(start, end)`` of ``text`` (pysbd), whitespace trimmed.

    pysbd's own ``char_span`` search compiles a regular expression for every sentence.
    With ``clean=False`` every sentence is a stretch of the text, so it is found with
    ``str.find`` from the end of the one before: the same spans on all 2,161 texts of
    ``data/``, 10.7 ms an article against 12.8 (validation articles, 2 cores).
    """
    spans = []
    cursor = 0
    for sentence in _segmenter().processor(text).process():
        start = text.find(sentence, cursor)
        if start < 0:  # pysbd changed the text (it should not with clean=False)
            logger.warning("Sentence not found in the text, not read: %r", sentence[:80])
            continue
        end = start + len(sentence)
        cursor = end
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


def windows(sentences: Sequence[Span], size: int) -> list[Span]:
    """Spans of ``size`` consecutive sentences, sliding one sentence at a time."""
    if size < 1:
        raise ValueError(f"window must be at least 1 sentence, got {size}.")
    if len(sentences) <= size:
        return [(sentences[0][0], sentences[-1][1])] if sentences else []
    return [(sentences[i][0], sentences[i + size - 1][1]) for i in range(len(sentences) - size + 1)]


def window_unit(text: str, mentions: Sequence[Mention], start: int, end: int) -> Group | None:
    """The reading unit of ``text[start:end]``: every actor mentioned inside it, with all
    their ordered pairs; ``None`` when fewer than two actors are mentioned."""
    inside = [m for m in mentions if m.start >= start and m.end <= end]
    names = list(dict.fromkeys(m.actor for m in inside))
    if len(names) < 2:
        return None
    spans = [tuple((m.start - start, m.end - start) for m in inside if m.actor == n) for n in names]
    return Group(text[start:end], names, spans, list(permutations(range(len(names)), 2)))


@dataclass(frozen=True)
class Pass:
    """One encoder pass over ``article[start:end]``: the group it marks and its input."""

    start: int
    end: int
    group: Group
    input: ModelInput


@dataclass
class Reading:
    """How an article is read: its actors, their mentions, its sentences and the passes
    to score."""

    text: str
    actors: Actors
    mentions: MentionSearch
    passes: list[Pass] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    sentences: list[Span] = field(default_factory=list)

    def focus(self, start: int, end: int, source: str, target: str) -> Span:
        """The shortest run of sentences of ``text[start:end]`` that mentions both
        ``source`` and ``target`` (the earliest of the shortest), cut to the pass: where an
        edge's evidence is shown. The whole span when no run does (no sentences known)."""
        parts = [(max(a, start), min(b, end)) for a, b in self.sentences if a < end and b > start]
        inside = [m for m in self.mentions.mentions if m.start >= start and m.end <= end]
        both = {source, target}
        best: Span = (start, end)
        for i in range(len(parts)):
            for j in range(i, len(parts)):
                a, b = parts[i][0], parts[j][1]
                if b - a >= best[1] - best[0]:
                    break
                # A mention, not its sentence, must lie in the run: pysbd may split a
                # name ("General Motors Co. Inc.").
                if both <= {m.actor for m in inside if m.start >= a and m.end <= b}:
                    best = (a, b)
                    break
        return best


def resolve_actors(text: str, actors: ActorsLike | None) -> Actors:
    """An :class:`Actors` dictionary from what the caller gave, or discovered by NER."""
    if actors is None:
        from stance.discovery import discover_actors

        return discover_actors(text)
    return Actors.coerce(actors)


def _cut(text: str, mentions: Sequence[Mention], start: int, end: int) -> int | None:
    """The white space nearest the middle of ``text[start:end]`` outside every mention."""
    middle = (start + end) // 2
    inside = [(m.start, m.end) for m in mentions if m.start < end and m.end > start]
    best = None
    for offset in range(start + 1, end - 1):
        free = text[offset].isspace() and not any(s < offset < e for s, e in inside)
        if free and (best is None or abs(offset - middle) < abs(best - middle)):
            best = offset
    return best


def passage_mentions(passage: Passage) -> MentionSearch:
    """The mentions a passage's annotation gives (gold spans), as a search result."""
    mentions = sorted(
        (Mention(a.name, s, e, passage.text[s:e]) for a in passage.actors for s, e in a.spans),
        key=lambda m: m.start,
    )
    return MentionSearch(tuple(mentions), (), passage.actor_names)


def chunks(
    text: str,
    sentences: Sequence[Span],
    mentions: Sequence[Mention],
    encoder: InputEncoder,
    budget: int,
) -> list[Span]:
    """Consecutive whole sentences packed into spans of at most ``budget`` tokens each
    (markers counted), none overlapping; a sentence longer than the budget is a span of
    its own (the reading cuts it later)."""
    tokenizer = encoder.tokenizer
    lengths = []
    for start, end in sentences:
        words = len(
            tokenizer(text[start:end], add_special_tokens=False, verbose=False)["input_ids"]
        )
        marked = sum(1 for m in mentions if m.start >= start and m.end <= end)
        lengths.append(words + 2 * marked)
    spans: list[Span] = []
    first, used = 0, 0
    for k, length in enumerate(lengths):
        if k > first and used + length > budget - 2:
            spans.append((sentences[first][0], sentences[k - 1][1]))
            first, used = k, 0
        used += length
    if sentences:
        spans.append((sentences[first][0], sentences[-1][1]))
    return spans


def read_document(
    text: str,
    actors: ActorsLike | None,
    encoder: InputEncoder,
    settings: ReadingSettings | None = None,
    mentions: MentionSearch | None = None,
) -> Reading:
    """Plan and encode the passes that read ``text``; see the module docstring.

    Args:
        text: The article.
        actors: Names, ``{name: [aliases]}``, an :class:`Actors` dictionary, or ``None``
            to discover them.
        encoder: The model's :class:`~stance.encoding.InputEncoder`.
        settings: Windows (size, stride) or token chunks; today's default without it.
        mentions: Mentions already found (gold spans, say); then they are not searched.

    Raises:
        ValueError: The text is empty.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("The text is empty; give the article to analyze.")
    settings = settings or ReadingSettings()
    dictionary = resolve_actors(text, actors)
    search = mentions if mentions is not None else find_mentions(text, dictionary)
    sentences = split_sentences(text)
    reading = Reading(text, dictionary, search, sentences=sentences)
    if settings.chunk_tokens:
        spans = chunks(text, sentences, search.mentions, encoder,
                       min(settings.chunk_tokens, encoder.max_length))  # fmt: skip
    else:
        every = windows(sentences, settings.window)
        spans = every[:: settings.stride]
        if every and spans[-1] != every[-1]:
            spans.append(every[-1])  # the article's last sentences are read too
    # (start, end, how it may still be split): "sentences", then "halves".
    pending = [(s, e, "sentences") for s, e in spans]
    while pending:
        start, end, fallback = pending.pop(0)
        unit = window_unit(text, search.mentions, start, end)
        if unit is None:
            continue
        groups = plan(unit, encoder.mode)
        try:
            inputs = [encoder(g) for g in groups]
        except TextTooLongError as err:
            parts = [s for s in sentences if s[0] >= start and s[1] <= end]
            if fallback == "sentences" and len(parts) > 1:
                pending[:0] = [(s, e, "sentences") for s, e in parts]
                continue
            cut = _cut(text, search.mentions, start, end)
            if cut is None:
                reading.skipped.append(f"characters {start}-{end}: {err}")
                logger.warning("Skipping characters %d-%d: %s", start, end, err)
                continue
            left_end = cut
            while left_end > start and text[left_end - 1].isspace():
                left_end -= 1
            right_start = cut
            while right_start < end and text[right_start].isspace():
                right_start += 1
            pending[:0] = [(start, left_end, "halves"), (right_start, end, "halves")]
            continue
        reading.passes += [Pass(start, end, g, x) for g, x in zip(groups, inputs)]
    return reading
