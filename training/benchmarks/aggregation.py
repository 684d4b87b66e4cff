"""Choose analyze()'s window size, aggregation rule and threshold on validation passages.

    python -m training.benchmarks.aggregation --model runs/default/model --data data/corpus/validation.jsonl

Each passage is read as ``analyze`` reads an article, through the library itself
(:meth:`StanceClassifier.score_document`: sentences, sliding windows, the planned passes,
with the passage's gold mentions), and its graph is built by :func:`stance.graph.build_graph`
under each aggregation rule (:data:`stance.graph.RULES`) and threshold. Every ordered actor
pair is scored against the gold labels with directed macro-F1 (a pair with no edge is
neutral). Works for models of either mode.

Run it on validation only: the test split stays untouched for reporting.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from stance.classifier import StanceClassifier
from stance.document import passage_mentions
from stance.graph import RULES, build_graph
from stance.io import load_passages
from stance.schema import ReadingSettings
from training.benchmarks import provenance, table, write_results
from training.evaluate import scores

THRESHOLDS = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="runs/default/model")
    parser.add_argument("--data", default="data/corpus/validation.jsonl")
    args = parser.parse_args(argv)
    clf = StanceClassifier.from_pretrained(args.model, precision="float32")
    passages = load_passages(args.data).items
    labels, neutral = clf.labels, clf.labels.neutral
    results = []
    for size in (1, 2, 3):
        reading = ReadingSettings(window=size)
        scored = [
            clf.score_document(p.text, list(p.actor_names), reading, mentions=passage_mentions(p))
            for p in passages
        ]
        for rule in [r for r in RULES if r != "learned"]:
            for threshold in THRESHOLDS:
                golds, preds = [], []
                for passage, (doc, probs) in zip(passages, scored):
                    graph = build_graph(
                        doc, probs, labels, replace(reading, rule=rule, threshold=threshold)
                    )
                    found = {(e.source, e.target): e.label for e in graph.edges}
                    for s in passage.actor_names:
                        for t in passage.actor_names:
                            if s != t:
                                golds.append(passage.label(s, t, neutral))
                                preds.append(found.get((s, t), neutral))
                result = scores(golds, preds, labels.labels)
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
        f"({len(passages)} passages read as articles through `score_document` and `build_graph`)",
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
