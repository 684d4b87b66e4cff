"""The ``stance`` command.

    stance analyze --model DIR [--actors actors.yaml] article.txt [--format table|json|graphml] [--plot graph.png]
    stance analyze --model DIR --input articles.jsonl --output edges.jsonl [--resume] [--engine local|ray]
    stance aggregate edges.parquet [--by month|year] --output graph.json [--graphml g.graphml] [--plot g.png]
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

from stance.schema import PRECISIONS

logger = logging.getLogger(__name__)

PRECISION_HELP = ("How inference computes: float32, bfloat16, or int8 (linear layers quantised, "
                  "CPU only). Default: bfloat16 on a CPU with native bfloat16 (AVX512-BF16 "
                  "or AMX), else float32; $STANCE_PRECISION when set.")  # fmt: skip


def add_precision(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--precision", choices=PRECISIONS, help=PRECISION_HELP)
    group.add_argument("--int8", dest="precision", action="store_const", const="int8",
                       help="The same as --precision int8.")  # fmt: skip


def _analyze(args: argparse.Namespace) -> int:
    if (args.article is None) == (args.input is None):
        raise ValueError(
            "give one article (stance analyze --model DIR article.txt) or an archive "
            "(--input articles.jsonl --output edges.jsonl), not "
            + ("both." if args.article else "neither.")
        )
    if args.input is not None:
        return _analyze_archive(args)
    for flag, value in (("--column", args.columns), ("--resume", args.resume),
                        ("--overwrite", args.overwrite), ("--engine ray", args.engine == "ray")):  # fmt: skip
        if value:
            raise ValueError(f"{flag} is for an archive (--input); one article has none.")
    from stance.actors import Actors
    from stance.classifier import StanceClassifier

    text = Path(args.article).read_text(encoding="utf-8")
    actors = Actors.load(args.actors) if args.actors else None
    clf = StanceClassifier.from_pretrained(args.model, device=args.device, precision=args.precision)
    graph = clf.analyze(
        text,
        actors,
        threshold=args.threshold,
        window=args.window,
        roll_up=args.roll_up,
        rule=args.rule,
        exclude_within_side=_within_side(args.exclude_within_side),
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


def _within_side(value: str | None) -> list[str] | None:
    """``--exclude-within-side``: ``oppose,support``, or ``none`` for no label."""
    if value is None:
        return None
    names = [n.strip() for n in value.split(",") if n.strip()]
    if [n.lower() for n in names] in ([], ["none"]):
        return []
    if "none" in (n.lower() for n in names):
        raise SystemExit(f"--exclude-within-side {value!r}: give labels, or none alone.")
    return names


def _analyze_archive(args: argparse.Namespace) -> int:
    if not args.output:
        raise ValueError("--input needs --output edges.jsonl (or .csv, .parquet).")
    for flag, value in (("--format", args.format), ("--plot", args.plot), ("--html", args.html)):
        if value:
            raise ValueError(
                f"{flag} is for one article; with --input the edges go to --output "
                "(see stance aggregate for a graph across articles)."
            )
    from stance.actors import Actors

    actors = Actors.load(args.actors) if args.actors else None
    options = {"actors": actors, "columns": _columns(args.columns), "chunk_size": args.chunk_size,
               "roll_up": args.roll_up, "threshold": args.threshold, "window": args.window,
               "rule": args.rule,
               "exclude_within_side": _within_side(args.exclude_within_side)}  # fmt: skip
    if args.engine == "ray":
        from stance.archive import status_path
        from stance.distributed import analyze_file_ray

        if args.resume:
            raise ValueError("--resume is for the local engine; rerun the Ray job instead.")
        articles = analyze_file_ray(args.model, args.input, args.output, address=args.address,
                                    device=args.device, precision=args.precision, overwrite=args.overwrite,
                                    **options)  # fmt: skip
        print(f"{articles} articles analyzed into {args.output} (status: "
              f"{status_path(args.output)})", file=sys.stderr)  # fmt: skip
        return 0
    from stance.archive import analyze_file, status_path
    from stance.classifier import StanceClassifier

    clf = StanceClassifier.from_pretrained(args.model, device=args.device, precision=args.precision)
    state = analyze_file(clf, args.input, args.output, resume=args.resume,
                         overwrite=args.overwrite, **options)  # fmt: skip
    print(f"{state.rows} articles ({state.errors} with errors), {state.edges} edges written to "
          f"{args.output} (status: {status_path(args.output)})", file=sys.stderr)  # fmt: skip
    return 0


def _aggregate(args: argparse.Namespace) -> int:
    if (args.pair is None) != (args.pair_plot is None):
        raise ValueError("--pair SOURCE TARGET and --pair-plot FILE.png go together.")
    from stance.across import (
        aggregate_edges,
        plot_graph,
        plot_pair,
        read_edges,
        write_graphml,
        write_json,
    )

    edges = read_edges(args.edges)
    table = aggregate_edges(edges, by=args.by, min_articles=args.min_articles)
    write_json(table, args.output)
    print(f"{len(table)} pair rows written to {args.output}", file=sys.stderr)
    if args.graphml:
        write_graphml(table, args.graphml)
    if args.html:
        from stance.across import to_stance_graph

        to_stance_graph(edges, args.min_articles).to_html(
            args.html, title=f"Stance across the articles of {args.edges}"
        )
        print(f"report written to {args.html}", file=sys.stderr)
    if args.plot:
        # One picture: the whole archive, whatever --by says.
        whole = table if args.by is None else aggregate_edges(edges, min_articles=args.min_articles)
        plot_graph(whole, args.plot)
        print(f"graph drawn to {args.plot}", file=sys.stderr)
    if args.pair:
        by = args.by or "month"
        periods = (
            table if args.by else aggregate_edges(edges, by=by, min_articles=args.min_articles)
        )
        plot_pair(periods, args.pair[0], args.pair[1], args.pair_plot)
        print(
            f"{args.pair[0]} -> {args.pair[1]} by {by} drawn to {args.pair_plot}", file=sys.stderr
        )
    return 0


def _predict(args: argparse.Namespace) -> int:
    if args.engine == "ray":
        from stance.distributed import predict_file_ray

        if args.resume:
            raise ValueError("--resume is for the local engine; rerun the Ray job instead.")
        predict_file_ray(args.model, args.input, args.output, batch_size=args.batch_size,
                         chunk_size=args.chunk_size, address=args.address,
                         columns=_columns(args.columns), device=args.device, precision=args.precision,
                         overwrite=args.overwrite)  # fmt: skip
        return 0
    from stance.batch import predict_file
    from stance.classifier import StanceClassifier

    clf = StanceClassifier.from_pretrained(args.model, device=args.device, precision=args.precision)
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
    found = discover_actors(text, min_score=args.min_score)
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

    analyze = sub.add_parser(
        "analyze", help="The stance graph of an article, or the edges of every article of a file."
    )
    analyze.add_argument("article", nargs="?", help="A UTF-8 text file (or give --input).")
    analyze.add_argument("--model", required=True, help="A model directory (from stance train).")
    analyze.add_argument(
        "--actors", help="Actor dictionary (YAML or JSON); discovered with NER if absent."
    )
    analyze.add_argument(
        "--format", choices=["table", "json", "graphml"], help="How to show one article (table)."
    )
    analyze.add_argument(
        "--output", help="Write JSON (or GraphML with --format graphml) here; with --input, the "
        "edges (.jsonl, .csv or .parquet), and their status in OUTPUT.status.jsonl."
    )  # fmt: skip
    analyze.add_argument("--plot", help="Draw the graph to this PNG.")
    analyze.add_argument("--html", metavar="FILE", help="Write an HTML report with the evidence.")
    analyze.add_argument(
        "--threshold", type=float, help="Minimum edge score (default: the model's own)."
    )
    analyze.add_argument(
        "--window", type=int, help="Read sliding windows of this many sentences instead of "
        "the model's own reading."
    )  # fmt: skip
    analyze.add_argument(
        "--rule", choices=["max", "vote", "noisy_or", "top2", "learned"],
        help="How a pair's scores over its passes are combined (default: the model's own).",
    )  # fmt: skip
    analyze.add_argument(
        "--exclude-within-side", metavar="LABELS", help="Labels never read between an actor "
        "and its affiliation, comma-separated, or 'none' (default: the model's own)."
    )  # fmt: skip
    analyze.add_argument(
        "--roll-up", action="store_true", help="Count people for their affiliation."
    )
    analyze.add_argument("--device", help="cpu, cuda, ... (default: CUDA when present).")
    add_precision(analyze)
    archive = analyze.add_argument_group("an archive (--input)")
    archive.add_argument("--input", help="Articles (JSONL, CSV or Parquet) with text, and "
                         "optionally id, date and actors.")  # fmt: skip
    archive.add_argument("--column", dest="columns", action="append", metavar="YOURS=FIELD",
                         help="Map a column, e.g. --column body=text (repeatable).")  # fmt: skip
    archive.add_argument(
        "--chunk-size", type=int, default=64, help="Articles read and written at a time (64)."
    )
    archive.add_argument("--resume", action="store_true", help="Continue an interrupted job.")
    archive.add_argument("--overwrite", action="store_true", help="Replace an existing output.")
    archive.add_argument("--engine", choices=["local", "ray"], default="local")
    archive.add_argument("--address", help="Ray cluster address (with --engine ray).")
    analyze.set_defaults(func=_analyze)

    aggregate = sub.add_parser(
        "aggregate", help="The stance graph across articles of an edge file."
    )
    aggregate.add_argument(
        "edges", help="The edges of stance analyze --input (.jsonl, .csv, .parquet)."
    )
    aggregate.add_argument("--by", choices=["month", "year"], help="One graph per period.")
    aggregate.add_argument("--min-articles", type=int, default=1,
                           help="Keep pairs seen in at least this many articles (1).")  # fmt: skip
    aggregate.add_argument("--output", required=True, help="Write the graph as JSON here.")
    aggregate.add_argument("--graphml", help="Also write GraphML here.")
    aggregate.add_argument(
        "--html", help="Also write an HTML report: each edge lists the articles behind it."
    )
    aggregate.add_argument("--plot", help="Draw the graph across all articles to this PNG.")
    aggregate.add_argument("--pair", nargs=2, metavar=("SOURCE", "TARGET"),
                           help="A pair to plot over time (with --pair-plot).")  # fmt: skip
    aggregate.add_argument("--pair-plot", help="Plot the pair's net stance per period to this PNG.")
    aggregate.set_defaults(func=_aggregate)

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
    add_precision(predict)
    predict.set_defaults(func=_predict)

    actors = sub.add_parser("actors", help="Discover the actors of an article (needs stance[ner]).")
    actors.add_argument("article")
    actors.add_argument(
        "--min-score", type=float, help="Leave out actors the learned filter scores below "
        "this (default: its own threshold; 0 keeps all the rules find)."
    )  # fmt: skip
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
