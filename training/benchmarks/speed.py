"""Inference speed: pairs/s on a 10-actor article, and rows/s of `stance predict`.

    python -m training.benchmarks.speed --model runs/default/model [--compare OTHER_MODEL]

On the example article (examples/libya_article.txt, 11 actors) it times, in one run:

1. all pairs in one pass: ``analyze``'s own reading of the article
   (:meth:`StanceClassifier.score_document`), every window encoded once and all its
   ordered pairs scored;
2. one pass per pair: the same windows and pairs, each pair encoded on its own with only
   its two actors marked. This is the same model fed one pair at a time, not a
   pair-mode model (pass a pair-mode model with ``--compare`` to time that);
3. a plain ``transformers`` text-classification pipeline (the same encoder with a
   sequence-classification head) fed one marked pair at a time: what a user would write
   without this library.

Then it times ``stance predict`` over 10,000 rows of JSONL against calling
``predict`` row by row on the first 500.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from stance.actors import Actors
from stance.batch import predict_file
from stance.classifier import StanceClassifier
from stance.document import read_document
from stance.encoding import mark
from training.benchmarks import machine, provenance, table, today, write_results

ROOT = Path(__file__).resolve().parents[2]


def time_it(function: Any, repeat: int) -> float:
    function()  # warm-up
    started = time.perf_counter()
    for _ in range(repeat):
        function()
    return (time.perf_counter() - started) / repeat


def bench_article(clf: StanceClassifier, repeat: int) -> dict[str, Any]:
    text = (ROOT / "examples/libya_article.txt").read_text(encoding="utf-8")
    actors = Actors.load(ROOT / "examples/libya_actors.yaml")
    reading = read_document(text, actors, clf.input_encoder)
    groups = [p.group for p in reading.passes]
    n_pairs = sum(len(g.pairs) for g in groups)

    def all_pairs() -> None:
        clf.score_document(text, actors)

    singles = [g.sub([k]) for g in groups for k in range(len(g.pairs))]

    def per_pair() -> None:
        inputs = [clf.encode_group(s) for s in singles]
        clf.score_inputs(inputs, [s.pairs for s in singles], batch_size=32)

    from transformers import AutoModelForSequenceClassification, TextClassificationPipeline

    with tempfile.TemporaryDirectory() as tmp:
        clf.model.encoder.save_pretrained(tmp)
        clf.tokenizer.save_pretrained(tmp)
        classifier = AutoModelForSequenceClassification.from_pretrained(tmp, num_labels=3)
    pipe = TextClassificationPipeline(model=classifier, tokenizer=clf.tokenizer, device=clf.device)
    markers = clf.config.markers
    marked = [mark(s.text, s.spans, [(markers.source_start, markers.source_end),
                                     (markers.target_start, markers.target_end)])[0] for s in singles]  # fmt: skip

    def pipeline() -> None:
        for item in marked:
            pipe(item)

    seconds = {
        "all pairs in one pass": time_it(all_pairs, repeat),
        "one pass per pair": time_it(per_pair, repeat),
        "transformers pipeline, one marked pair at a time": time_it(pipeline, max(1, repeat // 2)),
    }
    return {
        "windows": len(groups),
        "pairs": n_pairs,
        "actors_found": sum(1 for n in reading.mentions.counts().values() if n),
        "seconds": seconds,
        "pairs_per_second": {k: n_pairs / v for k, v in seconds.items()},
    }


def bench_predict(clf: StanceClassifier, rows: int) -> dict[str, Any]:
    from stance.io import load_passages

    passages = load_passages(ROOT / "data/corpus/test.jsonl").items
    examples = [e for p in passages for e in p.examples()]
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.jsonl"
        with source.open("w", encoding="utf-8") as handle:
            for i in range(rows):
                e = examples[i % len(examples)]
                handle.write(
                    json.dumps(
                        {"id": str(i), "text": e.text, "source": e.source, "target": e.target}
                    )
                    + "\n"
                )
        started = time.perf_counter()
        predict_file(clf, source, Path(tmp) / "out.jsonl", batch_size=64, progress=False)
        batch_seconds = time.perf_counter() - started
    few = examples[:500]
    started = time.perf_counter()
    for e in few:
        clf.predict(e.text, e.source, e.target)
    loop_seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "stance_predict_rows_per_second": rows / batch_seconds,
        "predict_loop_rows_per_second": len(few) / loop_seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="runs/default/model")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="MODEL",
        help="Another model whose article pairs/s are measured in the same run, against "
        "its own one-pass-per-pair rate (for instance one trained without context "
        "pooling). Repeatable.",
    )
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    clf = StanceClassifier.from_pretrained(args.model, precision="float32")
    article = bench_article(clf, args.repeat)
    base = article["pairs_per_second"]["one pass per pair"]
    rows = [
        [name, f"{rate:.0f}", f"{rate / base:.1f}x"]
        for name, rate in article["pairs_per_second"].items()
    ]
    compared = {}
    for path in args.compare:
        other = bench_article(
            StanceClassifier.from_pretrained(path, precision="float32"), args.repeat
        )
        own = other["pairs_per_second"]["one pass per pair"]
        rows += [
            [f"{name}, model `{path}`", f"{rate:.0f}", f"{rate / own:.1f}x"]
            for name, rate in other["pairs_per_second"].items()
        ]
        compared[path] = other
    batch = bench_predict(clf, args.rows)
    markdown = "\n".join([
        "## Inference speed",
        "",
        *provenance(),
        f"- Run: model `{args.model}` ({clf.config.encoder}, context pooling "
        f"{'on' if clf.config.context_pooling else 'off'})",
        f"- Article: examples/libya_article.txt, {article['actors_found']} actors found, "
        f"{article['windows']} three-sentence windows (as analyze), {article['pairs']} ordered pairs scored",
        "",
        table(["method", "pairs/s", "vs one pass per pair (same model)"], rows),
        "",
        table(["batch job", "rows/s"], [
            [f"`stance predict`, {batch['rows']:,} JSONL rows (batch 64)", f"{batch['stance_predict_rows_per_second']:.0f}"],
            ["`clf.predict()` row by row (500 rows)", f"{batch['predict_loop_rows_per_second']:.0f}"],
        ]),
    ])  # fmt: skip
    print(markdown)
    write_results(
        "speed",
        markdown,
        {
            "article": article,
            "compared": compared,
            "predict": batch,
            "machine": machine(),
            "date": today(),
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
