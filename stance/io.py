"""Reading and writing stance data: JSONL, CSV, Parquet, the DSE format and passages.

Every reader either returns an item for a row or raises :class:`DataError`, a
``ValueError`` whose message names the file, the line or row, what was wrong and the
fix. With ``lenient=True`` the bad rows are collected in ``Loaded.errors`` instead and
the good ones are kept: nothing is dropped silently.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from stance.schema import ActorMentions, LabelSet, Passage, Span, StanceExample

T = TypeVar("T")

FIELDS = ("text", "source", "target", "label", "id", "source_spans", "target_spans")
REQUIRED = ("text", "source", "target")
FORMATS = {".jsonl": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet", ".tsv": "dse"}


class DataError(ValueError):
    """A bad row or file. ``str(error)`` reads ``<file>, line <n>: <what and the fix>``."""

    def __init__(self, path: str | os.PathLike[str] | None, row: int | None, message: str) -> None:
        self.path = os.fspath(path) if path is not None else None
        self.row = row
        self.message = message
        where = self.path or "<data>"
        if row is not None:
            where += f", line {row}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class RowError:
    """A row that could not be loaded, kept for the error report."""

    path: str | None
    row: int | None
    message: str
    raw: str | None = None

    def __str__(self) -> str:
        return str(DataError(self.path, self.row, self.message))


@dataclass
class Loaded(Generic[T]):
    """What a loader returns: the good items and, in lenient mode, the bad rows."""

    items: list[T] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __getitem__(self, index: int) -> T:
        return self.items[index]

    def report(self) -> str:
        """A human-readable error report."""
        if not self.errors:
            return f"{len(self.items)} loaded, no errors."
        lines = [f"{len(self.items)} loaded, {len(self.errors)} rows with errors:"]
        lines += [f"  {error}" for error in self.errors]
        return "\n".join(lines)


def detect_format(path: str | os.PathLike[str]) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise DataError(
            path, None, f"unknown file type {suffix!r}; expected one of {sorted(FORMATS)}."
        )
    return FORMATS[suffix]


# --- raw records ------------------------------------------------------------------------


def _lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, str | DataError]]:
    """Numbered lines of a UTF-8 file; a line that is not UTF-8 yields a DataError."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                yield number, raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as err:
                yield (
                    number,
                    DataError(
                        path,
                        number,
                        f"not UTF-8 ({err.reason} at byte {err.start}); re-encode the file as UTF-8.",
                    ),
                )


def parse_jsonl_line(
    line: str, path: str | os.PathLike[str] | None, number: int
) -> dict[str, Any] | DataError:
    """One JSONL line as a record, or the :class:`DataError` that says what is wrong with it."""
    if not line.strip():
        return DataError(path, number, "empty line; remove it or give a JSON object.")
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        return DataError(path, number, f"malformed JSON ({err.msg}); fix the line.")
    if not isinstance(record, dict):
        return DataError(path, number, f"expected a JSON object, found {type(record).__name__}.")
    return record


def iter_records(
    path: str | os.PathLike[str], start: int = 0
) -> Iterator[tuple[int, dict[str, Any] | DataError]]:
    """Stream ``(line, record)`` from a JSONL, CSV or Parquet file in constant memory.

    A malformed line yields a :class:`DataError` in place of its record, so a batch job
    can record it and go on. ``line`` is the 1-based line of the file (the header is line
    1 of a CSV) or the 1-based row of a Parquet file.

    Args:
        start: Skip this many records first (for resuming).
    """
    fmt = detect_format(path)
    if fmt == "jsonl":
        for number, line in _lines(path):
            if number > start:
                yield (
                    number,
                    line if isinstance(line, DataError) else parse_jsonl_line(line, path, number),
                )
    elif fmt == "csv":
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            try:
                header = next(reader, None)
                if header is None:
                    return
                for index, cells in enumerate(reader):
                    number = reader.line_num
                    if index < start:
                        continue
                    if len(cells) != len(header):
                        yield (
                            number,
                            DataError(
                                path,
                                number,
                                f"expected {len(header)} cells ({', '.join(header)}), found {len(cells)}; "
                                "quote cells that contain commas.",
                            ),
                        )
                        continue
                    yield number, dict(zip(header, cells))
            except UnicodeDecodeError as err:
                # The csv module reads ahead, so the rest of the file cannot be trusted.
                yield (
                    reader.line_num + 1,
                    DataError(
                        path,
                        reader.line_num + 1,
                        f"not UTF-8 ({err.reason}); re-encode the file as UTF-8.",
                    ),
                )
            except csv.Error as err:
                yield reader.line_num, DataError(path, reader.line_num, f"malformed CSV ({err}).")
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        number = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=4096):
            for record in batch.to_pylist():
                number += 1
                if number <= start:
                    continue
                yield number, record
    else:
        raise DataError(path, None, "DSE files are read with load_dse(), not as records.")


def _spans(value: Any, what: str) -> tuple[Span, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ValueError(f"{what} is not JSON like [[0, 6]].") from None
    try:
        return tuple((int(s), int(e)) for s, e in value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a list of [start, end] pairs, found {value!r}.") from None


def record_to_example(
    record: Mapping[str, Any],
    columns: Mapping[str, str] | None = None,
    labels: LabelSet | None = None,
) -> StanceExample:
    """Turn one record into a :class:`StanceExample`.

    Args:
        record: The row.
        columns: ``{your column: our field}`` for columns with other names, e.g.
            ``{"sentence": "text", "actor_a": "source"}``. Our fields are ``text``,
            ``source``, ``target``, ``label``, ``id``, ``source_spans``, ``target_spans``.
        labels: When given, the label must be one of these.

    Raises:
        ValueError: What is wrong and the fix (callers add the file and line).
    """
    columns = dict(columns or {})
    for ours in columns.values():
        if ours not in FIELDS:
            raise ValueError(f"column mapping targets unknown field {ours!r}; fields are {FIELDS}.")
    row = {columns.get(key, key): value for key, value in record.items()}
    missing = [name for name in REQUIRED if name not in row]
    if missing:
        have = sorted(record)
        raise ValueError(
            f"missing column(s) {missing}; the row has {have}. Rename them, or pass a column "
            f"mapping such as columns={{'{have[0] if have else 'sentence'}': '{missing[0]}'}}."
        )
    label = row.get("label")
    label = None if label is None or label == "" else str(label)
    if labels is not None and label is not None and label not in labels:
        raise ValueError(f"unknown label {label!r}; expected one of {list(labels)}.")
    ident = row.get("id")
    for name in REQUIRED:
        if not isinstance(row[name], str):
            raise ValueError(f"{name} must be a string, found {type(row[name]).__name__}.")
    return StanceExample(
        text=row["text"],
        source=row["source"].strip(),
        target=row["target"].strip(),
        label=label,
        id=None if ident is None or ident == "" else str(ident),
        source_spans=_spans(row.get("source_spans"), "source_spans"),
        target_spans=_spans(row.get("target_spans"), "target_spans"),
    )


def load_examples(
    path: str | os.PathLike[str],
    columns: Mapping[str, str] | None = None,
    labels: LabelSet | None = None,
    lenient: bool = False,
) -> Loaded[StanceExample]:
    """Load directed examples from JSONL, CSV or Parquet (by extension), or DSE (``.tsv``).

    Example:
        >>> data = load_examples("examples.jsonl", columns={"sentence": "text"})
        >>> data[0].source
        'Turkey'
    """
    if detect_format(path) == "dse":
        return load_dse(path, lenient=lenient)
    loaded: Loaded[StanceExample] = Loaded()
    for number, record in iter_records(path):
        try:
            if isinstance(record, DataError):
                raise record
            loaded.items.append(record_to_example(record, columns, labels))
        except DataError as err:
            _fail(loaded, lenient, err)
        except ValueError as err:
            _fail(loaded, lenient, DataError(path, number, str(err)))
    return loaded


def _fail(loaded: Loaded[Any], lenient: bool, err: DataError, raw: str | None = None) -> None:
    if not lenient:
        raise err
    loaded.errors.append(RowError(err.path, err.row, err.message, raw))


# --- DSE ---------------------------------------------------------------------------------

DSE_LABELS = ("neutral", "positive p->q", "positive q->p", "negative p->q", "negative q->p")
"""The five DSE labels, by id. Each row gives two directed examples, p->q and q->p."""

DSE_DIRECTED: dict[int, tuple[str, str]] = {
    0: ("neutral", "neutral"),
    1: ("support", "neutral"),
    2: ("neutral", "support"),
    3: ("oppose", "neutral"),
    4: ("neutral", "oppose"),
}
"""The one DSE mapping: a 5-way label id to the directed labels ``(p->q, q->p)``."""

DSE_FROM_DIRECTED: dict[tuple[str, str], int] = {pair: k for k, pair in DSE_DIRECTED.items()}
"""Its inverse: directed labels ``(p->q, q->p)`` to the 5-way label id."""
_BRACKET = re.compile(r"\[([^\[\]]+)\]")


def parse_dse_sentence(sentence: str) -> tuple[str, Span, Span]:
    """Remove the two bracket pairs of a DSE sentence, and return the text and both spans.

    A bracket that closes inside a word (``[Breitbart New]s``) is extended to the end of
    the word, so its span covers "Breitbart News".
    """
    brackets = list(_BRACKET.finditer(sentence))
    if len(brackets) != 2:
        raise ValueError(
            f"expected two bracketed entities like [Turkey] ... [Haftar], found {len(brackets)}."
        )
    pieces: list[str] = []
    spans: list[Span] = []
    cursor = 0
    length = 0
    for match in brackets:
        before = sentence[cursor : match.start()]
        pieces.append(before)
        length += len(before)
        inner = match.group(1)
        start = length + (len(inner) - len(inner.lstrip()))
        pieces.append(inner)
        length += len(inner)
        cursor = match.end()
        tail = re.match(r"\w+", sentence[cursor:])
        end = length - (len(inner) - len(inner.rstrip()))
        if tail:  # the bracket closed inside a word: extend the span to the word's end
            end = length + tail.end()
        spans.append((start, end))
    pieces.append(sentence[cursor:])
    text = "".join(pieces)
    if spans[0][1] > spans[1][0]:
        raise ValueError("the two bracketed entities overlap.")
    return text, spans[0], spans[1]


def load_dse(path: str | os.PathLike[str], lenient: bool = False) -> Loaded[StanceExample]:
    """Load a DSE file (Park et al. 2021): each row becomes p->q and q->p.

    Example ids are ``"<line>:pq"`` and ``"<line>:qp"`` so that
    :func:`dse_label` can recover the 5-way label of a row from its two predictions.
    """
    loaded: Loaded[StanceExample] = Loaded()
    for number, raw in _lines(path):
        try:
            if isinstance(raw, DataError):
                raise ValueError(raw.message)
            cells = raw.split("\t")
            if len(cells) != 4:
                raise ValueError(
                    f"expected 4 tab-separated cells (sentence, entity_p, entity_q, label), "
                    f"found {len(cells)}."
                )
            sentence, _, _, label = cells
            if label.strip() not in {"0", "1", "2", "3", "4"}:
                raise ValueError(f"unknown label {label!r}; DSE labels are 0-4.")
            text, p_span, q_span = parse_dse_sentence(sentence)
            p, q = text[slice(*p_span)], text[slice(*q_span)]
            if p == q:
                raise ValueError(f"both entities are {p!r}; stance needs two actors.")
            pq, qp = DSE_DIRECTED[int(label)]
            loaded.items.append(StanceExample(text, p, q, pq, f"{number}:pq", (p_span,), (q_span,)))
            loaded.items.append(StanceExample(text, q, p, qp, f"{number}:qp", (q_span,), (p_span,)))
        except ValueError as err:
            _fail(
                loaded,
                lenient,
                DataError(path, number, str(err)),
                raw if isinstance(raw, str) else None,
            )
    return loaded


def dse_label(
    pq: Mapping[str, float], qp: Mapping[str, float], threshold: float | None = None
) -> int:
    """Recover a 5-way DSE label from the scores of a row's two directions.

    The rule: a direction counts as non-neutral when its best non-neutral label is more
    probable than neutral (its argmax is non-neutral) or, given ``threshold``, when that
    probability reaches the threshold; if both directions count, the one whose
    non-neutral probability is higher wins.
    """

    def best(scores: Mapping[str, float]) -> tuple[str, float]:
        label = max(("support", "oppose"), key=lambda name: scores.get(name, 0.0))
        return label, scores.get(label, 0.0)

    candidates = []
    for direction, scores in (("pq", pq), ("qp", qp)):
        label, score = best(scores)
        if (score >= threshold) if threshold is not None else (score > scores.get("neutral", 0.0)):
            candidates.append((score, direction, label))
    if not candidates:
        return 0
    _, direction, label = max(candidates)
    return DSE_FROM_DIRECTED[(label, "neutral") if direction == "pq" else ("neutral", label)]


# --- passages ----------------------------------------------------------------------------


def record_to_passage(record: Mapping[str, Any]) -> Passage:
    """A passage record: ``{"id", "text", "actors": [{"name", "mentions": [[s, e]]}],
    "stances": [{"source", "target", "label"}], ...}``; other keys go to ``meta``."""
    for key in ("text", "actors"):
        if key not in record:
            raise ValueError(f"missing key {key!r}; a passage needs text, actors and stances.")
    actors = []
    for actor in record["actors"]:
        if not isinstance(actor, Mapping) or "name" not in actor:
            raise ValueError(
                f"an actor must be {{'name': ..., 'mentions': [[s, e]]}}, found {actor!r}."
            )
        actors.append(ActorMentions(str(actor["name"]), _spans(actor.get("mentions"), "mentions")))
    stances = {}
    for stance in record.get("stances", []):
        try:
            stances[(str(stance["source"]), str(stance["target"]))] = str(stance["label"])
        except (KeyError, TypeError):
            raise ValueError(
                f"a stance must be {{'source', 'target', 'label'}}, found {stance!r}."
            ) from None
    meta = {k: v for k, v in record.items() if k not in {"id", "text", "actors", "stances"}}
    ident = record.get("id")
    return Passage(
        record["text"], tuple(actors), stances, None if ident is None else str(ident), meta
    )


def passage_to_record(passage: Passage) -> dict[str, Any]:
    return {
        "id": passage.id,
        **passage.meta,
        "text": passage.text,
        "actors": [
            {"name": a.name, "mentions": [list(s) for s in a.spans]} for a in passage.actors
        ],
        "stances": [
            {"source": s, "target": t, "label": label} for (s, t), label in passage.stances.items()
        ],
    }


def load_passages(
    path: str | os.PathLike[str], labels: LabelSet | None = None, lenient: bool = False
) -> Loaded[Passage]:
    """Load passages (several actors each) from a JSONL file."""
    loaded: Loaded[Passage] = Loaded()
    for number, record in iter_records(path):
        try:
            if isinstance(record, DataError):
                raise record
            passage = record_to_passage(record)
            if labels is not None:
                for label in passage.stances.values():
                    labels.id(label)
            loaded.items.append(passage)
        except DataError as err:
            _fail(loaded, lenient, err)
        except ValueError as err:
            _fail(loaded, lenient, DataError(path, number, str(err)))
    return loaded


def write_jsonl(records: Sequence[Mapping[str, Any]], path: str | os.PathLike[str]) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


# --- datasets ----------------------------------------------------------------------------


def to_dataset(examples: Sequence[StanceExample]) -> Any:
    """A ``datasets.Dataset`` with one row per example (spans as lists of pairs)."""
    from datasets import Dataset

    return Dataset.from_dict(
        {
            "text": [e.text for e in examples],
            "source": [e.source for e in examples],
            "target": [e.target for e in examples],
            "label": [e.label for e in examples],
            "id": [e.id for e in examples],
            "source_spans": [[list(s) for s in e.source_spans] for e in examples],
            "target_spans": [[list(s) for s in e.target_spans] for e in examples],
        }
    )


def from_dataset(dataset: Any, columns: Mapping[str, str] | None = None) -> list[StanceExample]:
    """Examples from a ``datasets.Dataset`` (or anything iterable of row dicts)."""
    from datasets import DatasetDict

    if isinstance(dataset, DatasetDict):
        raise ValueError(
            f"expected a Dataset, but got a DatasetDict with splits {list(dataset)}. "
            f"Did you mean dataset[{next(iter(dataset))!r}]?"
        )
    examples = []
    for index, record in enumerate(dataset):
        try:
            examples.append(record_to_example(record, columns))
        except ValueError as err:
            raise DataError("<dataset>", index, str(err)) from None
    return examples
