"""Analysing an archive: every article of a file through the one document loop.

Each article is read by :meth:`stance.classifier.StanceClassifier.analyze`, as one
article is; this module only streams the archive through it and writes the results.

**Input** (JSONL, CSV or Parquet, by extension): one article per row, with ``text``,
an optional ``id``, ``date`` (an ISO string) and ``actors`` (a list of names or a
``{name: [aliases]}`` dictionary; in a CSV cell, as JSON). Other column names are mapped
with ``columns={"theirs": "ours"}``. An article without its own actors gets the shared
``actors`` of the job; with neither, the actors are discovered (spaCy NER).

**Output**, one row per edge (:data:`EDGE_COLUMNS`): ``row`` (the article's line or row
in the input), ``id`` (of the input's type), ``date``, ``source``, ``target``,
``label``, ``score``, ``scores`` (every label's probability) and ``evidence`` (a list of
``{text, start, end, score}``). In JSONL ``scores`` is an object and ``evidence`` a list
of objects; in Parquet a struct and a list of structs; in CSV both are JSON text. Scores
are rounded to :data:`stance.batch.DIGITS` places.

**Status**: ``<output>.status.jsonl`` has exactly one line per input article, in input
order: ``{row, id, status, edges, error, note}``. ``status`` is ``"ok"`` or ``"error"``;
``error`` says why an article could not be read (a malformed line, no text, bad actors),
and ``note`` flags an article read without trouble but with fewer than two actors found,
or with passages that had to be skipped. A failed article never stops the job.

Progress is recorded in ``<output>.progress.json`` after every chunk of articles (as
:mod:`stance.batch` does), so ``resume=True`` continues a killed job with nothing lost
and nothing written twice.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm.auto import tqdm

from stance.actors import Actors
from stance.batch import (
    DIGITS,
    Progress,
    append_synced,
    clear_output,
    count_rows,
    encode_rows,
    merge_typed_parts,
    open_at,
    plain_id,
    progress_path,
    read_chunks,
    save_progress,
    write_typed_part,
)
from stance.io import DataError, detect_format

if TYPE_CHECKING:
    from stance.classifier import StanceClassifier
    from stance.graph import StanceGraph

logger = logging.getLogger(__name__)

ARTICLE_FIELDS = ("id", "text", "date", "actors")
EDGE_COLUMNS = ("row", "id", "date", "source", "target", "label", "score", "scores", "evidence")
STATUS_COLUMNS = ("row", "id", "status", "edges", "error", "note")


@dataclass(frozen=True)
class ArticleResult:
    """What one input article gave: its status line and its edge rows.

    Attributes:
        status: The article's line of the status file (:data:`STATUS_COLUMNS`).
        edges: One row per edge (:data:`EDGE_COLUMNS`), plain JSON values.
    """

    status: dict[str, Any]
    edges: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ArchiveProgress(Progress):
    """How far a job has got: articles read (``rows``), edges and errors written, and
    where each output file ends (``bytes`` for the edges, ``status_bytes``)."""

    status_bytes: int = 0
    edges: int = 0
    errors: int = 0


def status_path(output: str | os.PathLike[str]) -> Path:
    """The status sidecar of an edge file: ``<output>.status.jsonl``."""
    output = Path(output)
    return output.with_name(output.name + ".status.jsonl")


def check_columns(columns: Mapping[str, str] | None) -> dict[str, str]:
    """Validate a ``{theirs: ours}`` column mapping for articles.

    Raises:
        ValueError: A mapping targets a field articles do not have.
    """
    columns = dict(columns or {})
    for theirs, ours in columns.items():
        if ours not in ARTICLE_FIELDS:
            raise ValueError(
                f"column mapping {theirs}={ours}: articles have no field {ours!r}; "
                f"the fields are {', '.join(ARTICLE_FIELDS)} (e.g. --column body=text)."
            )
    return columns


def analyze_records(
    classifier: StanceClassifier,
    records: Sequence[tuple[int, dict[str, Any] | DataError]],
    columns: Mapping[str, str] | None = None,
    actors: Actors | None = None,
    roll_up: bool = False,
    threshold: float | None = None,
    window: int | None = None,
    rule: str | None = None,
    exclude_within_side: Sequence[str] | None = None,
) -> list[ArticleResult]:
    """Analyze a chunk of ``(row, record)`` articles; every engine calls this.

    Args:
        classifier: The model; each article goes through its ``analyze``.
        records: Numbered records as :func:`stance.io.iter_records` yields them (a
            malformed line is a :class:`~stance.io.DataError` in place of its record).
        columns: ``{your column: our field}``, our fields being :data:`ARTICLE_FIELDS`.
        actors: The actors of an article that gives none; ``None`` discovers them.
        roll_up, threshold, window, rule, exclude_within_side: Passed on to ``analyze``.

    Returns:
        One :class:`ArticleResult` per record, in order.

    Raises:
        ValueError: ``columns`` targets an unknown field.

    Example:
        >>> results = analyze_records(clf, [(1, {"id": 7, "text": "Turkey condemned Haftar."})],
        ...                           actors=Actors.coerce(["Turkey", "Haftar"]))  # doctest: +SKIP
        >>> results[0].status["status"]  # doctest: +SKIP
        'ok'
    """
    columns = check_columns(columns)
    results = []
    for row, record in records:
        results.append(
            _analyze_one(
                classifier,
                row,
                record,
                columns,
                actors,
                {
                    "roll_up": roll_up,
                    "threshold": threshold,
                    "window": window,
                    "rule": rule,
                    "exclude_within_side": exclude_within_side,
                },
            )
        )
    return results


def _analyze_one(
    classifier: StanceClassifier,
    row: int,
    record: dict[str, Any] | DataError,
    columns: dict[str, str],
    shared: Actors | None,
    options: dict[str, Any],
) -> ArticleResult:
    status: dict[str, Any] = {
        "row": row,
        "id": None,
        "status": "error",
        "edges": 0,
        "error": None,
        "note": None,
    }
    if isinstance(record, DataError):
        status["error"] = str(record)
        return ArticleResult(status)
    article = {columns.get(k, k): v for k, v in record.items()}
    ident = plain_id(article.get("id"))
    status["id"] = ident
    try:
        text = article.get("text")
        if "text" not in article:
            have = sorted(record)
            raise ValueError(
                f"missing column 'text'; the row has {have}. Rename it, or map it with "
                f"--column {have[0] if have else 'body'}=text."
            )
        if not isinstance(text, str):
            raise ValueError(f"text must be a string, found {type(text).__name__}.")
        if not text.strip():
            raise ValueError("the text is empty; give the article's text.")
        date = _date(article.get("date"))
        own = _row_actors(article.get("actors"))
        graph = classifier.analyze(text, own if own is not None else shared, **options)
    except ValueError as err:
        status["error"] = str(err) or type(err).__name__
        return ArticleResult(status)
    status.update(status="ok", edges=len(graph.edges), note=_note(graph))
    return ArticleResult(status, edge_rows(graph, row, ident, date))


def edge_rows(graph: StanceGraph, row: int, ident: Any, date: str | None) -> list[dict[str, Any]]:
    """The output rows (:data:`EDGE_COLUMNS`) of one article's graph, strongest first."""
    return [
        {
            "row": row,
            "id": ident,
            "date": date,
            "source": e.source,
            "target": e.target,
            "label": e.label,
            "score": round(e.score, DIGITS),
            "scores": {k: round(v, DIGITS) for k, v in e.scores.items()},
            "evidence": [
                {
                    "text": ev.text,
                    "start": ev.start,
                    "end": ev.end,
                    "score": round(ev.score, DIGITS),
                }
                for ev in e.evidence
            ],
        }
        for e in graph.edges
    ]


def _note(graph: StanceGraph) -> str | None:
    notes = []
    found = [n.name for n in graph.nodes if n.mentions]
    if len(found) < 2:
        notes.append(
            f"fewer than two actors found ({', '.join(found) or 'none'}), so no stance to read"
        )
    if graph.skipped:
        notes.append(f"{len(graph.skipped)} passage(s) skipped: {graph.skipped[0]}")
    return "; ".join(notes) or None


def _date(value: Any) -> str | None:
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value).strip() or None


def _row_actors(value: Any) -> Actors | None:
    """An article's own actors, or ``None`` when it gives none."""
    if value is None or value == "" or (isinstance(value, (list, dict, tuple)) and not value):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ValueError(
                f"actors {value[:60]!r} is not JSON; write a list of names like "
                '["Turkey", "Haftar"] or a dictionary like {"Turkey": ["Ankara"]}.'
            ) from None
    if isinstance(value, list) and value and all(isinstance(v, tuple) for v in value):
        value = dict(value)  # a Parquet map column comes back as (key, value) pairs
    try:
        return Actors.coerce(value)
    except ValueError as err:
        raise ValueError(f"bad actors: {err}") from None


# --- writing ----------------------------------------------------------------------------


def encode_edges(rows: list[dict[str, Any]], fmt: str, header: bool) -> bytes:
    """Edge rows as JSONL or CSV bytes (the CSV's header line when ``header``; there
    ``scores`` and ``evidence`` are JSON text)."""
    return encode_rows(rows, fmt, header, EDGE_COLUMNS)


def edge_schema(labels: Sequence[str]) -> Callable[[Any], Any]:
    """The Parquet schema of edges for an ``id`` type: ``scores`` a struct of the labels,
    ``evidence`` a list of structs (for :func:`stance.batch.write_typed_part`)."""
    import pyarrow as pa

    evidence = pa.struct(
        [("text", pa.string()), ("start", pa.int64()), ("end", pa.int64()), ("score", pa.float64())]
    )

    def schema(id_type: Any) -> Any:
        return pa.schema(
            [("row", pa.int64()), ("id", id_type), ("date", pa.string()),
             ("source", pa.string()), ("target", pa.string()), ("label", pa.string()),
             ("score", pa.float64()), ("scores", pa.struct([(k, pa.float64()) for k in labels])),
             ("evidence", pa.list_(evidence))]
        )  # fmt: skip

    return schema


def prepare_output(output: Path, resume: bool, overwrite: bool) -> ArchiveProgress | None:
    """:func:`stance.batch.clear_output` for an analysis job, whose status file goes with
    its output; the progress to resume from, if any."""
    saved = clear_output(output, resume, overwrite, (status_path(output),))
    return ArchiveProgress(**saved) if saved else None


def check_output(output: Path) -> str:
    fmt = detect_format(output)
    if fmt not in {"jsonl", "csv", "parquet"}:
        raise ValueError(f"{output}: write edges as .jsonl, .csv or .parquet.")
    return fmt


def analyze_file(
    classifier: StanceClassifier,
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    actors: Actors | None = None,
    columns: Mapping[str, str] | None = None,
    chunk_size: int = 64,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    roll_up: bool = False,
    threshold: float | None = None,
    window: int | None = None,
    rule: str | None = None,
    exclude_within_side: Sequence[str] | None = None,
) -> ArchiveProgress:
    """Analyze every article of ``input_path`` into an edge file and its status file.

    Articles are read and written a chunk at a time, in constant memory, with a progress
    bar counted in articles. See the module docstring for the formats.

    Args:
        classifier: The model.
        input_path: Articles as JSONL, CSV or Parquet.
        output_path: The edges: ``.jsonl``, ``.csv`` or ``.parquet``; the status file is
            ``<output>.status.jsonl``.
        actors: The actors of an article that gives none of its own (for example
            ``Actors.load("actors.yaml")``); ``None`` discovers them.
        columns: ``{your column: our field}`` (``id``, ``text``, ``date``, ``actors``).
        chunk_size: Articles read and written at a time.
        resume: Continue an interrupted job from its progress file.
        overwrite: Start over even if the output exists.
        progress: Show a progress bar.
        roll_up, threshold, window, rule, exclude_within_side: Passed on to ``analyze``.

    Returns:
        The final :class:`ArchiveProgress` (articles, edges and errors written).

    Raises:
        FileExistsError: The output exists and neither ``resume`` nor ``overwrite`` is set.
        ValueError: The output is not ``.jsonl``, ``.csv`` or ``.parquet``, or ``columns``
            targets an unknown field.

    Example:
        >>> clf = StanceClassifier.from_pretrained("runs/default/model")  # doctest: +SKIP
        >>> analyze_file(clf, "articles.jsonl", "edges.parquet",
        ...              actors=Actors.load("actors.yaml")).rows  # doctest: +SKIP
        1200
    """
    output = Path(output_path)
    fmt = check_output(output)
    columns = check_columns(columns)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}.")
    if exclude_within_side is not None:  # checked here, not as an error row per article
        classifier.within_side_labels(exclude_within_side)
    state = prepare_output(output, resume, overwrite)
    if state is not None and state.complete:
        logger.info("%s is already complete (%d articles)", output, state.rows)
        return state
    state = state or ArchiveProgress()
    progress_file = progress_path(output)
    parts_dir = output.with_name(output.name + ".parts")
    labels = list(classifier.labels)
    output.parent.mkdir(parents=True, exist_ok=True)

    total = count_rows(input_path) if progress else None
    bar = tqdm(
        total=total, initial=state.rows, disable=not progress, unit="article", desc="analyze"
    )
    status = open_at(status_path(output), state.status_bytes)
    if fmt == "parquet":
        parts_dir.mkdir(exist_ok=True)
        for stale in parts_dir.glob("*.tmp"):
            stale.unlink()
        handle = None
    else:
        handle = open_at(output, state.bytes)
    try:
        for chunk in read_chunks(input_path, state.rows, chunk_size):
            results = analyze_records(
                classifier,
                chunk,
                columns,
                actors,
                roll_up,
                threshold,
                window,
                rule,
                exclude_within_side,
            )
            edges = [row for result in results for row in result.edges]
            if handle is not None:
                append_synced(
                    handle, encode_edges(edges, fmt, header=fmt == "csv" and state.bytes == 0)
                )
                state.bytes = handle.tell()
            else:
                write_typed_part(
                    edges, parts_dir / f"part-{state.parts:06d}.parquet", edge_schema(labels)
                )
                state.parts += 1
            append_synced(status, encode_rows([r.status for r in results], "jsonl", header=False))
            state.status_bytes = status.tell()
            state.rows += len(results)
            state.edges += len(edges)
            state.errors += sum(r.status["status"] == "error" for r in results)
            save_progress(progress_file, state)
            bar.update(len(results))
    finally:
        bar.close()
        status.close()
        if handle is not None:
            handle.close()
    if fmt == "parquet":
        merge_typed_parts(parts_dir, output, edge_schema(labels))
    elif fmt == "csv" and state.bytes == 0:
        output.write_bytes(encode_edges([], "csv", header=True))  # a header, even with no edges
    state.complete = True
    save_progress(progress_file, state)
    logger.info(
        "%d articles (%d errors), %d edges written to %s",
        state.rows,
        state.errors,
        state.edges,
        output,
    )
    return state
