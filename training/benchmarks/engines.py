"""Batch prediction engines on this machine: `stance predict` local against Ray Data.

    python -m training.benchmarks.engines --model runs/default/model --rows 4000

Both engines predict the same JSONL rows (directed pairs from the corpus test split) in
the same run; the outputs are also checked to be byte-identical.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from stance.batch import predict_file
from stance.classifier import StanceClassifier
from stance.io import load_passages
from training.benchmarks import provenance, table, write_results

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="runs/default/model")
    parser.add_argument("--rows", type=int, default=4000)
    args = parser.parse_args(argv)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    from stance.distributed import predict_file_ray

    examples = [e for p in load_passages(ROOT / "data/corpus/test.jsonl") for e in p.examples()]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.jsonl"
        with source.open("w", encoding="utf-8") as handle:
            for i in range(args.rows):
                e = examples[i % len(examples)]
                handle.write(
                    json.dumps(
                        {"id": str(i), "text": e.text, "source": e.source, "target": e.target}
                    )
                    + "\n"
                )
        clf = StanceClassifier.from_pretrained(args.model)
        started = time.perf_counter()
        predict_file(clf, source, Path(tmp) / "local.jsonl", batch_size=64, progress=False)
        results["local"] = time.perf_counter() - started
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, configure_logging=False)
        started = time.perf_counter()
        predict_file_ray(str(args.model), str(source), Path(tmp) / "ray.jsonl", batch_size=64)
        results["ray"] = time.perf_counter() - started  # includes starting the actor pool
        ray.shutdown()
        local_lines = (Path(tmp) / "local.jsonl").read_text(encoding="utf-8").splitlines()
        ray_lines = (Path(tmp) / "ray.jsonl").read_text(encoding="utf-8").splitlines()
        identical = local_lines == ray_lines
        differing = sum(a != b for a, b in zip(local_lines, ray_lines)) + abs(
            len(local_lines) - len(ray_lines)
        )
    rows = [[f"`stance predict --engine {name}`", f"{seconds:.1f}", f"{args.rows / seconds:.0f}"]
            for name, seconds in results.items()]  # fmt: skip
    markdown = "\n".join([
        "## Batch engines: local against Ray Data",
        "",
        *provenance(),
        f"- Run: model `{args.model}`; {args.rows:,} JSONL rows",
        "",
        table(["engine", "seconds", "rows/s"], rows),
        "",
        f"Outputs byte-identical: {identical} ({differing} of {args.rows} rows differ). Ray's time includes starting a local Ray and "
        "its actor pool (one actor, leaving a core to Ray's read tasks). On one 2-core machine "
        "Ray cannot beat the local engine: it is there for clusters, where workers add up.",
    ])  # fmt: skip
    print(markdown)
    write_results(
        "engines",
        markdown,
        {
            "seconds": results,
            "rows": args.rows,
            "identical": identical,
            "differing_rows": differing,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
