"""Batch prediction over files: streaming, one output row per input row, resumable.

The output has a fixed schema, one row per input row in input order:

``row`` (the input's line or row number), ``id`` (of the input's own type: an integer
id stays an integer), ``source``, ``target``, ``predicted_label``, ``predicted_score``,
``predicted_scores`` (every label's probability, rounded to :data:`DIGITS` places: an
object in JSONL, a struct in Parquet, JSON text in CSV) and ``error`` (empty, or why the
row could not be predicted).

Progress is recorded next to the output in ``<output>.progress.json`` after every chunk
(rows done, bytes written). ``resume=True`` truncates any half-written tail and carries
on from there, so an interrupted job loses and duplicates nothing.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm.auto import tqdm

from stance.io import DataError, detect_format, iter_records, record_to_example
from stance.schema import StanceExample, StancePrediction

if TYPE_CHECKING:
    from stance.classifier import StanceClassifier

logger = logging.getLogger(__name__)

COLUMNS = (
    "row",
    "id",
    "source",
    "target",
    "predicted_label",
    "predicted_score",
    "predicted_scores",
    "error",
)
DIGITS = 6


def output_row(
    row: int, record: dict[str, Any] | None, result: StancePrediction | Exception
) -> dict[str, Any]:
    """The output row for one input row; the same function serves every engine."""
    record = record or {}
    out: dict[str, Any] = {
        "row": row,
        "id": plain_id(record.get("id")),
        "source": _text(record.get("source")),
        "target": _text(record.get("target")),
        "predicted_label": "",
        "predicted_score": None,
        "predicted_scores": None,
        "error": "",
    }
    if isinstance(result, StancePrediction):
        out["predicted_label"] = result.label
        out["predicted_score"] = round(result.score, DIGITS)
        out["predicted_scores"] = {k: round(v, DIGITS) for k, v in result.scores.items()}
    else:
        out["error"] = str(result) or type(result).__name__
    return out


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def plain_id(value: Any) -> Any:
    """An input's id as a plain JSON value of its own type: an integer stays an integer,
    a missing id is ``None``, anything else becomes text."""
    if value is None or (isinstance(value, (str, int)) and not isinstance(value, bool)):
        return None if value == "" else value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    return str(value)


def predict_records(
    classifier: StanceClassifier,
    records: list[tuple[int, dict[str, Any] | DataError]],
    columns: dict[str, str] | None = None,
    batch_size: int = 32,
) -> list[dict[str, Any]]:
    """Predict a chunk of ``(row, record)``; bad records become error rows."""
    examples: list[StanceExample] = []
    where: list[int] = []
    results: list[StancePrediction | Exception] = []
    mapped: list[dict[str, Any] | None] = []
    for index, (_, record) in enumerate(records):
        if isinstance(record, DataError):
            results.append(record)
            mapped.append(None)
            continue
        mapped.append({(columns or {}).get(k, k): v for k, v in record.items()})
        try:
            examples.append(record_to_example(record, columns))
            where.append(index)
            results.append(ValueError("not predicted"))
        except ValueError as err:
            results.append(err)
    for index, result in zip(where, classifier.predict_rows(examples, batch_size)):
        results[index] = result
    return [output_row(row, rec, res) for (row, _), rec, res in zip(records, mapped, results)]


@dataclass
class Progress:
    rows: int = 0
    bytes: int = 0
    parts: int = 0
    complete: bool = False


def progress_path(output: Path) -> Path:
    """Where a batch job records how far it got, beside its output."""
    return output.with_name(output.name + ".progress.json")


def read_chunks(
    path: str | os.PathLike[str], start: int, size: int
) -> Iterator[list[tuple[int, Any]]]:
    chunk: list[tuple[int, Any]] = []
    for item in iter_records(path, start=start):
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def encode_rows(
    rows: list[dict[str, Any]], fmt: str, header: bool, columns: Sequence[str] = COLUMNS
) -> bytes:
    """Output rows as JSONL or CSV bytes (CSV with its header line when ``header``).

    In CSV an object or list value (the scores, the evidence) is written as JSON text.
    ``columns`` are the CSV's columns, in order (this module's :data:`COLUMNS` by default).
    """
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    if header:
        writer.writeheader()
    writer.writerows(
        {k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v
         for k, v in r.items()}
        for r in rows
    )  # fmt: skip
    return buffer.getvalue().encode()


def count_rows(path: str | os.PathLike[str]) -> int:
    """How many records an input holds (malformed lines included), for the progress bar."""
    fmt = detect_format(path)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    return sum(1 for _ in iter_records(path))


def predict_file(
    classifier: StanceClassifier,
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    batch_size: int = 32,
    chunk_size: int = 1024,
    columns: dict[str, str] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
) -> Progress:
    """Predict every row of ``input_path`` into ``output_path`` (format by extension).

    Args:
        resume: Continue an interrupted job from its progress file.
        overwrite: Start over even if the output exists.

    Returns:
        The final :class:`Progress` (rows written).
    """
    output = Path(output_path)
    fmt = detect_format(output)
    if fmt not in {"jsonl", "csv", "parquet"}:
        raise ValueError(f"{output}: write predictions as .jsonl, .csv or .parquet.")
    progress_file = progress_path(output)
    parts_dir = output.with_name(output.name + ".parts")
    saved = clear_output(output, resume, overwrite)
    state = Progress(**saved) if saved else Progress()
    if state.complete:
        logger.info("%s is already complete (%d rows)", output, state.rows)
        return state
    output.parent.mkdir(parents=True, exist_ok=True)

    labels = list(classifier.config.label_set)
    total = count_rows(input_path) if progress else None
    bar = tqdm(total=total, initial=state.rows, disable=not progress, unit="row", desc="predict")
    if fmt == "parquet":
        parts_dir.mkdir(exist_ok=True)
        for stale in parts_dir.glob("*.tmp"):
            stale.unlink()
        handle = None
    else:
        handle = open_at(output, state.bytes)
    try:
        for chunk in read_chunks(input_path, state.rows, chunk_size):
            rows = predict_records(classifier, chunk, columns, batch_size)
            if handle is not None:
                append_synced(
                    handle, encode_rows(rows, fmt, header=fmt == "csv" and state.bytes == 0)
                )
                state.bytes = handle.tell()
            else:
                write_typed_part(
                    rows, parts_dir / f"part-{state.parts:06d}.parquet", prediction_schema(labels)
                )
                state.parts += 1
            state.rows += len(rows)
            save_progress(progress_file, state)
            bar.update(len(rows))
    finally:
        bar.close()
        if handle is not None:
            handle.close()
    if fmt == "parquet":
        merge_typed_parts(parts_dir, output, prediction_schema(labels))
    state.complete = True
    save_progress(progress_file, state)
    return state


def clear_output(
    output: Path, resume: bool, overwrite: bool, sidecars: Sequence[Path] = ()
) -> dict[str, Any] | None:
    """Check and clear the way for a job's files (its output, its ``.parts`` folder, its
    progress file and ``sidecars``); the progress recorded to resume from, if any.

    Raises:
        FileExistsError: The output exists and neither ``resume`` nor ``overwrite`` is set.
    """
    progress_file = progress_path(output)
    parts_dir = output.with_name(output.name + ".parts")
    if resume and progress_file.exists():
        return dict(json.loads(progress_file.read_text()))
    existing = output.exists() or parts_dir.exists() or any(p.exists() for p in sidecars)
    if existing and not overwrite and not resume:
        raise FileExistsError(
            f"{output} exists; pass --resume to continue it or --overwrite to replace it."
        )
    for path in (output, progress_file, *sidecars):
        path.unlink(missing_ok=True)
    shutil.rmtree(parts_dir, ignore_errors=True)
    return None


def open_at(path: Path, size: int) -> Any:
    """Open ``path`` for appending at ``size`` bytes, dropping a half-written tail."""
    handle = open(path, "r+b" if path.exists() else "wb")  # noqa: SIM115
    handle.truncate(size)
    handle.seek(size)
    return handle


def append_synced(handle: Any, data: bytes) -> None:
    """Write ``data`` and make it durable before the progress file says it is there."""
    handle.write(data)
    handle.flush()
    os.fsync(handle.fileno())


def save_progress(path: Path, state: Progress) -> None:
    """Record a job's progress atomically (a temporary file, then a rename)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state.__dict__))
    os.replace(tmp, path)  # atomic: a crash leaves the old or the new progress, never half


def prediction_schema(labels: Sequence[str]) -> Callable[[Any], Any]:
    """The Parquet schema of predictions for an ``id`` type: ``predicted_scores`` a struct
    of ``labels``. Give it to :func:`write_typed_part` and :func:`merge_typed_parts`."""
    import pyarrow as pa

    def schema(id_type: Any) -> Any:
        return pa.schema(
            [("row", pa.int64()), ("id", id_type), ("source", pa.string()),
             ("target", pa.string()), ("predicted_label", pa.string()),
             ("predicted_score", pa.float64()),
             ("predicted_scores", pa.struct([(k, pa.float64()) for k in labels])),
             ("error", pa.string())]
        )  # fmt: skip

    return schema


def write_typed_part(rows: list[dict[str, Any]], path: Path, schema: Callable[[Any], Any]) -> None:
    """Write one Parquet part whose ``id`` column keeps the ids' type: integers when every
    id of the part is an integer, text otherwise (:func:`merge_typed_parts` reconciles the
    parts). ``schema`` maps an id type to the part's ``pyarrow.Schema``."""
    import pyarrow as pa

    ids = [r["id"] for r in rows if r["id"] is not None]
    if ids and all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        write_part(rows, path, schema(pa.int64()))
    else:
        rows = [r | {"id": None if r["id"] is None else str(r["id"])} for r in rows]
        write_part(rows, path, schema(pa.string() if ids else pa.null()))


def merge_typed_parts(parts_dir: Path, output: Path, schema: Callable[[Any], Any]) -> None:
    """Merge the parts of :func:`write_typed_part`: ``id`` is an integer column when every
    part's is, text when any part's is (integers then written as text)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {pq.read_schema(p).field("id").type for p in parts_dir.glob("part-*.parquet")}
    types.discard(pa.null())
    merge_parts(parts_dir, output, schema(pa.int64() if types == {pa.int64()} else pa.string()))


def write_part(rows: list[dict[str, Any]], path: Path, schema: Any) -> None:
    """Write one Parquet part atomically (a temporary file, then a rename).

    ``schema`` is the ``pyarrow.Schema`` of the rows.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = path.with_suffix(".tmp")
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), tmp)
    os.replace(tmp, path)


def merge_parts(parts_dir: Path, output: Path, schema: Any) -> None:
    """Join the Parquet parts of ``parts_dir`` into ``output`` in order, each cast to
    ``schema`` (a ``pyarrow.Schema``), then remove them."""
    import pyarrow.parquet as pq

    with pq.ParquetWriter(output, schema) as writer:
        for part in sorted(parts_dir.glob("part-*.parquet")):
            writer.write_table(pq.read_table(part).cast(schema))
    shutil.rmtree(parts_dir)
