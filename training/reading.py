"""Choosing how an article is read, on validation articles.

The candidates are sliding windows of sentences and chunks of whole sentences up to the
model's maximum length; each is aggregated by every rule of :mod:`stance.graph` at
thresholds 0.30 to 0.95, and the ``learned`` rule's logistic regression is scored out of
fold (five folds by article), so that no article judges an aggregator fitted on it. The
reading, rule and threshold with the best edge F1 win (an edge is right when source,
target and label all match); the learned aggregator is then refitted on all of them, and
a Platt scaling of the winner's scores is fitted on the same articles (:func:`calibrate`),
so that an edge's score reads as the probability that it is right.
Training calls :func:`choose_reading` at its end when ``data.validation_articles`` is
set, and saves the choice in the model; ``training.benchmarks.articles`` reports it.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Any

import numpy as np

from stance.classifier import StanceClassifier
from stance.document import Reading
from stance.graph import (
    RULES,
    build_graph,
    feature_names,
    log_odds,
    pair_features,
    pair_passes,
    platt,
)
from stance.mentions import Mention, MentionSearch
from stance.schema import LabelSet, ReadingSettings
from training.articles import article_actors

THRESHOLDS = tuple(round(0.3 + 0.05 * k, 2) for k in range(14))


def gold_mentions(record: dict[str, Any]) -> MentionSearch:
    text = record["text"]
    mentions = sorted(
        (Mention(a["name"], s, e, text[s:e]) for a in record["actors"] for s, e in a["mentions"]),
        key=lambda m: m.start,
    )
    return MentionSearch(tuple(mentions), (), tuple(a["name"] for a in record["actors"]))


def gold_edges(record: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(s["source"], s["target"]): s["label"] for s in record["stances"]}


def score_split(
    clf: StanceClassifier, records: list[dict[str, Any]], reading: ReadingSettings
) -> tuple[list[tuple[Reading, list[np.ndarray]]], float]:
    """Every article read once under ``reading`` (gold mentions), and the seconds it took."""
    started = time.perf_counter()
    scored = [
        clf.score_document(r["text"], article_actors(r), reading, mentions=gold_mentions(r))
        for r in records
    ]
    return scored, time.perf_counter() - started


def prf(
    found: list[dict[tuple[str, str], str]], gold: list[dict[tuple[str, str], str]]
) -> dict[str, float]:
    right = sum(1 for f, g in zip(found, gold) for pair, lab in f.items() if g.get(pair) == lab)
    n_found = sum(len(f) for f in found)
    n_gold = sum(len(g) for g in gold)
    precision = right / n_found if n_found else 0.0
    recall = right / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "edges": n_found, "correct": right,
            "gold": n_gold}  # fmt: skip


def expected_calibration_error(
    confidence: list[float], correct: list[bool], bins: int = 10
) -> float:
    """ECE over equal-width bins: the gap between accuracy and mean confidence, weighted."""
    if not confidence:
        return 0.0
    c, y = np.asarray(confidence), np.asarray(correct, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for k in range(bins):
        inside = (c >= edges[k]) & ((c < edges[k + 1]) if k < bins - 1 else (c <= edges[k + 1]))
        if inside.any():
            total += inside.mean() * abs(y[inside].mean() - c[inside].mean())
    return float(total)


def graphs(scored: list[tuple[Reading, list[np.ndarray]]], labels: LabelSet,
           settings: ReadingSettings) -> list[Any]:  # fmt: skip
    return [build_graph(doc, probs, labels, settings) for doc, probs in scored]


def found_edges(scored: list[tuple[Reading, list[np.ndarray]]], labels: LabelSet,
                settings: ReadingSettings) -> list[dict[tuple[str, str], str]]:  # fmt: skip
    """Each article's kept edges under ``settings``: ``(source, target) -> label``."""
    return [
        {(e.source, e.target): e.label for e in g.edges} for g in graphs(scored, labels, settings)
    ]


def evaluate(scored: list[tuple[Reading, list[np.ndarray]]], records: list[dict[str, Any]],
             labels: LabelSet, settings: ReadingSettings) -> dict[str, Any]:  # fmt: skip
    """Edge precision/recall/F1 and the ECE of every scored pair's edge score."""
    built = graphs(scored, labels, replace(settings, threshold=0.0))
    found, confidence, correct = [], [], []
    for graph, record in zip(built, records):
        gold = gold_edges(record)
        kept = {}
        for e in graph.edges:
            confidence.append(e.score)
            correct.append(gold.get((e.source, e.target)) == e.label)
            if e.score >= settings.threshold:
                kept[(e.source, e.target)] = e.label
        found.append(kept)
    return {**prf(found, [gold_edges(r) for r in records]),
            "ece": expected_calibration_error(confidence, correct)}  # fmt: skip


def features_of(scored: list[tuple[Reading, list[np.ndarray]]], records: list[dict[str, Any]],
                labels: LabelSet) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Per-pair features, gold label ids and article index of every scored pair."""
    xs, ys, groups = [], [], []
    for k, ((doc, probs), record) in enumerate(zip(scored, records)):
        counts = doc.mentions.counts()
        gold = gold_edges(record)
        for (s, t), found in pair_passes(doc, probs).items():
            xs.append(
                pair_features([p for _, p in found], labels, (counts.get(s, 0), counts.get(t, 0)))
            )
            ys.append(labels.id(gold.get((s, t), labels.neutral)))
            groups.append(k)
    return np.array(xs), np.array(ys), np.array(groups)


def fit_aggregator(x: np.ndarray, y: np.ndarray, labels: LabelSet) -> dict[str, Any]:
    """A multinomial logistic regression over standardised features, as plain numbers."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(0), x.std(0) + 1e-6
    model = LogisticRegression(max_iter=2000, C=1.0)
    model.fit((x - mean) / scale, y)
    return {
        "features": feature_names(labels),
        "classes": [labels.name(int(c)) for c in model.classes_],
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "coef": model.coef_.tolist(),
        "intercept": model.intercept_.tolist(),
    }


def learned_out_of_fold(scored, records, labels, folds: int = 5) -> dict[float, dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Edge scores of the learned rule on validation, each article scored by an aggregator
    fitted without it; the result for every threshold."""
    x, y, groups = features_of(scored, records, labels)
    fold_of = groups % folds
    by_fold: dict[int, dict[str, Any]] = {}
    for fold in range(folds):
        train = fold_of != fold
        by_fold[fold] = fit_aggregator(x[train], y[train], labels)
    results = {}
    for threshold in THRESHOLDS:
        found = []
        for k, (doc, probs) in enumerate(scored):
            settings = ReadingSettings(rule="learned", threshold=threshold,
                                       aggregator=by_fold[k % folds])  # fmt: skip
            graph = build_graph(doc, probs, labels, settings)
            found.append({(e.source, e.target): e.label for e in graph.edges})
        results[threshold] = prf(found, [gold_edges(r) for r in records])
    return results


def candidates(
    max_length: int, windows: tuple[int, ...] = (1, 2, 3, 4, 5)
) -> list[ReadingSettings]:
    """Sliding windows of each size, and chunks of up to ``max_length`` tokens."""
    return [*(ReadingSettings(window=w) for w in windows), ReadingSettings(chunk_tokens=max_length)]


def describe(settings: ReadingSettings) -> str:
    how = (f"chunks of up to {settings.chunk_tokens} tokens" if settings.chunk_tokens
           else f"{settings.window}-sentence windows")  # fmt: skip
    scale = " (calibrated)" if settings.calibration else ""
    excluded = (f", no {' or '.join(settings.exclude_within_side)} within a side"
                if settings.exclude_within_side else "")  # fmt: skip
    return f"{how}, rule `{settings.rule}`, threshold {settings.threshold}{scale}{excluded}"


def choose_reading(
    clf: StanceClassifier, records: list[dict[str, Any]], options: list[ReadingSettings]
) -> tuple[ReadingSettings, list[dict[str, Any]]]:
    """The reading with the best validation edge F1, and every candidate's result."""
    labels = clf.labels
    sweep: list[dict[str, Any]] = []
    scored_by: dict[int, Any] = {}
    gold = [gold_edges(r) for r in records]
    for index, reading in enumerate(options):
        scored, seconds = score_split(clf, records, reading)
        scored_by[index] = scored
        name = describe(reading).split(",")[0]
        for rule in [r for r in RULES if r != "learned"]:
            for threshold in THRESHOLDS:
                settings = replace(reading, rule=rule, threshold=threshold)
                found = found_edges(scored, labels, settings)
                sweep.append({"candidate": index, "reading": name, "rule": rule,
                              "threshold": threshold, **prf(found, gold), "seconds": seconds})  # fmt: skip
        for threshold, result in learned_out_of_fold(scored, records, labels).items():
            sweep.append({"candidate": index, "reading": name, "rule": "learned",
                          "threshold": threshold, **result, "seconds": seconds})  # fmt: skip
    best = max(sweep, key=lambda r: (r["f1"], -r["seconds"]))
    aggregator = None
    if best["rule"] == "learned":
        x, y, _ = features_of(scored_by[best["candidate"]], records, labels)
        aggregator = fit_aggregator(x, y, labels)
    chosen = replace(options[best["candidate"]], rule=best["rule"], threshold=best["threshold"],
                     aggregator=aggregator)  # fmt: skip
    chosen, exclusions = choose_exclusion(chosen, scored_by[best["candidate"]], records, labels)
    for result in exclusions:
        result.update(candidate=best["candidate"], reading=best["reading"], seconds=best["seconds"])
    return calibrate(chosen, scored_by[best["candidate"]], records, labels), sweep + exclusions


def choose_exclusion(
    settings: ReadingSettings,
    scored: list[tuple[Reading, list[np.ndarray]]],
    records: list[dict[str, Any]],
    labels: LabelSet,
) -> tuple[ReadingSettings, list[dict[str, Any]]]:
    """The labels to leave out between actors on one side (``exclude_within_side``): none,
    each stance label, or all, with the threshold swept again (kept for ``learned``, whose
    threshold was chosen out of fold). The best edge F1 wins; a tie keeps fewer labels out."""
    stance_labels = [name for name in labels if name != labels.neutral]
    subsets = [(), *((name,) for name in stance_labels), tuple(stance_labels)]
    thresholds = (settings.threshold,) if settings.rule == "learned" else THRESHOLDS
    gold = [gold_edges(r) for r in records]
    results: list[dict[str, Any]] = []
    for subset in dict.fromkeys(subsets):
        for threshold in thresholds:
            trial = replace(settings, threshold=threshold, exclude_within_side=subset)
            found = found_edges(scored, labels, trial)
            results.append({"rule": settings.rule, "threshold": threshold,
                            "exclude_within_side": list(subset), **prf(found, gold)})  # fmt: skip
    best = max(results, key=lambda r: (r["f1"], -len(r["exclude_within_side"])))
    chosen = replace(settings, threshold=best["threshold"],
                     exclude_within_side=tuple(best["exclude_within_side"]))  # fmt: skip
    return chosen, results


def calibrate(
    settings: ReadingSettings,
    scored: list[tuple[Reading, list[np.ndarray]]],
    records: list[dict[str, Any]],
    labels: LabelSet,
) -> ReadingSettings:
    """Fit a Platt scaling of the rule's edge scores on validation articles: from the
    log-odds of a pair's score for its stronger label to the probability that the edge is
    right. The threshold moves with it, so the same edges pass on validation; the scores
    become probabilities. On the log-odds, the noisy-or of many windows, all near 1, keeps
    its order instead of sharing one top score. Left uncalibrated where the fit does not
    rise with the score."""
    from sklearn.linear_model import LogisticRegression

    raw = replace(settings, threshold=0.0, calibration=None)
    x, y = [], []
    for graph, record in zip(graphs(scored, labels, raw), records):
        gold = gold_edges(record)
        for e in graph.edges:
            x.append(log_odds(e.score))
            y.append(gold.get((e.source, e.target)) == e.label)
    if len(set(y)) < 2:
        return settings
    model = LogisticRegression(C=1e4, max_iter=1000).fit(np.array(x).reshape(-1, 1), np.array(y))
    a, b = float(model.coef_[0][0]), float(model.intercept_[0])
    if a <= 0:
        return settings
    fitted = replace(settings, calibration=(a, b), calibration_input="log_odds")
    # Rounded down, so that an edge exactly at the raw threshold still passes.
    return replace(fitted, threshold=math.floor(platt(settings.threshold, fitted) * 1e4) / 1e4)
