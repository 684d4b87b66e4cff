"""All pairs in one pass against one pass per pair: DSE accuracy over seeds.

    python -m training.benchmarks.parity

Reads the results that ``training.benchmarks.dse`` wrote (``docs/benchmarks/<name>.json``)
for each setting and seed, and compares valid_dedup directed 3-way macro-F1 (the number
runs are selected on) with pair mode's, seed by seed and on the mean. test_dedup is shown
beside it, read and never selected on. A run whose JSON is missing is reported missing.
The speed side of the comparison is ``training.benchmarks.speed``: context pooling and
distillation change training, not the model's shape, so every all-pairs setting here runs
at the all-pairs speed measured there.
"""

from __future__ import annotations

import argparse
import json
from statistics import mean
from typing import Any

from training.benchmarks import DOCS, provenance, table, write_results

REFERENCE = "pair mode (one pass per pair)"
#: setting -> the `--name`s of its DSE runs, one per seed.
SETTINGS: dict[str, list[str]] = {
    REFERENCE: ["dse-pair3", "dse-pair3-seed43", "dse-pair3-seed44"],
    "all pairs, context pooling (the default)": ["dse-lop", "dse-lop-seed43", "dse-lop-seed44"],
    "all pairs, context pooling, distilled from pair mode": [
        "dse-distill",
        "dse-distill-seed43",
        "dse-distill-seed44",
    ],
    "all pairs, no context pooling": ["dse-b16", "dse-b16-seed43"],
}


def load_runs(names: list[str]) -> dict[int, dict[str, Any]]:
    """seed -> {name, valid, test} for the runs whose results exist."""
    runs = {}
    for name in names:
        path = DOCS / "benchmarks" / f"{name}.json"
        if not path.is_file():
            continue
        data = json.loads(path.read_text())
        results = data["results"]
        runs[int(data["config"]["train"]["seed"])] = {
            "name": name,
            "valid": 100 * results["valid_dedup"]["directed"]["macro_f1"],
            "test": 100 * results["test_dedup"]["directed"]["macro_f1"],
        }
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.parse_args(argv)
    settings = {name: load_runs(runs) for name, runs in SETTINGS.items()}
    reference = settings[REFERENCE]
    seeds = sorted({seed for runs in settings.values() for seed in runs})
    header = ["setting", *[f"seed {s}" for s in seeds], "mean", "gap to pair mode, same seeds",
              "largest gap at one seed", "test_dedup mean (read only)"]  # fmt: skip
    rows, data = [], {}
    for name, runs in settings.items():
        shared = [s for s in runs if s in reference]
        gaps = [reference[s]["valid"] - runs[s]["valid"] for s in shared]
        cells = [f"{runs[s]['valid']:.1f}" if s in runs else "–" for s in seeds]
        gap = (
            mean(reference[s]["valid"] for s in shared) - mean(runs[s]["valid"] for s in shared)
            if shared
            else None
        )
        rows.append([
            name, *cells, f"{mean(r['valid'] for r in runs.values()):.2f}" if runs else "–",
            "–" if name == REFERENCE or gap is None else f"{gap:.2f}",
            "–" if name == REFERENCE or not gaps else f"{max(gaps):.2f}",
            f"{mean(r['test'] for r in runs.values()):.1f}" if runs else "–",
        ])  # fmt: skip
        data[name] = {"runs": runs, "gap_mean": gap, "gaps": gaps}
    missing = [n for names in SETTINGS.values() for n in names if not (DOCS / "benchmarks" / f"{n}.json").is_file()]  # fmt: skip
    markdown = "\n".join([
        "## All pairs in one pass vs one pass per pair: DSE accuracy over seeds",
        "",
        *provenance(),
        "- Data: the `dse-*` sections of this page (MiniLM, 3 epochs, each run selected on valid_dedup)",
        "",
        "valid_dedup directed 3-way macro-F1; the gap is pair mode minus the setting, so "
        "below 1 means within one point. The target: all pairs within 1 point of pair mode.",
        "",
        table(header, rows),
        "",
        f"Runs not found: {', '.join(missing)}." if missing else "Every listed run was found.",
    ])  # fmt: skip
    print(markdown)
    write_results("parity", markdown, {"settings": data, "reference": REFERENCE})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
