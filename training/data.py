"""Dataset preparation: read a split into reading units, plan and encode their passes.

A split is read into reading units (:class:`stance.encoding.Group`): a passage knows all
its actors, a directed example its source and target. Every unit goes through the one
planner, :func:`stance.encoding.plan`, as at inference. Each row of a prepared
``datasets.Dataset`` is one encoded pass with every labelled pair it scores:
``input_ids``, ``actor_positions``, ``pairs``, ``labels``, ``rows`` (indices back into the
split's example list), ``unit`` (the reading unit it reads) and ``full`` (whether it
reads the unit with all its actors known).

The first rows (``full`` true) read each unit as inference does. With
``training`` and ``model.other_actors`` ``mixed`` or ``unmarked`` in ``all_pairs``
mode, further rows read each unordered pair of a passage with only its two actors
known, as ``predict(text, source, target)`` reads a text; the training loop draws
among them each epoch (:func:`epoch_rows`).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stance.classifier import with_spans
from stance.encoding import Group, InputEncoder, Markers, example_units, passage_unit, plan
from stance.io import RowError, load_dse, load_examples, load_passages
from stance.schema import LabelSet, StanceExample
from training.config import Config

logger = logging.getLogger(__name__)


@dataclass
class Split:
    """A loaded split: its examples, their reading units, the encoded dataset, and the
    rows that failed."""

    name: str
    path: str
    examples: list[StanceExample]
    units: list[Group]
    dataset: Any
    errors: list[RowError] = field(default_factory=list)


def read_units(
    path: str, config: Config, labels: LabelSet, limit: int | None = None
) -> tuple[list[StanceExample], list[Group], list[RowError]]:
    """Read a split as directed examples and the reading units that hold them.

    A passage is one unit that knows all its actors (as ``analyze`` reads a window);
    directed examples are grouped by text and actor pair (as ``predict`` reads them). Bad
    rows are collected, not raised, so they can be reported together.
    """
    fmt = config.data.format
    if fmt == "passages":
        passages = load_passages(path, labels=labels, lenient=True)
        examples: list[StanceExample] = []
        units: list[Group] = []
        for passage in passages.items[:limit] if limit else passages.items:
            units.append(passage_unit(passage, len(examples), labels.neutral))
            examples += passage.examples(labels.neutral)
        return examples, units, list(passages.errors)
    if fmt == "dse":
        loaded = load_dse(path, lenient=True)
    else:
        loaded = load_examples(path, columns=config.data.columns, labels=labels, lenient=True)
    errors = list(loaded.errors)
    examples = []
    for index, example in enumerate(loaded.items[:limit] if limit else loaded.items):
        try:
            if example.label is None:
                raise ValueError("the example has no label; training and evaluation need one.")
            labels.id(example.label)
            examples.append(with_spans(example))
        except ValueError as err:
            errors.append(RowError(path, None, f"example {example.id or index}: {err}"))
    return examples, example_units(examples), errors


def two_known_units(unit: Group) -> list[Group]:
    """The unit read as each of its unordered pairs alone: only that pair's actors known."""
    if len(unit.actors) <= 2:
        return []
    return [unit.sub(indices) for indices in unit.unordered_pairs()]


def stance_free(unit: Group, neutral: str) -> bool:
    """Whether every labelled pair of a reading unit is neutral (an article window with no
    stance in it is what ``data.article_neutral_windows`` samples)."""
    return all(label == neutral for label in unit.labels)


def epoch_rows(
    dataset: Any, other_actors: str, seed: int, neutral_windows: float = 1.0, epoch: int = 0
) -> list[int]:
    """The rows one training epoch reads: each unit once, as ``other_actors`` says.

    ``marked`` reads every unit with all its actors known; ``unmarked`` reads a unit with
    more than two actors as one of its unordered pairs alone, drawn at random; ``mixed``
    draws between the two with equal odds. Where the article windows come in several
    layouts (``data.article_shift``), epoch ``epoch`` reads layout ``epoch`` modulo their
    number. ``neutral_windows`` below 1 reads only that share of the article windows
    with no stance in them (rounded), drawn afresh each epoch (the
    ``data.article_neutral_windows`` setting); every other unit is read every epoch.
    """
    units = dataset["unit"]
    skipped: set[int] = set()
    if "layout" in dataset.column_names:
        layouts = dataset["layout"]
        count = max(layouts, default=0) + 1
        skipped = {u for u, lay in zip(units, layouts) if lay >= 0 and lay != epoch % count}
    if neutral_windows < 1.0 and "neutral_window" in dataset.column_names:
        draw = random.Random(f"neutral-windows-{seed}")
        neutral = sorted({u for u, no_stance in zip(units, dataset["neutral_window"])
                          if no_stance and u not in skipped})  # fmt: skip
        skipped |= set(draw.sample(neutral, len(neutral) - round(neutral_windows * len(neutral))))
    rows = _unit_rows(units, dataset["full"], other_actors, seed)
    return [row for row in rows if units[row] not in skipped] if skipped else rows


def _unit_rows(units: list[int], full: list[bool], other_actors: str, seed: int) -> list[int]:
    """Each unit's row for one epoch, as ``other_actors`` says (see :func:`epoch_rows`)."""
    own: dict[int, int] = {}
    alone: dict[int, list[int]] = {}
    for row, (unit, is_full) in enumerate(zip(units, full)):
        if is_full:
            own.setdefault(unit, row)
        else:
            alone.setdefault(unit, []).append(row)
    if other_actors == "marked" or not alone:
        return [row for row, is_full in enumerate(full) if is_full]
    rng = random.Random(seed)
    chosen = []
    for unit in sorted({*own, *alone}):
        pairs = alone.get(unit, [])
        if pairs and (other_actors == "unmarked" or rng.random() < 0.5):
            chosen.append(rng.choice(pairs))
        else:
            chosen.append(own[unit])
    return chosen


def prepare_split(
    name: str,
    path: str,
    config: Config,
    tokenizer: Any,
    markers: Markers,
    limit: int | None = None,
    training: bool = False,
    two_known: bool = False,
) -> Split:
    """Load, resolve spans, plan and encode one split.

    Rows that cannot be used (bad rows, actors not in the text, texts over the length
    limit) are collected in ``Split.errors`` and logged; none is dropped silently.
    ``training`` adds the two-known readings that ``model.other_actors`` draws from
    (``two_known`` adds them whatever it says, to evaluate on them).
    """
    labels = LabelSet(tuple(config.data.labels), config.data.neutral)
    examples, units, errors = read_units(path, config, labels, limit)
    layout = [-1] * len(units)  # a passage or example is read every epoch
    first_window = len(units)
    d = config.data
    if training and d.train_articles:
        from training.articles import article_units, read_jsonl

        shifts = d.article_window if d.article_shift else 1
        for record in read_jsonl(Path(d.train_articles)):
            for offset in range(shifts):
                more, windows = article_units(record, d.article_window, d.article_stride,
                                              len(examples), labels.neutral, offset,
                                              d.article_outside_evidence)  # fmt: skip
                examples += more
                units += windows
                layout += [offset] * len(windows)
    mode = config.model.mode
    passes: list[tuple[Group, int, bool]] = [
        (g, k, True) for k, unit in enumerate(units) for g in plan(unit, mode)
    ]
    if mode == "all_pairs" and (two_known or (training and config.model.other_actors != "marked")):
        passes += [
            (g, k, False)
            for k, unit in enumerate(units)
            for sub in two_known_units(unit)
            for g in plan(sub, mode)
        ]
    encoder = InputEncoder(tokenizer, mode, config.model.max_length, markers)
    from datasets import Dataset

    raw = Dataset.from_dict(
        {
            "text": [g.text for g, _, _ in passes],
            "spans": [[list(map(list, s)) for s in g.spans] for g, _, _ in passes],
            "pairs": [[list(p) for p in g.pairs] for g, _, _ in passes],
            "labels": [[labels.id(str(label)) for label in g.labels] for g, _, _ in passes],
            "rows": [g.rows for g, _, _ in passes],
            "unit": [k for _, k, _ in passes],
            "full": [full for _, _, full in passes],
            "layout": [layout[k] for _, k, _ in passes],
            # An article window with no stance in it: what data.article_neutral_windows samples.
            "neutral_window": [
                k >= first_window and stance_free(units[k], labels.neutral) for _, k, _ in passes
            ],
        }
    )

    def encode_row(row: dict[str, Any]) -> dict[str, Any]:
        group = Group(
            row["text"], [], [tuple((s[0], s[1]) for s in spans) for spans in row["spans"]]
        )
        try:
            encoded = encoder(group)
        except ValueError as err:
            return {"input_ids": [], "actor_positions": [], "length": 0, "error": str(err)}
        return {
            "input_ids": encoded.input_ids,
            "actor_positions": encoded.actor_positions,
            "length": len(encoded.input_ids),
            "error": "",
        }

    dataset = raw.map(encode_row, desc=f"encode {name}")
    failed = [i for i, error in enumerate(dataset["error"]) if error]
    for i in failed:
        if not dataset[i]["full"]:
            continue  # a two-known reading of a unit whose full reading is reported
        rows = dataset[i]["rows"]
        errors.append(
            RowError(
                path, None, f"examples {[examples[r].id or r for r in rows]}: {dataset[i]['error']}"
            )
        )
    if failed:
        dropped = set(failed)
        dataset = dataset.select([i for i in range(len(dataset)) if i not in dropped])
    if errors:
        logger.warning(
            "%s (%s): %d rows could not be used; first: %s", name, path, len(errors), errors[0]
        )
    dataset = dataset.remove_columns(["spans", "error"])
    return Split(name, path, examples, units, dataset, errors)
