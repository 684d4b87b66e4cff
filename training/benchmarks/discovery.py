"""Actor discovery quality: precision and recall of discovered actor clusters.

    python -m training.benchmarks.discovery --data data/corpus/test.jsonl

For each passage of the corpus test split, ``discover_actors`` (spaCy NER plus
clustering) proposes actors; their mentions are found with ``find_mentions``. A gold
actor is *recalled* when some discovered actor has a mention overlapping one of the gold
actor's mentions; a discovered actor is *correct* when it overlaps some gold actor. The
baseline in the same run is raw NER: one actor per distinct PERSON/ORG/GPE/NORP string,
with no clustering.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from stance.actors import Actor, Actors
from stance.discovery import discover_actors, load_pipeline
from stance.io import load_passages
from stance.mentions import find_mentions
from training.benchmarks import provenance, table, write_results


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score(passages: list[Any], propose: Any) -> dict[str, float]:
    gold_total = gold_found = found_total = found_correct = 0
    for passage in passages:
        proposed = propose(passage.text)
        spans = find_mentions(passage.text, proposed).spans() if len(proposed) else {}
        gold = {a.name: a.spans for a in passage.actors}
        gold_total += len(gold)
        gold_found += sum(
            any(overlaps(g, d) for g in g_spans for d_spans in spans.values() for d in d_spans)
            for g_spans in gold.values()
        )
        found_total += sum(1 for d_spans in spans.values() if d_spans)
        found_correct += sum(
            any(overlaps(g, d) for d in d_spans for g_spans in gold.values() for g in g_spans)
            for d_spans in spans.values()
            if d_spans
        )
    return {
        "recall": gold_found / max(1, gold_total),
        "precision": found_correct / max(1, found_total),
        "gold_actors": gold_total,
        "discovered_actors": found_total,
    }


def raw_ner(text: str) -> Actors:
    doc = load_pipeline()(text)
    names = dict.fromkeys(e.text for e in doc.ents if e.label_ in {"PERSON", "ORG", "GPE", "NORP"})
    return Actors(Actor(n) for n in names)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default="data/corpus/test.jsonl")
    args = parser.parse_args(argv)
    passages = load_passages(args.data).items
    results = {}
    for name, propose in (
        ("raw spaCy NER, no clustering", raw_ner),
        ("discover_actors", discover_actors),
    ):
        started = time.perf_counter()
        results[name] = score(passages, propose) | {"seconds": time.perf_counter() - started}
    rows = [[name, f"{r['recall']:.3f}", f"{r['precision']:.3f}", r["discovered_actors"], f"{r['seconds']:.1f}"]
            for name, r in results.items()]  # fmt: skip
    gold = next(iter(results.values()))["gold_actors"]
    markdown = "\n".join([
        "## Actor discovery",
        "",
        *provenance(),
        f"- Run: data `{args.data}` ({len(passages)} passages, {gold} annotated actors)",
        "",
        table(["method", "recall of annotated actors", "precision", "actors proposed", "seconds"], rows),
        "",
        "Target: recall ≥ 0.85. Precision counts a proposed actor as wrong when it overlaps no "
        "annotated actor; the corpus annotates only the actors that matter to its stances, so "
        "some 'wrong' ones are real but minor actors.",
    ])  # fmt: skip
    print(markdown)
    write_results("discovery", markdown, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
