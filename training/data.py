"""Dataset preparation: read a split, group its examples by text, encode through `datasets`.

Each row of a prepared ``datasets.Dataset`` is one encoded text with every labelled pair
it holds: ``input_ids``, ``actor_positions``, ``pairs``, ``labels`` and ``rows`` (indices
back into the split's example list, for evaluation).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from stance.classifier import with_spans
from stance.encoding import Group, Markers, encode, group_examples, group_passage
from stance.io import RowError, load_dse, load_examples, load_passages
from stance.schema import LabelSet, StanceExample
from training.config import Config

logger = logging.getLogger(__name__)


@dataclass
class Split:
    """A loaded split: its examples, the encoded dataset, and the rows that failed."""

    name: str
    path: str
    examples: list[StanceExample]
    dataset: Any
    errors: list[RowError] = field(default_factory=list)


def read_groups(
    path: str, config: Config, labels: LabelSet, limit: int | None = None
) -> tuple[list[StanceExample], list[Group], list[RowError]]:
    """Read a split as directed examples and the groups the model encodes them in.

    Passages become one group each (every actor marked, all pairs scored), as
    ``analyze`` sees text; directed examples are grouped by text and actor pair. Bad rows
    are collected, not raised, so they can be reported together.
    """
    fmt, mode = config.data.format, config.model.mode
    if fmt == "passages":
        passages = load_passages(path, labels=labels, lenient=True)
        examples: list[StanceExample] = []
        groups: list[Group] = []
        for passage in passages.items[:limit] if limit else passages.items:
            groups += group_passage(passage, mode, first_row=len(examples))
            examples += passage.examples(labels.neutral)
        return examples, groups, list(passages.errors)
    if fmt == "dse":
        loaded = load_dse(path, lenient=True)
    elif fmt == "examples":
        loaded = load_examples(path, columns=config.data.columns, labels=labels, lenient=True)
    else:
        raise ValueError(f"Unknown data.format {fmt!r}; expected passages, examples or dse.")
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
    return examples, group_examples(examples, mode), errors


def prepare_split(
    name: str,
    path: str,
    config: Config,
    tokenizer: Any,
    markers: Markers,
    limit: int | None = None,
) -> Split:
    """Load, resolve spans, group and encode one split.

    Rows that cannot be used (bad rows, actors not in the text, texts over the length
    limit) are collected in ``Split.errors`` and logged; none is dropped silently.
    """
    labels = LabelSet(tuple(config.data.labels), config.data.neutral)
    examples, groups, errors = read_groups(path, config, labels, limit)
    from datasets import Dataset

    raw = Dataset.from_dict(
        {
            "text": [g.text for g in groups],
            "spans": [[list(map(list, s)) for s in g.spans] for g in groups],
            "pairs": [[list(p) for p in g.pairs] for g in groups],
            "labels": [[labels.id(str(label)) for label in g.labels] for g in groups],
            "rows": [g.rows for g in groups],
        }
    )

    def encode_row(row: dict[str, Any]) -> dict[str, Any]:
        try:
            encoded = encode(
                row["text"],
                [[tuple(s) for s in spans] for spans in row["spans"]],
                tokenizer,
                mode=config.model.mode,
                max_length=config.model.max_length,
                markers=markers,
            )
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
        rows = dataset[i]["rows"]
        errors.append(
            RowError(
                path, None, f"examples {[examples[r].id or r for r in rows]}: {dataset[i]['error']}"
            )
        )
    if failed:
        dataset = dataset.select([i for i in range(len(dataset)) if i not in set(failed)])
    if errors:
        logger.warning(
            "%s (%s): %d rows could not be used; first: %s", name, path, len(errors), errors[0]
        )
    dataset = dataset.remove_columns(["spans", "error"])
    return Split(name, path, examples, dataset, errors)
