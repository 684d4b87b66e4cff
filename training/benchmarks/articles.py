"""Article graphs: choose how an article is read on validation articles, score it on test.

    python -m training.benchmarks.articles --model runs/default/model [--save]

On the article corpus (data/articles), each article is read through the library itself
(:meth:`StanceClassifier.score_document` with the article's gold mentions, then
:func:`stance.graph.build_graph`) under every candidate reading: sliding windows of 1 to 5
sentences, and chunks of whole sentences up to the model's maximum length (one pass per
chunk). Each reading is aggregated by each rule (``max``, ``vote``, ``noisy_or``,
``top2``, and ``learned``: a logistic regression over per-pair features, scored on
validation out of fold, five folds by article) at thresholds 0.30 to 0.95.

The reading, rule and threshold with the best edge F1 on the **validation** split are
chosen (an edge is right when source, target and label all match; every other ordered
pair is neutral). The **test** split is then read once with the chosen reading and with
the old rule (3-sentence windows, max, 0.5), side by side, with the expected calibration
error of the edge scores (10 bins) and articles/s; so is the example article against
examples/libya_expected.md. The reading is chosen in float32, as training chooses it,
and scored on test as the model loads by default here (bfloat16 on a CPU that has it)
and in float32 beside it. ``--save`` writes the chosen reading (with the aggregator
refitted on all validation articles) into the model's ``stance_config.json``, so
``analyze`` uses it by default.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from stance.actors import Actors
from stance.classifier import StanceClassifier
from stance.schema import ReadingSettings
from training.articles import ROOT as ARTICLES
from training.articles import read_jsonl
from training.benchmarks import provenance, table, write_results
from training.reading import candidates, choose_reading, describe, evaluate, prf, score_split

ROOT = Path(__file__).resolve().parents[2]
OLD = ReadingSettings(window=3, stride=1, rule="max", threshold=0.5)
EXPECTED = re.compile(r"^\d+\. (.+?) → (.+?): (support|oppose)\b", re.MULTILINE)


def example_article(clf: StanceClassifier, settings: ReadingSettings) -> dict[str, Any]:
    expected = {
        (s, t): lab
        for s, t, lab in EXPECTED.findall((ROOT / "examples/libya_expected.md").read_text())
    }
    text = (ROOT / "examples/libya_article.txt").read_text(encoding="utf-8")
    graph = clf.analyze(text, Actors.load(ROOT / "examples/libya_actors.yaml"), reading=settings)
    found = {(e.source, e.target): e.label for e in graph.edges}
    return prf([found], [expected])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="runs/default/model")
    parser.add_argument("--data", type=Path, default=ARTICLES)
    parser.add_argument("--save", action="store_true", help="Save the chosen reading in the model.")
    parser.add_argument("--name", default="articles", help="Section and JSON name in docs/.")
    parser.add_argument(
        "--limit", type=int, help="Read only this many articles per split (a quick check)."
    )
    parser.add_argument(
        "--baseline",
        help="Another model (e.g. one trained on passages alone) read with the old rule in the same run.",
    )
    args = parser.parse_args(argv)
    exact = StanceClassifier.from_pretrained(args.model, precision="float32")
    labels = exact.labels
    valid = read_jsonl(args.data / "validation.jsonl")[: args.limit]
    test = read_jsonl(args.data / "test.jsonl")[: args.limit]

    chosen, sweep = choose_reading(exact, valid, candidates(exact.config.max_length))
    best = max(sweep, key=lambda r: (r["f1"], -r["seconds"]))
    old_valid = next(r for r in sweep if r["reading"] == "3-sentence windows" and r["rule"] == "max"
                     and r["threshold"] == 0.5)  # fmt: skip
    clf = StanceClassifier.from_pretrained(args.model)  # as users get it
    loaded = clf.precision

    results: dict[str, Any] = {}
    # The float32 row is always there, so that the records keep their keys on any machine.
    runs = [("chosen", clf, chosen), ("chosen, float32", exact, chosen), ("old rule", exact, OLD)]
    if chosen.exclude_within_side:  # what leaving labels out within a side does on test
        runs.append(("chosen, nothing left out", clf, replace(chosen, exclude_within_side=())))
    for label, model, settings in runs:
        scored, seconds = score_split(model, test, settings)
        results[label] = {**evaluate(scored, test, labels, settings), "articles_per_second": len(test) / seconds,
                          "example": example_article(model, settings)}  # fmt: skip
    if args.baseline:
        other = StanceClassifier.from_pretrained(args.baseline, precision="float32")
        scored, seconds = score_split(other, test, OLD)
        results["baseline"] = {**evaluate(scored, test, other.labels, OLD),
                               "articles_per_second": len(test) / seconds,
                               "example": example_article(other, OLD)}  # fmt: skip
    if args.save:
        exact.config.reading = chosen
        exact.save_pretrained(args.model)

    rows = []
    shown = [("chosen", f"`{args.model}` ({loaded}), chosen on validation: {describe(chosen)}"),
             ("old rule", f"`{args.model}` (float32), old rule: {describe(OLD)}")]  # fmt: skip
    shown.insert(1, ("chosen, float32", f"`{args.model}` in float32, the same reading"))
    if "chosen, nothing left out" in results:
        shown.insert(2, ("chosen, nothing left out",
                         f"`{args.model}` ({loaded}), the same reading with no label left out within a side"))  # fmt: skip
    if args.baseline:
        shown.append(("baseline", f"`{args.baseline}`, old rule: {describe(OLD)}"))
    for key, label in shown:
        r = results[key]
        rows.append([label, f"{r['precision']:.3f}", f"{r['recall']:.3f}", f"{r['f1']:.3f}",
                     f"{r['ece']:.3f}", f"{r['articles_per_second']:.2f}",
                     f"{r['example']['precision']:.2f} / {r['example']['recall']:.2f} ({r['example']['edges']} edges)"])  # fmt: skip
    top = sorted(sweep, key=lambda r: -r["f1"])[:8]
    markdown = "\n".join([
        f"## Article graphs (`{args.name}`): the reading chosen on validation articles, scored on test",
        "",
        *provenance(),
        f"- Run: model `{args.model}`; {len(valid)} validation and {len(test)} test articles of "
        f"`{args.data}` (gold mentions); the example article with `examples/libya_actors.yaml`",
        f"- Chosen on validation: {describe(chosen)} (validation edge F1 {best['f1']:.3f}; the old rule "
        f"{old_valid['f1']:.3f}); the learned rule was scored out of fold (5 folds by article)",
        f"- The model is scored on test as it loads by default here ({loaded}; the reading was chosen in float32)",
        "",
        table(["test split", "precision", "recall", "edge F1", "ECE (10 bins)", "articles/s",
               "example article P / R"], rows),
        "",
        "The best validation settings:",
        "",
        table(["reading", "rule", "threshold", "left out within a side", "precision", "recall", "edge F1"],
              [[r["reading"], r["rule"], r["threshold"], ", ".join(r.get("exclude_within_side", ())) or "none",
                f"{r['precision']:.3f}", f"{r['recall']:.3f}", f"{r['f1']:.3f}"] for r in top]),
    ])  # fmt: skip
    print(markdown)
    write_results(args.name, markdown, {"model": args.model, "chosen": chosen.to_dict(), "best_validation": best,
                                        "old_rule_validation": old_valid, "loaded": loaded, "test": results, "sweep": sweep})  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
