"""Batch prediction on Ray Data, for archives that outgrow one machine (``stance[ray]``).

    stance predict --engine ray --model DIR --input s3://bucket/news.jsonl --output out.jsonl [--address auto]

Ray Data reads the input (JSONL or Parquet, from any filesystem pyarrow or fsspec
understands), an actor pool loads the model once per worker (with a GPU each where the
cluster has them) and predicts the input chunk by chunk (``groupby(chunk).map_groups``,
the same chunks of rows as the local engine). Each chunk goes through the same
:func:`stance.batch.predict_records` as the local engine, so bad rows become the same
error rows and the output, streamed back in input order through the same writer, is
identical row for row to ``--engine local``.

``stance analyze --engine ray --input ... --output ...`` (:func:`analyze_file_ray`) does
the same for an archive of articles: the same chunks of articles go through the same
:func:`stance.archive.analyze_records`, so its edge and status files are the local
engine's.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stance.batch import (
    clear_output,
    encode_rows,
    merge_typed_parts,
    prediction_schema,
    write_typed_part,
)
from stance.io import detect_format, parse_jsonl_line

logger = logging.getLogger(__name__)

ROW = "__stance_row__"
CHUNK = "__stance_chunk__"


def worker_precision(precision: str | None, device: str | None) -> tuple[str | None, str | None]:
    """The precision and device every worker gets, settled on the driver: ``precision``, or
    the driver's ``$STANCE_PRECISION`` (a remote worker does not see the driver's
    environment), or ``None`` for each worker's own default; int8 puts them on the CPU."""
    from stance.classifier import check_precision

    asked, where = check_precision(precision or os.environ.get("STANCE_PRECISION") or None, device)
    return asked, None if where is None else str(where)


class RayWorker:
    """What every per-worker callable holds: the model, loaded once per worker, and how to
    read its input (the column mapping, the input's path and format for error messages)."""

    def __init__(
        self,
        model: str,
        columns: dict[str, str] | None,
        path: str,
        fmt: str,
        device: str | None,
        precision: str | None = None,
    ) -> None:
        from stance.classifier import StanceClassifier

        self.classifier = StanceClassifier.from_pretrained(
            model, device=device, precision=precision
        )
        self.columns = columns
        self.path = path
        self.fmt = fmt


class RayPredictor(RayWorker):
    """The per-worker predictor: loads the model once, then predicts batch after batch."""

    def __init__(
        self,
        model: str,
        columns: dict[str, str] | None,
        batch_size: int,
        path: str,
        fmt: str,
        device: str | None = None,
        precision: str | None = None,
    ) -> None:
        super().__init__(model, columns, path, fmt, device, precision)
        self.batch_size = batch_size

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        import json

        from stance.batch import predict_records

        # A group arrives in no set order: put it back in input order first.
        order = np.argsort(batch[ROW], kind="stable")
        batch = {column: values[order] for column, values in batch.items()}
        numbers = [int(n) + 1 for n in batch[ROW]]
        if self.fmt == "jsonl":
            records = [
                (n, parse_jsonl_line(line, self.path, n)) for n, line in zip(numbers, batch["text"])
            ]
        else:
            names = [c for c in batch if c not in (ROW, CHUNK)]
            records = [(n, {c: _plain(batch[c][i]) for c in names}) for i, n in enumerate(numbers)]
        rows = predict_records(self.classifier, records, self.columns, self.batch_size)
        # Rows travel as JSON, which gives back the same floats, ids and score objects.
        return {
            "row": [row["row"] for row in rows],
            "prediction": [json.dumps(row, ensure_ascii=False) for row in rows],
        }


def _plain(value: Any) -> Any:
    """numpy scalars and arrays (as Ray hands them over) to the plain values the local engine sees."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def chunked_records(
    ray: Any, input_path: str, fmt: str, chunk_size: int, workers: int | None, address: str | None
) -> tuple[Any, int, float]:
    """The input as a Ray dataset of records, each with its row number and its chunk (the
    local engine's chunks: rows 1-``chunk_size``, then the next ``chunk_size``...), the
    actor pool's size and the cluster's GPUs. Both engines' Ray paths start here."""
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, configure_logging=False)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # rows come back in input order
    if fmt == "jsonl":
        # Lines, not parsed JSON: a malformed line must get its error row or status line,
        # not fail the read.
        data = ray.data.read_text(input_path, drop_empty_lines=False)
    else:
        data = ray.data.read_parquet(input_path)
    total = data.count()
    data = data.zip(ray.data.range(total).rename_columns({"id": ROW}))  # each record's row number
    resources = ray.cluster_resources()
    gpus = resources.get("GPU", 0)
    # Leave a CPU for the read and zip tasks, or the actors can starve them.
    pool = workers or (int(gpus) if gpus else max(1, int(resources.get("CPU", 2)) - 1))
    # The same chunks as the local engine: texts are batched and padded within a chunk, so
    # the same chunks give the same floating-point sums, and results identical to the last
    # digit written.
    data = data.add_column(CHUNK, lambda frame: frame[ROW] // chunk_size, batch_format="pandas")
    return data, pool, gpus


def predict_file_ray(
    model: str | os.PathLike[str],
    input_path: str,
    output_path: str | os.PathLike[str],
    *,
    batch_size: int = 32,
    chunk_size: int = 1024,
    workers: int | None = None,
    address: str | None = None,
    columns: dict[str, str] | None = None,
    device: str | None = None,
    precision: str | None = None,
    overwrite: bool = False,
) -> int:
    """Predict every row of ``input_path`` with a Ray actor pool; returns the rows written.

    Args:
        model: A model directory every worker can read (a shared or cloud path on a cluster).
        input_path: JSONL or Parquet, local or any pyarrow/fsspec URI.
        output_path: ``.jsonl``, ``.csv`` or ``.parquet``, written by the driver in input order.
        chunk_size: Rows predicted together, as ``--chunk-size`` of the local engine; keep
            them equal for identical output.
        workers: Actors in the pool; by default one per GPU, or two on CPUs.
        address: A Ray cluster to join (``auto``, ``ray://...``); a local Ray otherwise.
        device: Where each worker runs the model (``cpu``, ``cuda``); by default CUDA
            where the worker has it.
        precision: As for :meth:`~stance.classifier.StanceClassifier.from_pretrained`
            (by default each worker's own: bfloat16 on a CPU that has it); keep it equal to
            the local engine's for identical output.
        overwrite: Replace an existing output; without it an existing output is refused,
            as the local engine refuses it.

    Raises:
        FileExistsError: The output exists and ``overwrite`` is not set.
    """
    precision, device = worker_precision(precision, device)
    try:
        import ray
    except ImportError:
        raise ImportError("The Ray engine needs Ray Data: pip install 'stance[ray]'") from None
    import json

    fmt = detect_format(input_path)
    if fmt not in {"jsonl", "parquet"}:
        raise ValueError(f"{input_path}: the Ray engine reads .jsonl or .parquet files.")
    out_fmt = detect_format(output_path)
    output = Path(output_path)
    parts = output.with_name(output.name + ".parts")
    try:
        clear_output(output, resume=False, overwrite=overwrite)
    except FileExistsError:
        raise FileExistsError(
            f"{output} exists; pass --overwrite to replace it (the Ray engine does not resume)."
        ) from None
    data, pool, gpus = chunked_records(ray, input_path, fmt, chunk_size, workers, address)
    predictions = (
        data.groupby(CHUNK)
        .map_groups(
            RayPredictor,
            fn_constructor_args=(
                str(model),
                columns,
                batch_size,
                str(input_path),
                fmt,
                device,
                precision,
            ),
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=pool),
            num_gpus=1 if gpus and device != "cpu" else 0,
        )
        .sort("row")
    )  # groups come back in any order
    schema = prediction_schema(model_labels(model))
    output.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with open(output, "wb") if out_fmt != "parquet" else contextlib.nullcontext() as handle:
        if out_fmt == "parquet":
            parts.mkdir(exist_ok=True)
        batches: Any = predictions.iter_batches(batch_size=1024, batch_format="numpy")
        for index, batch in enumerate(batches):
            rows = [json.loads(text) for text in batch["prediction"]]
            if handle is not None:
                handle.write(encode_rows(rows, out_fmt, header=out_fmt == "csv" and written == 0))
            else:
                write_typed_part(rows, parts / f"part-{index:06d}.parquet", schema)
            written += len(rows)
    if out_fmt == "parquet":
        merge_typed_parts(parts, output, schema)
    logger.info("Ray engine wrote %d rows to %s", written, output)
    return written


# --- analysing an archive ------------------------------------------------------------------


class RayAnalyzer(RayWorker):
    """The per-worker analyzer: loads the model once, then analyzes chunk after chunk of
    articles through :func:`stance.archive.analyze_records`, as the local engine does."""

    def __init__(
        self,
        model: str,
        columns: dict[str, str] | None,
        actors: Any,
        options: dict[str, Any],
        path: str,
        fmt: str,
        device: str | None = None,
        precision: str | None = None,
    ) -> None:
        super().__init__(model, columns, path, fmt, device, precision)
        self.actors = actors
        self.options = options

    def __call__(self, batch: Any) -> Any:
        import json

        import pyarrow as pa

        from stance.archive import analyze_records

        batch = batch.sort_by(ROW)  # a group arrives in no set order
        numbers = [int(n) + 1 for n in batch.column(ROW).to_pylist()]
        records: list[tuple[int, Any]]
        if self.fmt == "jsonl":
            lines = batch.column("text").to_pylist()
            records = [(n, parse_jsonl_line(line, self.path, n)) for n, line in zip(numbers, lines)]
        else:
            names = [c for c in batch.column_names if c not in (ROW, CHUNK)]
            records = list(zip(numbers, batch.select(names).to_pylist()))
        results = analyze_records(
            self.classifier, records, self.columns, self.actors, **self.options
        )
        # Edges travel as JSON, which gives back the same floats, ids and strings.
        return pa.table(
            {
                "row": [r.status["row"] for r in results],
                "status": [json.dumps(r.status, ensure_ascii=False) for r in results],
                "edges": [json.dumps(r.edges, ensure_ascii=False) for r in results],
            }
        )


def model_labels(model: str | os.PathLike[str]) -> list[str]:
    """The labels of a saved model, read from its ``stance_config.json`` on any filesystem
    pyarrow understands (the driver needs them for the Parquet schema, not the model)."""
    import json

    import pyarrow.fs as pafs

    from stance.modeling import CONFIG_NAME, StanceConfig

    location = str(model).rstrip("/") + "/" + CONFIG_NAME
    try:
        fs, path = pafs.FileSystem.from_uri(location)
    except (ValueError, TypeError):
        fs, path = pafs.LocalFileSystem(), os.path.abspath(location)
    with fs.open_input_stream(path) as stream:
        config = StanceConfig.from_dict(json.loads(stream.read().decode("utf-8")))
    return list(config.label_set)


def analyze_file_ray(
    model: str | os.PathLike[str],
    input_path: str,
    output_path: str | os.PathLike[str],
    *,
    actors: Any = None,
    columns: dict[str, str] | None = None,
    chunk_size: int = 64,
    roll_up: bool = False,
    threshold: float | None = None,
    window: int | None = None,
    rule: str | None = None,
    exclude_within_side: Sequence[str] | None = None,
    workers: int | None = None,
    address: str | None = None,
    device: str | None = None,
    precision: str | None = None,
    overwrite: bool = False,
) -> int:
    """Analyze every article of ``input_path`` with a Ray actor pool; returns the articles.

    The same chunks of articles as the local engine go through the same
    :func:`stance.archive.analyze_records`, and the driver writes the edge file and its
    status file in input order, so both are identical to
    :func:`stance.archive.analyze_file`'s.

    Args:
        model: A model directory every worker can read (a shared or cloud path on a cluster).
        input_path: JSONL or Parquet, local or any pyarrow/fsspec URI.
        output_path: ``.jsonl``, ``.csv`` or ``.parquet``; the status file is
            ``<output>.status.jsonl``.
        actors: An :class:`~stance.actors.Actors` for articles that give none; ``None``
            discovers them.
        columns: ``{your column: our field}``, as for the local engine.
        chunk_size: Articles analyzed together, as for the local engine.
        roll_up, threshold, window, rule, exclude_within_side: Passed on to ``analyze``.
        workers: Actors in the pool; by default one per GPU, or all CPUs but one.
        address: A Ray cluster to join (``auto``, ``ray://...``); a local Ray otherwise.
        device: Where each worker runs the model; by default CUDA where it has it.
        precision: As for :meth:`~stance.classifier.StanceClassifier.from_pretrained`
            (by default each worker's own: bfloat16 on a CPU that has it); keep it equal to
            the local engine's for identical output.
        overwrite: Replace an existing output (the Ray engine does not resume).

    Returns:
        The number of articles (status lines) written.

    Raises:
        FileExistsError: The output exists and ``overwrite`` is not set.
        ValueError: The input is not JSONL or Parquet, or ``columns`` is bad.

    Example:
        >>> analyze_file_ray("/shared/models/stance", "s3://bucket/news.jsonl",
        ...                  "edges.parquet", address="auto")  # doctest: +SKIP
        120000
    """
    precision, device = worker_precision(precision, device)
    try:
        import ray
    except ImportError:
        raise ImportError("The Ray engine needs Ray Data: pip install 'stance[ray]'") from None
    import json

    from stance.archive import (
        check_columns,
        check_output,
        edge_schema,
        encode_edges,
        prepare_output,
        status_path,
    )

    fmt = detect_format(input_path)
    if fmt not in {"jsonl", "parquet"}:
        raise ValueError(f"{input_path}: the Ray engine reads .jsonl or .parquet files.")
    output = Path(output_path)
    out_fmt = check_output(output)
    columns = check_columns(columns)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}.")
    parts = output.with_name(output.name + ".parts")
    try:
        prepare_output(output, resume=False, overwrite=overwrite)
    except FileExistsError:
        raise FileExistsError(
            f"{output} exists; pass --overwrite to replace it (the Ray engine does not resume)."
        ) from None
    labels = model_labels(model)
    if exclude_within_side is not None:  # checked here, not as an error row per article
        unknown = [n for n in exclude_within_side if n not in labels]
        if isinstance(exclude_within_side, str) or unknown:
            raise ValueError(
                f"exclude_within_side {exclude_within_side!r}: give a list of this model's "
                f"labels ({', '.join(labels)}), or none."
            )
    data, pool, gpus = chunked_records(ray, input_path, fmt, chunk_size, workers, address)
    options = {
        "roll_up": roll_up,
        "threshold": threshold,
        "window": window,
        "rule": rule,
        "exclude_within_side": exclude_within_side,
    }
    results = (
        data.groupby(CHUNK)
        .map_groups(
            RayAnalyzer,
            fn_constructor_args=(
                str(model),
                columns,
                actors,
                options,
                str(input_path),
                fmt,
                device,
                precision,
            ),
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=pool),
            num_gpus=1 if gpus and device != "cpu" else 0,
        )
        .sort("row")
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    edges_written = 0
    with (
        open(status_path(output), "wb") as status,
        open(output, "wb") if out_fmt != "parquet" else contextlib.nullcontext() as handle,
    ):
        if out_fmt == "parquet":
            parts.mkdir(exist_ok=True)
        batches: Any = results.iter_batches(batch_size=1024, batch_format="pyarrow")
        for index, batch in enumerate(batches):
            statuses = [json.loads(s) for s in batch.column("status").to_pylist()]
            edges = [e for text in batch.column("edges").to_pylist() for e in json.loads(text)]
            if handle is not None:
                handle.write(encode_edges(edges, out_fmt, header=out_fmt == "csv" and index == 0))
            else:
                write_typed_part(edges, parts / f"part-{index:06d}.parquet", edge_schema(labels))
            status.write(encode_rows(statuses, "jsonl", header=False))
            written += len(statuses)
            edges_written += len(edges)
        if handle is not None and out_fmt == "csv" and written == 0:
            handle.write(encode_edges([], "csv", header=True))
    if out_fmt == "parquet":
        merge_typed_parts(parts, output, edge_schema(labels))
    logger.info("Ray engine analyzed %d articles into %d edges in %s", written, edges_written,
                output)  # fmt: skip
    return written
