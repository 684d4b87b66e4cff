"""Batch prediction over files: streaming, one output row per input row, resumable.

The output has a fixed schema, one row per input row in input order:

``row`` (the input's line or row number), ``id``, ``source``, ``target``,
``predicted_label``, ``predicted_score``, ``predicted_scores`` (JSON, rounded to
:data:`DIGITS` places) and ``error`` (empty, or why the row could not be predicted).

Progress is recorded next to the output in ``<output>.progress.json`` after every chunk
(rows done, bytes written). ``resume=True`` truncates any half-written tail and carries
on from there, so an interrupted job loses and duplicates nothing.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import shutil
from collections.abc import Iterator, Sequence
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
        "id": _text(record.get("id")),
        "source": _text(record.get("source")),
        "target": _text(record.get("target")),
        "predicted_label": "",
        "predicted_score": None,
        "predicted_scores": "",
        "error": "",
    }
    if isinstance(result, StancePrediction):
        out["predicted_label"] = result.label
        out["predicted_score"] = round(result.score, DIGITS)
        out["predicted_scores"] = json.dumps(
            {k: round(v, DIGITS) for k, v in result.scores.items()}
        )
    else:
        out["error"] = str(result) or type(result).__name__
    return out


def _text(value: Any) -> str:
    return "" if value is None else str(value)


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

    ``columns`` are the CSV's columns, in order (this module's :data:`COLUMNS` by default).
    """
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    if header:
        writer.writeheader()
    writer.writerows(rows)
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
    state = Progress()
    if resume and progress_file.exists():
        state = Progress(**json.loads(progress_file.read_text()))
        if state.complete:
            logger.info("%s is already complete (%d rows)", output, state.rows)
            return state
    elif output.exists() or parts_dir.exists():
        if not overwrite and not resume:
            raise FileExistsError(
                f"{output} exists; pass --resume to continue it or --overwrite to replace it."
            )
        output.unlink(missing_ok=True)
        shutil.rmtree(parts_dir, ignore_errors=True)
    output.parent.mkdir(parents=True, exist_ok=True)

    total = count_rows(input_path) if progress else None
    bar = tqdm(total=total, initial=state.rows, disable=not progress, unit="row", desc="predict")
    if fmt == "parquet":
        parts_dir.mkdir(exist_ok=True)
        for stale in parts_dir.glob("*.tmp"):
            stale.unlink()
        handle = None
    else:
        handle = open(output, "r+b" if output.exists() else "wb")  # noqa: SIM115
        handle.truncate(state.bytes)  # drop a half-written tail
        handle.seek(state.bytes)
    try:
        for chunk in read_chunks(input_path, state.rows, chunk_size):
            rows = predict_records(classifier, chunk, columns, batch_size)
            if handle is not None:
                handle.write(encode_rows(rows, fmt, header=fmt == "csv" and state.bytes == 0))
                handle.flush()
                os.fsync(handle.fileno())
                state.bytes = handle.tell()
            else:
                write_part(rows, parts_dir / f"part-{state.parts:06d}.parquet")
                state.parts += 1
            state.rows += len(rows)
            save_progress(progress_file, state)
            bar.update(len(rows))
    finally:
        bar.close()
        if handle is not None:
            handle.close()
    if fmt == "parquet":
        merge_parts(parts_dir, output)
    state.complete = True
    save_progress(progress_file, state)
    return state


def save_progress(path: Path, state: Progress) -> None:
    """Record a job's progress atomically (a temporary file, then a rename)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state.__dict__))
    os.replace(tmp, path)  # atomic: a crash leaves the old or the new progress, never half


def _schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [("row", pa.int64()), ("id", pa.string()), ("source", pa.string()), ("target", pa.string()),
         ("predicted_label", pa.string()), ("predicted_score", pa.float64()),
         ("predicted_scores", pa.string()), ("error", pa.string())]
    )  # fmt: skip


def write_part(rows: list[dict[str, Any]], path: Path, schema: Any = None) -> None:
    """Write one Parquet part atomically (a temporary file, then a rename).

    ``schema`` is a ``pyarrow.Schema`` for the rows (the predictions' by default).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = path.with_suffix(".tmp")
    pq.write_table(pa.Table.from_pylist(rows, schema=schema or _schema()), tmp)
    os.replace(tmp, path)


def merge_parts(parts_dir: Path, output: Path, schema: Any = None) -> None:
    """Join the Parquet parts of ``parts_dir`` into ``output`` in order, then remove them.

    With ``schema`` (a ``pyarrow.Schema``), every part is cast to it first; without it the
    parts hold the predictions' schema.
    """
    import pyarrow.parquet as pq

    with pq.ParquetWriter(output, schema or _schema()) as writer:
        for part in sorted(parts_dir.glob("part-*.parquet")):
            table = pq.read_table(part)
            writer.write_table(table if schema is None else table.cast(schema))
    shutil.rmtree(parts_dir)
