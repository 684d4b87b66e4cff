"""The ``stance`` command.

    stance analyze --model DIR [--actors actors.yaml] article.txt [--format table|json|graphml] [--plot graph.png]
    stance predict --model DIR --input in.jsonl --output out.jsonl [--resume]
    stance actors article.txt
    stance train --config configs/default.yaml          (from the training package)
    stance evaluate --model DIR --data PATH             (from the training package)

``train`` and ``evaluate`` are plugged in through the ``stance.commands`` entry point
group, so this library never imports the training pipeline.
"""

from __future__ import annotations

import argparse
import logging
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def _analyze(args: argparse.Namespace) -> int:
    from stance.actors import Actors
    from stance.classifier import StanceClassifier

    text = Path(args.article).read_text(encoding="utf-8")
    actors = Actors.load(args.actors) if args.actors else None
    clf = StanceClassifier.from_pretrained(args.model, device=args.device)
    graph = clf.analyze(
        text, actors, threshold=args.threshold, window=args.window, roll_up=args.roll_up
    )
    if args.format == "json":
        print(graph.to_json())
    elif args.format == "graphml":
        if not args.output:
            raise SystemExit("--format graphml needs --output FILE.graphml")
        graph.to_graphml(args.output)
    else:
        print(graph.to_table())
    if args.output and args.format != "graphml":
        Path(args.output).write_text(graph.to_json(), encoding="utf-8")
    if args.plot:
        graph.plot(args.plot)
        print(f"graph drawn to {args.plot}", file=sys.stderr)
    if args.html:
        graph.to_html(args.html, text=text)
        print(f"report written to {args.html}", file=sys.stderr)
    return 0


def _predict(args: argparse.Namespace) -> int:
    if args.engine == "ray":
        from stance.distributed import predict_file_ray

        if args.resume:
            raise ValueError("--resume is for the local engine; rerun the Ray job instead.")

        predict_file_ray(args.model, args.input, args.output, batch_size=args.batch_size,
                         chunk_size=args.chunk_size, address=args.address,
                         columns=_columns(args.columns), device=args.device,
                         overwrite=args.overwrite)  # fmt: skip
        return 0
    from stance.batch import predict_file
    from stance.classifier import StanceClassifier

    clf = StanceClassifier.from_pretrained(args.model, device=args.device)
    state = predict_file(
        clf,
        args.input,
        args.output,
        batch_size=args.batch_size,
        chunk_size=args.chunk_size,
        columns=_columns(args.columns),
        resume=args.resume,
        overwrite=args.overwrite,
    )
    print(f"{state.rows} rows written to {args.output}", file=sys.stderr)
    return 0


def _actors(args: argparse.Namespace) -> int:
    import yaml

    from stance.discovery import discover_actors

    text = Path(args.article).read_text(encoding="utf-8")
    found = discover_actors(text)
    print(yaml.safe_dump(found.to_dict(), sort_keys=False, allow_unicode=True), end="")
    return 0


def _columns(pairs: list[str] | None) -> dict[str, str]:
    mapping = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise SystemExit(
                f"--column {pair!r}: write it as YOUR_COLUMN=field, e.g. sentence=text"
            )
        theirs, ours = pair.split("=", 1)
        mapping[theirs] = ours
    return mapping


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stance", description="Directed stance between the actors of a text."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="Log debug messages.")
    sub = parser.add_subparsers(dest="command", required=True)

    analyze = sub.add_parser("analyze", help="The stance graph of an article.")
    analyze.add_argument("article", help="A UTF-8 text file.")
    analyze.add_argument("--model", required=True, help="A model directory (from stance train).")
    analyze.add_argument(
        "--actors", help="Actor dictionary (YAML or JSON); discovered with NER if absent."
    )
    analyze.add_argument("--format", choices=["table", "json", "graphml"], default="table")
    analyze.add_argument("--output", help="Write JSON (or GraphML with --format graphml) here.")
    analyze.add_argument("--plot", help="Draw the graph to this PNG.")
    analyze.add_argument("--html", metavar="FILE", help="Write an HTML report with the evidence.")
    analyze.add_argument(
        "--threshold", type=float, default=0.5, help="Minimum edge probability (0.5)."
    )
    analyze.add_argument("--window", type=int, default=3, help="Sentences per window (3).")
    analyze.add_argument(
        "--roll-up", action="store_true", help="Count people for their affiliation."
    )
    analyze.add_argument("--device", help="cpu, cuda, ... (default: CUDA when present).")
    analyze.set_defaults(func=_analyze)

    predict = sub.add_parser("predict", help="Predict every row of a JSONL, CSV or Parquet file.")
    predict.add_argument("--model", required=True)
    predict.add_argument("--input", required=True, help="Rows with text, source, target.")
    predict.add_argument("--output", required=True, help=".jsonl, .csv or .parquet")
    predict.add_argument("--batch-size", type=int, default=32)
    predict.add_argument(
        "--chunk-size", type=int, default=1024, help="Rows read and written at a time."
    )
    predict.add_argument("--column", dest="columns", action="append", metavar="YOURS=FIELD",
                         help="Map a column, e.g. --column sentence=text (repeatable).")  # fmt: skip
    predict.add_argument("--resume", action="store_true", help="Continue an interrupted job.")
    predict.add_argument("--overwrite", action="store_true", help="Replace an existing output.")
    predict.add_argument("--engine", choices=["local", "ray"], default="local")
    predict.add_argument("--address", help="Ray cluster address (with --engine ray).")
    predict.add_argument("--device")
    predict.set_defaults(func=_predict)

    actors = sub.add_parser("actors", help="Discover the actors of an article (needs stance[ner]).")
    actors.add_argument("article")
    actors.set_defaults(func=_actors)

    for entry in entry_points(group="stance.commands"):
        try:
            entry.load()(sub)
        except ImportError as err:  # the training extra is not installed
            logger.debug("command %s unavailable: %s", entry.name, err)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args: Any = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args))
    except (ValueError, FileNotFoundError, FileExistsError, ImportError) as err:
        print(f"stance {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
