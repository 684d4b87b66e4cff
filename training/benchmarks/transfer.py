"""Transfer: the default model, trained only on the bundled corpus, evaluated on DSE.

    python -m training.benchmarks.transfer --model runs/default/model --dse-model runs/dse-minilm/model

Both models use the same encoder (MiniLM); the second was trained on DSE's own training
split and is the in-domain reference. The target is directed 3-way macro-F1 >= 45 on
test_dedup with no DSE training.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from stance.classifier import StanceClassifier
from training.benchmarks import provenance, table, write_results
from training.evaluate import evaluate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="runs/default/model")
    parser.add_argument("--dse-model", default="runs/dse-minilm/model")
    parser.add_argument("--data", default="../shared/data/dse/test_dedup.tsv")
    args = parser.parse_args(argv)
    results = {}
    rows = []
    for name, path in (("bundled corpus only", args.model), ("DSE train", args.dse_model)):
        if not Path(path).is_dir():
            print(f"skipping {name}: no model at {path}")
            continue
        clf = StanceClassifier.from_pretrained(path, precision="float32")
        result = evaluate(clf, args.data)
        results[name] = result
        rows.append([name, f"`{path}`", f"{100 * result['directed']['macro_f1']:.1f}",
                     f"{100 * result['dse5']['micro_f1']:.1f}", f"{100 * result['dse5']['macro_f1']:.1f}"])  # fmt: skip
    markdown = "\n".join([
        "## Transfer: trained on the bundled corpus, tested on DSE",
        "",
        *provenance(),
        f"- Run: data `{args.data}`",
        "",
        table(["trained on", "model", "directed 3-way macro-F1", "5-way micro-F1", "5-way macro-F1"], rows),
        "",
        "Target: directed 3-way macro-F1 ≥ 45 on test_dedup with no DSE training.",
    ])  # fmt: skip
    print(markdown)
    write_results("transfer", markdown, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
