"""The example article against the stances a reader annotated in it.

    python -m training.benchmarks.article --model runs/default/model

Scores ``analyze`` on examples/libya_article.txt against the numbered stances of
examples/libya_expected.md (source → target: label): precision and recall of edges, by
threshold. One article of 737 words: an illustration of what a user sees, not a benchmark
to select on (window and threshold were chosen on the corpus validation split).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from stance.actors import Actors
from stance.classifier import StanceClassifier
from training.benchmarks import provenance, table, write_results

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = re.compile(r"^\d+\. (.+?) → (.+?): (support|oppose)\b", re.MULTILINE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="runs/default/model")
    args = parser.parse_args(argv)
    expected = {
        (s, t): lab
        for s, t, lab in EXPECTED.findall((ROOT / "examples/libya_expected.md").read_text())
    }
    clf = StanceClassifier.from_pretrained(args.model, precision="float32")
    text = (ROOT / "examples/libya_article.txt").read_text(encoding="utf-8")
    actors = Actors.load(ROOT / "examples/libya_actors.yaml")
    results = {}
    for threshold in (0.5, 0.6, 0.7, 0.8, 0.9):
        graph = clf.analyze(text, actors, threshold=threshold)
        found = {(e.source, e.target): e.label for e in graph.edges}
        right = sum(1 for pair, label in found.items() if expected.get(pair) == label)
        results[threshold] = {"edges": len(found), "correct": right,
                              "precision": right / max(1, len(found)), "recall": right / len(expected)}  # fmt: skip
    rows = [
        [t, r["edges"], r["correct"], f"{r['precision']:.2f}", f"{r['recall']:.2f}"]
        for t, r in results.items()
    ]
    markdown = "\n".join([
        "## The example article against a reader's annotation",
        "",
        *provenance(),
        f"- Run: model `{args.model}`; examples/libya_article.txt against the {len(expected)} stances "
        "of examples/libya_expected.md; an edge is correct when its direction and label match",
        "",
        table(["threshold", "edges", "correct", "precision", "recall"], rows),
    ])  # fmt: skip
    print(markdown)
    write_results("article", markdown, {"results": results, "expected": len(expected)})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
