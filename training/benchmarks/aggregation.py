"""Choose analyze()'s window size, aggregation rule and threshold on validation passages.

    python -m training.benchmarks.aggregation --model runs/default/model --data data/corpus/validation.jsonl

Each passage is analysed as if it were an article (sentences, sliding windows, the model
on every window), and the aggregated edge of every ordered actor pair is scored against
the gold labels with directed macro-F1. Two rules are compared:

* ``max``: a label's score is its highest probability over the windows; the edge takes
  the stronger non-neutral label if its score reaches the threshold;
* ``vote``: the same, but only windows whose most probable label is that label count.

Run it on validation only: the test split stays untouched for reporting.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from stance.actors import Mention
from stance.classifier import StanceClassifier
from stance.graph import split_sentences, window_group, windows
from stance.io import load_passages
from training.benchmarks import provenance, table, write_results
from training.evaluate import scores


def window_probs(
    clf: StanceClassifier, passages: list[Any], size: int
) -> list[dict[tuple[str, str], list[np.ndarray]]]:
    """For each passage, every ordered pair's probabilities in each window holding both."""
    out = []
    for passage in passages:
        mentions = sorted(
            (Mention(a.name, s, e, passage.text[s:e]) for a in passage.actors for s, e in a.spans),
            key=lambda m: m.start,
        )
        groups = [
            g
            for start, end in windows(split_sentences(passage.text), size)
            if (g := window_group(passage.text, mentions, start, end)) is not None
        ]
        probs = clf.score_inputs([clf.encode_group(g) for g in groups], [g.pairs for g in groups])
        found: dict[tuple[str, str], list[np.ndarray]] = {}
        for group, p in zip(groups, probs):
            for (i, j), row in zip(group.pairs, p):
                found.setdefault((group.actors[i], group.actors[j]), []).append(row)
        out.append(found)
    return out


def decide(
    rows: list[np.ndarray], labels: tuple[str, ...], neutral: str, rule: str, threshold: float
) -> str:
    best_label, best_score = neutral, 0.0
    for k, name in enumerate(labels):
        if name == neutral:
            continue
        usable = [r[k] for r in rows if rule == "max" or int(r.argmax()) == k]
        score = max(usable, default=0.0)
        if score >= threshold and score > best_score:
            best_label, best_score = name, score
    return best_label


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="runs/default/model")
    parser.add_argument("--data", default="data/corpus/validation.jsonl")
    args = parser.parse_args(argv)
    clf = StanceClassifier.from_pretrained(args.model)
    passages = load_passages(args.data).items
    labels, neutral = clf.labels.labels, clf.labels.neutral
    results = []
    for size in (1, 2, 3):
        per_passage = window_probs(clf, passages, size)
        for rule in ("max", "vote"):
            for threshold in (0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
                golds, preds = [], []
                for passage, found in zip(passages, per_passage):
                    for s in passage.actor_names:
                        for t in passage.actor_names:
                            if s == t:
                                continue
                            golds.append(passage.label(s, t, neutral))
                            rows = found.get((s, t), [])
                            preds.append(
                                decide(rows, labels, neutral, rule, threshold) if rows else neutral
                            )
                result = scores(golds, preds, labels)
                results.append({"window": size, "rule": rule, "threshold": threshold,
                                "macro_f1": result["macro_f1"], "micro_f1": result["micro_f1"]})  # fmt: skip
    best = max(results, key=lambda r: r["macro_f1"])
    top = [[r["window"], r["rule"], r["threshold"], f"{100 * r['macro_f1']:.1f}", f"{100 * r['micro_f1']:.1f}"]
            for r in sorted(results, key=lambda r: -r["macro_f1"])[:10]]  # fmt: skip
    markdown = "\n".join([
        "## analyze(): window, aggregation rule and threshold, chosen on validation",
        "",
        *provenance(),
        f"- Run: model `{args.model}`; data `{args.data}` "
        f"({len(passages)} passages analysed as articles)",
        f"- Best: window {best['window']}, rule `{best['rule']}`, threshold {best['threshold']} "
        f"(directed macro-F1 {100 * best['macro_f1']:.1f}); the top ten:",
        "",
        table(["window (sentences)", "rule", "threshold", "macro-F1", "micro-F1"], top),
    ])  # fmt: skip
    print(markdown)
    write_results("aggregation", markdown, {"results": results, "best": best, "model": args.model})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
