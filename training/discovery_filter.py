"""Fit the learned last check of actor discovery on the article corpus.

    python -m training.discovery_filter [--write]

``stance.discovery`` keeps an actor by rules, then, in a whole article, by the score of a
logistic regression over how the article uses it (:func:`stance.discovery.actor_features`).
This fits that regression on the **train** articles: each actor the rules keep is a
positive when it covers a gold actor (its mentions overlap at least half of the gold
actor's; see ``training.benchmarks.discovery``) and a negative otherwise. The inverse
regularisation ``C`` is chosen by log-loss over five folds of train articles; the
threshold is chosen on the **validation** articles as the one with the best precision
of the discovered list among those that keep at least 99% of the rules' own recall of
the actors that hold or receive a stance (``KEEP_RECALL``). Recall comes first because
a missed actor loses every edge it has, while an extra actor is one more node; on the
validation articles the edge F1 of ``analyze`` was the same (0.509) with the rules alone
and with a filter at 0.5 that cost two points of recall.
The test articles are never read. ``--write`` saves the result to
``stance/resources/actor_filter.json``; refit whenever the rules change, since the
regression only judges what they let through.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stance.actors import Actors
from stance.discovery import filter_score, load_pipeline, scored_candidates
from training.articles import read_jsonl
from training.benchmarks import table
from training.benchmarks.discovery import match_article

ROOT = Path(__file__).resolve().parents[1]
RESOURCE = ROOT / "stance" / "resources" / "actor_filter.json"
C_VALUES = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(15))
KEEP_RECALL = 0.99


def candidates(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every actor the rules keep in each article, with its features and gold match."""
    nlp = load_pipeline()
    rows = []
    for record in records:
        scored = scored_candidates(record["text"], nlp)
        match = match_article(record, Actors(a for a, _ in scored))
        for actor, features in scored:
            rows.append({"article": record["id"], "actor": actor, "features": features,
                         "right": bool(match["covers"][actor.name])})  # fmt: skip
    return rows


def matrix(rows: Sequence[dict[str, Any]], names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([[r["features"][n] for n in names] for r in rows])
    return x, np.array([r["right"] for r in rows])


def fit(rows: list[dict[str, Any]], folds: int = 5) -> tuple[dict[str, Any], dict[float, float]]:
    """The logistic regression, as plain numbers, and each ``C``'s out-of-fold log-loss."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    names = list(rows[0]["features"])
    x, y = matrix(rows, names)
    mean, scale = x.mean(0), x.std(0) + 1e-6
    z = (x - mean) / scale
    articles = sorted({r["article"] for r in rows})
    fold_of = np.array([articles.index(r["article"]) % folds for r in rows])
    losses = {}
    for c in C_VALUES:
        predicted = np.zeros(len(y))
        for fold in range(folds):
            inside = fold_of != fold
            model = LogisticRegression(C=c, max_iter=5000).fit(z[inside], y[inside])
            predicted[~inside] = model.predict_proba(z[~inside])[:, 1]
        losses[c] = float(log_loss(y, predicted))
    best = min(losses, key=lambda c: losses[c])
    model = LogisticRegression(C=best, max_iter=5000).fit(z, y)
    fitted = {"features": names, "mean": mean.tolist(), "scale": scale.tolist(),
              "coef": model.coef_[0].tolist(), "intercept": float(model.intercept_[0]), "C": best}  # fmt: skip
    return fitted, losses


def sweep(
    records: list[dict[str, Any]], rows: list[dict[str, Any]], model: dict[str, Any]
) -> list[dict[str, float]]:
    """Precision, recall of actors with a stance, and their F1 at every threshold."""
    by_article: dict[str, list[tuple[Any, float]]] = {}
    for r in rows:
        by_article.setdefault(r["article"], []).append(
            (r["actor"], filter_score(r["features"], model))
        )
    results = []
    for threshold in THRESHOLDS:
        found = wrong = recalled = with_stance = 0
        for record in records:
            kept = Actors(a for a, score in by_article.get(record["id"], []) if score >= threshold)
            match = match_article(record, kept)
            found += len(kept)
            wrong += len(match["wrong"])
            recalled += len(match["recalled"])
            with_stance += len(match["recalled"]) + len(match["missed"])
        precision = (found - wrong) / max(1, found)
        recall = recalled / max(1, with_stance)
        f1 = 2 * precision * recall / max(1e-9, precision + recall)
        results.append({"threshold": threshold, "precision": precision, "recall": recall,
                        "f1": f1, "actors": found})  # fmt: skip
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--train", type=Path, default=ROOT / "data/articles/train.jsonl")
    parser.add_argument("--validation", type=Path,
                        default=ROOT / "data/articles/validation.jsonl")  # fmt: skip
    parser.add_argument("--write", action="store_true", help=f"Save to {RESOURCE}.")
    args = parser.parse_args(argv)
    train, validation = read_jsonl(args.train), read_jsonl(args.validation)
    train_rows, validation_rows = candidates(train), candidates(validation)
    model, losses = fit(train_rows)
    results = sweep(validation, validation_rows, model)
    floor = KEEP_RECALL * results[0]["recall"]  # threshold 0: the rules alone
    best = max((r for r in results if r["recall"] >= floor),
               key=lambda r: (r["precision"], -r["threshold"]))  # fmt: skip
    print(f"train: {len(train)} articles, {len(train_rows)} actors kept by the rules, "
          f"{sum(r['right'] for r in train_rows)} right; C = {model['C']} "
          f"(out-of-fold log-loss {', '.join(f'{c}: {v:.4f}' for c, v in losses.items())})")  # fmt: skip
    print(table(["threshold", "precision", "recall (stance)", "F1", "actors"],
                [[r["threshold"], f"{r['precision']:.3f}", f"{r['recall']:.3f}", f"{r['f1']:.3f}",
                  r["actors"]] for r in results]))  # fmt: skip
    print(
        f"chosen on validation: threshold {best['threshold']}, the best precision with a "
        f"recall of at least {floor:.3f} ({KEEP_RECALL:.0%} of the rules' own at threshold 0)"
    )
    if args.write:
        fitted = {**model, "threshold": best["threshold"],
                  "fitted_on": f"{args.train.name} ({len(train)} articles)",
                  "threshold_chosen_on": f"{args.validation.name} ({len(validation)} articles)",
                  "validation": best}  # fmt: skip
        RESOURCE.write_text(json.dumps(fitted, indent=1) + "\n", encoding="utf-8")
        print(f"written to {RESOURCE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
