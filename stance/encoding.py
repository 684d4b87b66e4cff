"""From (text, actors) to model input: the one encoding function.

Training, evaluation and inference all go through :func:`encode` and :func:`collate`,
so the input format cannot drift between them.

Two modes:

* ``all_pairs`` (default): every mention of every actor is wrapped in the same pair of
  marker tokens, ``[E] Turkey [/E]``. One encoder pass gives every actor's vector (its
  start-marker states, pooled over its mentions), and every ordered pair is classified
  from those vectors.
* ``pair`` (reference): one pass per (source, target) pair, the source's mentions wrapped
  in ``[S] … [/S]`` and the target's in ``[T] … [/T]`` (typed markers, Zhou & Chen 2021).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from itertools import permutations
from typing import Any

import torch

from stance.schema import Passage, Span, StanceExample

MODES = ("all_pairs", "pair")


@dataclass(frozen=True)
class Markers:
    """The marker strings added to the tokenizer as special tokens."""

    entity_start: str = "[E]"
    entity_end: str = "[/E]"
    source_start: str = "[S]"
    source_end: str = "[/S]"
    target_start: str = "[T]"
    target_end: str = "[/T]"

    def tokens(self) -> list[str]:
        return list(asdict(self).values())

    def for_mode(self, mode: str, n_actors: int) -> list[tuple[str, str]]:
        """The (start, end) marker of each actor in ``mode``."""
        if mode == "all_pairs":
            return [(self.entity_start, self.entity_end)] * n_actors
        if mode == "pair":
            if n_actors != 2:
                raise ValueError(
                    f"Pair mode marks exactly a source and a target, got {n_actors} actors."
                )
            return [(self.source_start, self.source_end), (self.target_start, self.target_end)]
        raise ValueError(f"Unknown mode {mode!r}; expected one of {MODES}.")


class TextTooLongError(ValueError):
    """The marked text does not fit the encoder's maximum length."""


@dataclass(frozen=True)
class ModelInput:
    """One encoded text: token ids and, per actor, the positions of its start markers."""

    input_ids: list[int]
    actor_positions: list[list[int]]


def mark(
    text: str, actor_spans: Sequence[Sequence[Span]], markers: Sequence[tuple[str, str]]
) -> tuple[str, list[int]]:
    """Insert each actor's markers around its mentions.

    Returns:
        The marked text, and the actor of each start marker in the order they appear,
        which is how :func:`encode` tells which start-marker token belongs to which actor.
    """
    # (offset, kind, tie-break, actor, marker): at one offset end markers (kind 0) come
    # before start markers (kind 1), and an enclosing span opens before a nested one.
    inserts: list[tuple[int, int, int, int, str]] = []
    for actor, (spans, (start_tok, end_tok)) in enumerate(zip(actor_spans, markers)):
        for start, end in spans:
            inserts.append((start, 1, -end, actor, f"{start_tok} "))
            inserts.append((end, 0, -start, actor, f" {end_tok}"))
    inserts.sort()
    pieces, owners, cursor = [], [], 0
    for offset, kind, _, actor, marker in inserts:
        pieces.append(text[cursor:offset])
        pieces.append(marker)
        cursor = offset
        if kind == 1:
            owners.append(actor)
    pieces.append(text[cursor:])
    return "".join(pieces), owners


def encode(
    text: str,
    actor_spans: Sequence[Sequence[Span]],
    tokenizer: Any,
    *,
    mode: str,
    max_length: int,
    markers: Markers,
) -> ModelInput:
    """Mark the actors in ``text`` and tokenize it.

    Args:
        text: The text.
        actor_spans: For each actor, the character spans of its mentions (at least one).
        tokenizer: A tokenizer that knows the marker tokens as special tokens.
        mode: ``"all_pairs"`` or ``"pair"`` (then ``actor_spans`` is ``[source, target]``).
        max_length: The encoder's maximum number of tokens.
        markers: The marker strings.

    Raises:
        TextTooLongError: The marked text is longer than ``max_length`` tokens.
        ValueError: An actor has no mention.
    """
    pairs = markers.for_mode(mode, len(actor_spans))
    for i, spans in enumerate(actor_spans):
        if not spans:
            raise ValueError(f"Actor {i} has no mention in the text; every actor needs a span.")
    marked, owners = mark(text, actor_spans, pairs)
    # verbose=False: a text over the limit is our error to raise (TextTooLongError), not
    # transformers' "indexing errors" warning to print.
    ids: list[int] = tokenizer(marked, add_special_tokens=True, truncation=False, verbose=False)[
        "input_ids"
    ]
    if len(ids) > max_length:
        raise TextTooLongError(
            f"The text is {len(ids)} tokens with its markers, over the encoder's limit of "
            f"{max_length}. Shorten it, or use StanceClassifier.analyze(), which splits long "
            "texts into windows."
        )
    start_ids = {tokenizer.convert_tokens_to_ids(start) for start, _ in pairs}
    found = [i for i, tok in enumerate(ids) if tok in start_ids]
    if len(found) != len(owners):
        raise ValueError(
            f"Found {len(found)} start markers in the tokenized text but expected {len(owners)}; "
            "does the text already contain marker strings such as "
            f"{markers.entity_start!r}?"
        )
    positions: list[list[int]] = [[] for _ in actor_spans]
    for actor, position in zip(owners, found):
        positions[actor].append(position)
    return ModelInput(ids, positions)


@dataclass
class Group:
    """A text, the actors known for it with their mentions, and the ordered pairs wanted.

    Before :func:`plan` a group is a *reading unit*: every actor known for the text is
    listed, whatever the model's mode. :func:`plan` turns it into the encoder passes
    the model makes, each itself a ``Group`` whose actors are exactly the ones marked.
    ``labels`` (gold, when known) and ``rows`` (an index per pair back into the caller's
    list of examples) follow ``pairs``.
    """

    text: str
    actors: list[str] = field(default_factory=list)
    spans: list[tuple[Span, ...]] = field(default_factory=list)
    pairs: list[tuple[int, int]] = field(default_factory=list)
    labels: list[str | None] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)

    def sub(self, pair_indices: Sequence[int]) -> Group:
        """The unit that knows only the actors of the pairs ``pair_indices``, in the order
        the pairs name them: a single pair's group lists its source, then its target, as
        pair mode's typed markers need."""
        keep = list(dict.fromkeys(a for k in pair_indices for a in self.pairs[k]))
        new_index = {old: new for new, old in enumerate(keep)}
        return Group(
            self.text,
            [self.actors[a] for a in keep],
            [self.spans[a] for a in keep],
            [(new_index[self.pairs[k][0]], new_index[self.pairs[k][1]]) for k in pair_indices],
            [self.labels[k] for k in pair_indices] if self.labels else [],
            [self.rows[k] for k in pair_indices] if self.rows else [],
        )

    def unordered_pairs(self) -> list[list[int]]:
        """The indices into ``pairs`` of each unordered pair of actors (p->q with q->p)."""
        by_pair: dict[frozenset[int], list[int]] = {}
        for k, (i, j) in enumerate(self.pairs):
            by_pair.setdefault(frozenset((i, j)), []).append(k)
        return list(by_pair.values())

    def actor_index(self, name: str, spans: tuple[Span, ...]) -> int:
        if name in self.actors:
            return self.actors.index(name)
        self.actors.append(name)
        self.spans.append(spans)
        return len(self.actors) - 1


def plan(unit: Group, mode: str) -> list[Group]:
    """The encoder passes that read ``unit``: the one planner.

    The rule: the same text with the same known actors is read the same way, whichever
    door it comes in by (``predict``, ``analyze``, ``stance evaluate``, training and its
    validation, distillation's teacher, the benchmarks).

    * ``all_pairs``: one pass marks **every known actor** with ``[E] … [/E]`` and scores
      every wanted pair from it.
    * ``pair``: one pass per wanted pair, its source in ``[S] … [/S]`` and its target in
      ``[T] … [/T]``; the other known actors are left unmarked.

    What a door knows differs: ``predict(text, s, t)`` knows two actors, ``analyze`` the
    actors of each window, a training or evaluation passage all of its actors.
    """
    if mode == "all_pairs":
        return [unit] if unit.pairs else []
    if mode == "pair":
        return [unit.sub([k]) for k in range(len(unit.pairs))]
    raise ValueError(f"Unknown mode {mode!r}; expected one of {MODES}.")


def example_units(examples: Sequence[StanceExample]) -> list[Group]:
    """The reading units of directed examples: each example knows its source and target.

    The examples about the same two actors of the same text (p->q and q->p) share a unit;
    no other example does, so a prediction never depends on which other examples share
    its batch. ``Group.rows`` point back into ``examples``.
    """
    units: list[Group] = []
    by_key: dict[Any, Group] = {}
    for row, ex in enumerate(examples):
        src, tgt = ex.source_spans, ex.target_spans
        if not src or not tgt:
            raise ValueError(
                f"Example {ex.id or row} has no spans for its source or target; find them "
                "first (stance.classifier.with_spans)."
            )
        key = (ex.text, frozenset([(ex.source, src), (ex.target, tgt)]))
        unit = by_key.get(key)
        if unit is None:
            unit = by_key[key] = Group(ex.text)
            units.append(unit)
        i = unit.actor_index(ex.source, src)
        j = unit.actor_index(ex.target, tgt)
        unit.pairs.append((i, j))
        unit.labels.append(ex.label)
        unit.rows.append(row)
    return units


def passage_unit(passage: Passage, first_row: int = 0, neutral: str = "neutral") -> Group:
    """The reading unit of a passage: all its actors known, all ``N * (N - 1)`` ordered
    pairs wanted. Rows count the pairs in :meth:`Passage.examples` order from
    ``first_row``."""
    names = list(passage.actor_names)
    spans = [a.spans for a in passage.actors]
    pairs = list(permutations(range(len(names)), 2))
    labels: list[str | None] = [passage.label(names[i], names[j], neutral) for i, j in pairs]
    rows = list(range(first_row, first_row + len(pairs)))
    return Group(passage.text, names, spans, pairs, labels, rows)


@dataclass(frozen=True)
class InputEncoder:
    """Encodes the passes of a model: its tokenizer, mode, maximum length and markers."""

    tokenizer: Any
    mode: str
    max_length: int
    markers: Markers

    def __call__(self, group: Group) -> ModelInput:
        return encode(
            group.text,
            group.spans,
            self.tokenizer,
            mode=self.mode,
            max_length=self.max_length,
            markers=self.markers,
        )


def collate(
    inputs: Sequence[ModelInput],
    pairs: Sequence[Sequence[tuple[int, int]]],
    pad_token_id: int,
) -> dict[str, torch.Tensor]:
    """Pad a batch and build the index tensors the model gathers with.

    Returns a dict with ``input_ids`` and ``attention_mask`` ``[B, T]``;
    ``mention_index`` and ``mention_mask`` ``[A, M]`` (flat positions into ``B * T`` of
    each actor's start markers); ``pairs`` ``[P, 2]`` (rows into the ``A`` actors).
    """
    width = max(len(x.input_ids) for x in inputs)
    ids = torch.full((len(inputs), width), pad_token_id, dtype=torch.long)
    mask = torch.zeros((len(inputs), width), dtype=torch.long)
    actor_lists: list[list[int]] = []
    pair_rows: list[tuple[int, int]] = []
    for b, (x, text_pairs) in enumerate(zip(inputs, pairs)):
        ids[b, : len(x.input_ids)] = torch.tensor(x.input_ids, dtype=torch.long)
        mask[b, : len(x.input_ids)] = 1
        offset = len(actor_lists)
        actor_lists.extend([b * width + p for p in positions] for positions in x.actor_positions)
        pair_rows.extend((offset + i, offset + j) for i, j in text_pairs)
    most = max(len(a) for a in actor_lists)
    mention_index = torch.zeros((len(actor_lists), most), dtype=torch.long)
    mention_mask = torch.zeros((len(actor_lists), most), dtype=torch.bool)
    for a, flat in enumerate(actor_lists):
        mention_index[a, : len(flat)] = torch.tensor(flat, dtype=torch.long)
        mention_mask[a, : len(flat)] = True
    return {
        "input_ids": ids,
        "attention_mask": mask,
        "mention_index": mention_index,
        "mention_mask": mention_mask,
        "pairs": torch.tensor(pair_rows, dtype=torch.long).reshape(-1, 2),
    }
