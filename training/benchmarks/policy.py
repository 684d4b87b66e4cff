"""How training reads a passage's other actors (``model.other_actors``), chosen on validation.

    python -m training.benchmarks.policy [--run marked=runs/default-marked ...]

``predict(text, source, target)`` knows two actors; ``analyze`` and a passage know all of
theirs. Each candidate was trained with ``configs/default.yaml`` (passages only, as the
policy runs were made: ``--set data.train_articles=null --set
data.validation_articles=null --set train.epochs=6``) and ``--set
model.other_actors=<policy>``; this reads each run's
``metrics.json`` and compares validation macro-F1 read both ways: every actor known (as
training validation and ``stance evaluate`` read a passage) and each pair alone (as
``predict`` reads it). The policy with the higher mean of the two is chosen. A run that
did not finish is reported with the epochs it ran.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from training.benchmarks import provenance, table, write_results

RUNS = {
    "marked": "runs/default-marked",
    "mixed": "runs/default-mixed",
    "unmarked": "runs/default-unmarked",
}
#: Shown beside the candidates, never chosen among them: the default model, which also
#: reads article windows (configs/default.yaml as it is).
REFERENCE = {"default (marked, with articles)": "runs/default"}


def read_run(directory: Path) -> dict[str, Any] | None:
    metrics = directory / "metrics.json"
    if metrics.is_file():
        return dict(json.loads(metrics.read_text()))
    state = directory / "checkpoint" / "trainer_state.json"
    if state.is_file():
        return {"unfinished": True, "history": json.loads(state.read_text())["history"]}
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--run", action="append", default=[], metavar="POLICY=DIR")
    args = parser.parse_args(argv)
    runs = dict(RUNS, **dict(item.split("=", 1) for item in args.run), **REFERENCE)
    results: dict[str, Any] = {}
    rows = []
    for policy, directory in runs.items():
        found = read_run(Path(directory))
        if found is None:
            rows.append([policy, "not run", "", "", "", ""])
            continue
        history = found.get("history", [])
        if found.get("unfinished"):
            last = history[-1] if history else {}
            results[policy] = {"unfinished": True, "history": history}
            rows.append([policy, f"stopped after epoch {last.get('epoch', 0)}",
                         f"{100 * last.get('validation_macro_f1', 0):.1f} (epoch {last.get('epoch', 0)})",
                         "–", "–", "–"])  # fmt: skip
            continue
        full = found["validation_macro_f1"]
        alone = found.get("validation_two_known_macro_f1", float("nan"))
        results[policy] = {"validation_all_known": full, "validation_two_known": alone,
                           "mean": (full + alone) / 2, "test": found.get("corpus_test_macro_f1"),
                           "epochs": found.get("epochs_run"), "train_seconds": found.get("train_seconds"),
                           "history": history}  # fmt: skip
        rows.append([policy, f"{found.get('epochs_run')} epochs", f"{100 * full:.1f}", f"{100 * alone:.1f}",
                     f"{100 * (full + alone) / 2:.1f}", f"{100 * found.get('corpus_test_macro_f1', 0):.1f}"])  # fmt: skip
    finished = {p: r for p, r in results.items() if not r.get("unfinished") and p not in REFERENCE}
    chosen = max(finished, key=lambda p: finished[p]["mean"]) if finished else None
    markdown = "\n".join([
        "## How training reads a passage's other actors (`model.other_actors`)",
        "",
        *provenance(),
        "- Runs: `stance train --config configs/default.yaml --set data.train_articles=null "
        "--set data.validation_articles=null --set train.epochs=6 --set model.other_actors=POLICY "
        "--set train.output_dir=runs/default-POLICY`: passages only, seed 42; the last row is "
        "the default model (`bash scripts/demo.sh`: passages and articles, 3 epochs), not a candidate",
        f"- Chosen on validation (mean of the two readings): **{chosen}**",
        "",
        table(["policy", "ran", "validation, all actors known", "validation, each pair alone",
               "mean", "corpus test (all known; read, not selected on)"], rows),
    ])  # fmt: skip
    print(markdown)
    write_results("policy", markdown, {"runs": runs, "results": results, "chosen": chosen})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
