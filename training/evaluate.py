"""Evaluate a trained model on labelled data.

    stance evaluate --model runs/dse-minilm/model --data ../shared/data/dse/test_dedup.tsv [--output m.json]

Prints micro- and macro-F1, the per-class report and the confusion matrix of the directed
labels, and writes them as JSON. On DSE files it also recovers each row's 5-way label from
its two directed predictions (:func:`stance.io.dse_label`: a direction counts when its
argmax is non-neutral, and when both do the more probable one wins) and scores that too,
so the numbers compare with published ones.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stance.classifier import StanceClassifier
from stance.encoding import passage_unit
from stance.io import (
    DSE_FROM_DIRECTED,
    DSE_LABELS,
    detect_format,
    dse_label,
    load_examples,
    load_passages,
)
from stance.schema import PRECISIONS, Passage, StanceExample, StancePrediction

logger = logging.getLogger(__name__)


def scores(golds: Sequence[str], preds: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Micro/macro-F1, the per-class report and the confusion matrix (scikit-learn)."""
    from sklearn.metrics import classification_report, confusion_matrix, f1_score

    labels = list(labels)
    return {
        "micro_f1": float(f1_score(golds, preds, labels=labels, average="micro", zero_division=0)),
        "macro_f1": float(f1_score(golds, preds, labels=labels, average="macro", zero_division=0)),
        "n": len(golds),
        "report": classification_report(
            golds, preds, labels=labels, output_dict=True, zero_division=0
        ),
        "labels": labels,
        "confusion": confusion_matrix(golds, preds, labels=labels).tolist(),
    }


def dse_scores(
    examples: Sequence[StanceExample],
    predictions: Sequence[StancePrediction],
    threshold: float | None = None,
) -> dict[str, Any]:
    """5-way DSE scores: each row's label recovered from its p->q and q->p predictions
    (:func:`stance.io.dse_label`, with ``threshold`` if given)."""
    rows: dict[str, dict[str, Any]] = {}
    for example, prediction in zip(examples, predictions):
        row, direction = str(example.id).split(":")
        rows.setdefault(row, {})[direction] = (example.label, prediction.scores)
    golds, preds = [], []
    for both in rows.values():
        golds.append(DSE_LABELS[DSE_FROM_DIRECTED[(both["pq"][0], both["qp"][0])]])
        preds.append(DSE_LABELS[dse_label(both["pq"][1], both["qp"][1], threshold)])
    return scores(golds, preds, DSE_LABELS)


def read_passages(path: str) -> list[Passage] | None:
    """The passages of a passage file (the bundled corpus), or ``None`` for other files."""
    if detect_format(path) != "jsonl":
        return None
    with open(path, encoding="utf-8") as handle:
        first = json.loads(next(handle, "{}") or "{}")
    return list(load_passages(path)) if "actors" in first else None


def predict_passages(
    classifier: StanceClassifier, passages: Sequence[Passage], batch_size: int = 64
) -> tuple[list[StanceExample], list[StancePrediction]]:
    """Every directed example of ``passages`` with its prediction, each passage read with
    all its actors known, as training validation reads it.

    Raises:
        ValueError: A passage cannot be read (too long for the encoder, say).
    """
    neutral = classifier.labels.neutral
    examples: list[StanceExample] = []
    units = []
    for passage in passages:
        units.append(passage_unit(passage, len(examples), neutral))
        examples += passage.examples(neutral)
    predictions: list[StancePrediction | None] = [None] * len(examples)
    scored = classifier.score_units(units, batch_size=batch_size, progress=True)
    for passage, unit, probs in zip(passages, units, scored):
        if isinstance(probs, ValueError):
            raise ValueError(f"Passage {passage.id}: {probs}") from probs
        for (i, j), row, p in zip(unit.pairs, unit.rows, probs):
            predictions[row] = classifier.prediction(unit.actors[i], unit.actors[j], p)
    return examples, [p for p in predictions if p is not None]


def evaluate(
    classifier: StanceClassifier,
    path: str,
    batch_size: int = 64,
    dse_threshold: float | None = None,
    predictions: Sequence[StancePrediction] | None = None,
) -> dict[str, Any]:
    """Score ``classifier`` on the file at ``path`` (passages, examples or DSE).

    A passage is read with all its actors known, a directed example with its source and
    target, as training and its validation read them. ``predictions`` may be given to
    re-score without predicting again.
    """
    passages = read_passages(path)
    if passages is not None:
        examples, predicted = predict_passages(classifier, passages, batch_size)
    else:
        examples = list(load_examples(path))
        predicted = None
    if predictions is None:
        predictions = predicted or classifier.predict_batch(
            examples, batch_size=batch_size, progress=True
        )
    result: dict[str, Any] = {
        "data": path,
        "directed": scores(
            [str(e.label) for e in examples],
            [p.label for p in predictions],
            classifier.labels.labels,
        ),
    }
    if detect_format(path) == "dse":
        result["dse5"] = dse_scores(examples, predictions, dse_threshold)
        result["dse5"]["threshold"] = dse_threshold
    return result


def format_result(result: dict[str, Any]) -> str:
    lines = [f"data: {result['data']}"]
    for key in ("directed", "dse5"):
        if key not in result:
            continue
        r = result[key]
        lines.append(
            f"\n{key}: micro-F1 {100 * r['micro_f1']:.2f}  macro-F1 {100 * r['macro_f1']:.2f}  (n={r['n']})"
        )
        lines.append(f"{'label':<16}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
        for label in r["labels"]:
            c = r["report"][label]
            lines.append(
                f"{label:<16}{c['precision']:>10.3f}{c['recall']:>10.3f}{c['f1-score']:>10.3f}{int(c['support']):>10}"
            )
        lines.append("confusion (rows gold, columns predicted): " + " ".join(r["labels"]))
        lines += ["  " + " ".join(f"{v:>6}" for v in row) for row in r["confusion"]]
    return "\n".join(lines)


def run_cli(args: argparse.Namespace) -> int:
    classifier = StanceClassifier.from_pretrained(args.model, device=args.device,
                                                  precision=args.precision)  # fmt: skip
    result = evaluate(classifier, args.data, args.batch_size, args.dse_threshold)
    print(format_result(result))
    if args.output:
        Path(args.output).write_text(json.dumps(result, indent=2))
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True)
    parser.add_argument(
        "--data", required=True, help="Passages/examples JSONL, CSV, Parquet, or DSE .tsv"
    )
    parser.add_argument("--output", help="Write the metrics as JSON here.")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--dse-threshold",
        type=float,
        help="Non-neutral probability a DSE direction needs (default: argmax).",
    )
    parser.add_argument("--device")
    parser.add_argument("--precision", choices=PRECISIONS, default="float32",
                        help="float32 by default, as training scores its validation split.")  # fmt: skip


def register_cli(subparsers: Any) -> None:
    """Plug ``stance evaluate`` into the ``stance`` command."""
    parser = subparsers.add_parser("evaluate", help="Score a model on labelled data.")
    add_arguments(parser)
    parser.set_defaults(func=run_cli)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.evaluate", description=__doc__)
    add_arguments(parser)
    logging.basicConfig(level=logging.INFO)
    return run_cli(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
