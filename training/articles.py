"""The article corpus: build the gold splits from two annotations, validate them, and
measure how far the annotators agreed.

    python -m training.articles build       # data/articles/raw + annotation_b + adjudication -> splits
    python -m training.articles validate    # the checks the tests run
    python -m training.articles agreement   # edge F1 and Cohen's kappa (docs/benchmarks/agreement.json)

Each article is written and annotated by one helper (``raw/``) and annotated a second
time, blind, by another (``annotation_b/``); disagreements are decided by a third
(``adjudication/``) under the rule of ``data/articles/AUTHORING.md`` section 7. The build
finds every mention from the actors' surface strings (as the passage corpus does), splits
the text into sentences with the library's own splitter, turns each evidence quotation
into sentence indices, and assigns each article to a split by a hash of its id.

A built record is a passage record (``stance.io.load_passages`` reads it) with more:
``sentences`` (character spans), each actor's ``type`` and ``affiliation``, and each
stance's ``evidence`` (sentence indices).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stance.actors import Actor, Actors
from stance.document import split_sentences
from stance.io import load_passages, write_jsonl
from stance.schema import LabelSet, Passage, Span
from training.corpus import (
    Report,
    near_duplicates,
    print_report,
    surface_spans,
    text_span_breaks_word,
)

ROOT = Path(__file__).resolve().parent.parent / "data" / "articles"
SPLITS = ("train", "validation", "test")
STANCES = ("support", "oppose")
Edges = dict[tuple[str, str], str]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of a JSONL file; a bad line raises naming the file and line."""
    records = []
    for number, line in enumerate(path.open(encoding="utf-8"), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}, line {number}: not JSON ({err}).") from err
    return records


def _edges(
    stances: Iterable[Any], ident: str, where: str
) -> dict[tuple[str, str], tuple[str, list[str]]]:
    found: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for item in stances:
        if not isinstance(item, list) or len(item) != 4:
            raise ValueError(
                f"{where}: {ident}: a stance is [source, target, label, [quotes]], found {item!r}."
            )
        source, target, label, quotes = item
        if label not in STANCES:
            raise ValueError(
                f"{where}: {ident}: unknown label {label!r}; expected {list(STANCES)}."
            )
        found[(source, target)] = (label, list(quotes))
    return found


@dataclass
class Article:
    """One article with both annotations and the adjudicated gold edges."""

    raw: dict[str, Any]
    first: dict[tuple[str, str], tuple[str, list[str]]]
    second: dict[tuple[str, str], tuple[str, list[str]]] | None
    decisions: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.raw["id"])

    @property
    def names(self) -> list[str]:
        return [a["name"] for a in self.raw["actors"]]

    def gold(self) -> tuple[dict[tuple[str, str], tuple[str, list[str]]], int]:
        """The gold edges with their quotations, and how many disagreements fell back to
        the writer's label for want of an adjudication (AUTHORING.md section 7)."""
        if self.second is None:
            return dict(self.first), 0
        gold: dict[tuple[str, str], tuple[str, list[str]]] = {}
        fallbacks = 0
        for pair in sorted(set(self.first) | set(self.second)):
            a, b = self.first.get(pair), self.second.get(pair)
            if a and b and a[0] == b[0]:
                gold[pair] = (a[0], list(dict.fromkeys(a[1] + b[1])))
                continue
            decided = self.decisions.get(pair)
            if decided is None:
                fallbacks += 1
                if a:
                    gold[pair] = a
                continue
            if decided in STANCES:
                quotes = [q for side in (a, b) if side and side[0] == decided for q in side[1]]
                gold[pair] = (decided, list(dict.fromkeys(quotes)))
        return gold, fallbacks


def load_articles(root: Path = ROOT) -> list[Article]:
    """Every raw article with its second annotation and adjudications, where present."""
    articles = []
    for path in sorted((root / "raw").glob("*.jsonl")):
        second_path = root / "annotation_b" / path.name
        seconds = {r["id"]: r for r in read_jsonl(second_path)} if second_path.is_file() else {}
        adjudication_path = root / "adjudication" / path.name
        decisions: dict[str, dict[tuple[str, str], str]] = {}
        if adjudication_path.is_file():
            for d in read_jsonl(adjudication_path):
                decisions.setdefault(d["id"], {})[(d["source"], d["target"])] = d["label"]
        for raw in read_jsonl(path):
            ident = str(raw["id"])
            second = seconds.get(ident)
            articles.append(
                Article(
                    raw,
                    _edges(raw["stances"], ident, str(path)),
                    _edges(second["stances"], ident, str(second_path)) if second else None,
                    decisions.get(ident, {}),
                )
            )
    return articles


def sentence_indices(text: str, sentences: list[Span], quote: str, ident: str) -> list[int]:
    """The sentences a verbatim quotation overlaps."""
    start = text.find(quote)
    if start < 0:
        raise ValueError(f"{ident}: the quotation {quote[:60]!r} is not in the text verbatim.")
    end = start + len(quote)
    return [k for k, (s, e) in enumerate(sentences) if s < end and e > start]


def to_record(article: Article) -> dict[str, Any]:
    """The built record of an article: mentions, sentences, gold edges with evidence."""
    raw, ident = article.raw, article.id
    text = raw["text"]
    spans = surface_spans(text, {a["name"]: a["surfaces"] for a in raw["actors"]}, ident)
    sentences = split_sentences(text)
    gold, fallbacks = article.gold()
    stances = []
    for (source, target), (label, quotes) in sorted(gold.items()):
        evidence = sorted({k for q in quotes for k in sentence_indices(text, sentences, q, ident)})
        stances.append({"source": source, "target": target, "label": label, "evidence": evidence})
    return {
        "id": ident,
        "topic": raw.get("topic"),
        "text": text,
        "sentences": [list(s) for s in sentences],
        "actors": [
            {
                "name": a["name"],
                "type": a.get("type"),
                "affiliation": a.get("affiliation"),
                "mentions": [list(s) for s in spans[a["name"]]],
            }
            for a in raw["actors"]
        ],
        "stances": stances,
        "fallbacks": fallbacks,
    }


def split_of(ids: list[str]) -> dict[str, str]:
    """Splits by a hash of the id: the lowest 15% (at least 30) test, the next validation."""
    ranked = sorted(ids, key=lambda i: hashlib.sha256(i.encode()).hexdigest())
    held = (
        max(30, math.ceil(0.15 * len(ranked)))
        if len(ranked) >= 100
        else math.ceil(0.15 * len(ranked))
    )
    return {
        ident: "test" if k < held else "validation" if k < 2 * held else "train"
        for k, ident in enumerate(ranked)
    }


def build(root: Path = ROOT) -> dict[str, int]:
    """Write ``train``, ``validation`` and ``test`` JSONL from the annotated articles."""
    articles = load_articles(root)
    splits = split_of([a.id for a in articles])
    records: dict[str, list[dict[str, Any]]] = {name: [] for name in SPLITS}
    for article in articles:
        records[splits[article.id]].append(to_record(article))
    for name, items in records.items():
        write_jsonl(items, root / f"{name}.jsonl")
    return {name: len(items) for name, items in records.items()}


def article_actors(record: Mapping[str, Any]) -> Actors:
    """The gold actors of a built article as a dictionary (its surfaces as aliases are not
    kept in the built record, so the aliases are the mention texts)."""
    text = record["text"]
    return Actors(
        Actor(
            a["name"],
            tuple(dict.fromkeys(text[s:e] for s, e in a["mentions"])),
            a.get("type"),
            a.get("affiliation"),
        )
        for a in record["actors"]
    )


# --- agreement -------------------------------------------------------------------------


def agreement(articles: list[Article]) -> dict[str, Any]:
    """Edge F1 between the two annotations (an edge matches when source, target and label
    do) and Cohen's kappa over every ordered pair of every doubly annotated article."""
    from sklearn.metrics import cohen_kappa_score

    matched = first_total = second_total = 0
    first_labels: list[str] = []
    second_labels: list[str] = []
    disagreements = 0
    doubly = 0
    for article in articles:
        if article.second is None:
            continue
        doubly += 1
        a = {pair: lab for pair, (lab, _) in article.first.items()}
        b = {pair: lab for pair, (lab, _) in article.second.items()}
        matched += sum(1 for pair, lab in a.items() if b.get(pair) == lab)
        first_total += len(a)
        second_total += len(b)
        for s in article.names:
            for t in article.names:
                if s != t:
                    first_labels.append(a.get((s, t), "neutral"))
                    second_labels.append(b.get((s, t), "neutral"))
                    disagreements += first_labels[-1] != second_labels[-1]
    precision = matched / second_total if second_total else 0.0
    recall = matched / first_total if first_total else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    kappa = float(cohen_kappa_score(first_labels, second_labels)) if first_labels else 0.0
    return {
        "articles_doubly_annotated": doubly,
        "edges_first": first_total,
        "edges_second": second_total,
        "edges_matched": matched,
        "edge_f1": round(f1, 4),
        "cohen_kappa": round(kappa, 4),
        "ordered_pairs": len(first_labels),
        "disagreements": disagreements,
    }


# --- validation -----------------------------------------------------------------------


MINIMUM = {"train": 140, "validation": 30, "test": 30}


def validate(root: Path = ROOT, complete: bool = True) -> Report:
    """Check the built splits: they load as passages (spans fit, labels known), mentions
    do not cut words, sentences tile the text in order, evidence indices exist and the
    sentences they name are in the text, no article is in two splits, no two articles are
    near-duplicates, 400-1,000 words and 6-14 actors each; with ``complete``, also the
    split sizes (train >= 140, validation >= 30, test >= 30)."""
    labels = LabelSet()
    report = Report()
    seen: dict[str, str] = {}
    everything: list[Passage] = []
    actor_counts: list[int] = []
    for name in SPLITS:
        path = root / f"{name}.jsonl"
        if not path.is_file():
            report.problems.append(f"{path} is missing; run python -m training.articles build")
            continue
        loaded = load_passages(path, labels=labels, lenient=True)
        report.problems += [str(e) for e in loaded.errors]
        for number, record in enumerate(read_jsonl(path), 1):
            ident = str(record.get("id"))
            where = f"{path}, line {number} ({ident})"
            if ident in seen:
                report.problems.append(f"{where}: also in {seen[ident]}")
            seen[ident] = name
            text = record["text"]
            words = len(text.split())
            if not 400 <= words <= 1000:
                report.problems.append(f"{where}: {words} words; articles have 400 to 1,000")
            actor_counts.append(len(record["actors"]))
            if not 6 <= len(record["actors"]) <= 14:
                report.problems.append(f"{where}: {len(record['actors'])} actors; 6 to 14")
            sentences = [tuple(s) for s in record["sentences"]]
            if sentences != split_sentences(text):
                report.problems.append(
                    f"{where}: sentences are not the library's split of the text"
                )
            for (s1, e1), (s2, _) in itertools.pairwise(sentences):
                if not (0 <= s1 < e1 <= s2):
                    report.problems.append(f"{where}: sentences overlap or are out of order")
            for actor in record["actors"]:
                for start, end in actor["mentions"]:
                    if text_span_breaks_word(text, start, end):
                        report.problems.append(f"{where}: mention {text[start:end]!r} cuts a word")
            names = {a["name"] for a in record["actors"]}
            for stance in record["stances"]:
                if stance["source"] not in names or stance["target"] not in names:
                    report.problems.append(f"{where}: stance names an unknown actor: {stance}")
                if not stance.get("evidence"):
                    report.problems.append(
                        f"{where}: {stance['source']} -> {stance['target']} has no evidence"
                    )
                for k in stance.get("evidence", []):
                    if not 0 <= k < len(sentences):
                        report.problems.append(f"{where}: evidence sentence {k} does not exist")
        everything += loaded.items
        report.counts[name] = len(loaded)
    for a, b, score in near_duplicates(everything, threshold=0.3):
        if seen.get(a) != seen.get(b):
            report.problems.append(
                f"{a} and {b} are near-duplicates across splits (5-gram Jaccard {score:.2f})"
            )
    if complete:
        for name, least in MINIMUM.items():
            if report.counts.get(name, 0) < least:
                report.problems.append(
                    f"{name} has {report.counts.get(name, 0)} articles; it needs {least}"
                )
    report.counts.update(statistics(everything, actor_counts))
    return report


def statistics(passages: list[Passage], actor_counts: list[int]) -> dict[str, Any]:
    labels: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    pairs = 0
    for p in passages:
        n = len(p.actors)
        pairs += n * (n - 1)
        labels.update(p.stances.values())
        topics[str(p.meta.get("topic"))] += 1
    labels["neutral"] = pairs - sum(labels.values())
    ordered = sorted(actor_counts)
    return {
        "articles": len(passages),
        "directed_pairs": pairs,
        "labels": dict(labels),
        "topics": dict(topics),
        "actors_median": ordered[len(ordered) // 2] if ordered else 0,
        "actors_mean": round(sum(ordered) / max(1, len(ordered)), 2),
        "words": sum(len(p.text.split()) for p in passages),
        "words_mean": round(sum(len(p.text.split()) for p in passages) / max(1, len(passages)), 1),
    }


# --- article windows as training units -------------------------------------------------


def article_windows(
    sentences: list[tuple[int, int]], window: int, stride: int | None, offset: int = 0
) -> list[tuple[int, int]]:
    """Character spans of the training windows of an article's ``sentences``.

    Windows of ``window`` sentences start every ``stride`` sentences (``None``: windows
    that do not overlap) from sentence ``offset``, the last full window always among them;
    with ``offset`` > 0 the sentences before the first window are one shorter window, so
    every sentence is read.
    """
    from stance.document import windows

    spans = windows(sentences, window)
    keep = list(range(offset, len(spans), stride or window))
    if spans and (not keep or keep[-1] != len(spans) - 1):
        keep.append(len(spans) - 1)  # the article's last sentences too
    chosen = [spans[k] for k in keep]
    if len(spans) > 1 and offset > 0:
        chosen.insert(0, (sentences[0][0], sentences[min(offset, len(sentences)) - 1][1]))
    return chosen


def article_units(
    record: Mapping[str, Any],
    window: int,
    stride: int | None,
    first_row: int = 0,
    neutral: str = "neutral",
    offset: int = 0,
    outside_evidence: str = "neutral",
) -> tuple[list[Any], list[Any]]:
    """The windows of a built article as labelled reading units, as ``analyze`` reads them.

    A window of ``window`` sentences (every ``stride``-th one from sentence ``offset``;
    ``None``: windows that do not overlap; see :func:`article_windows`) knows every actor
    mentioned inside it. A pair is labelled with its gold
    edge only when a sentence of that edge's evidence lies inside the window, and neutral
    when it has no edge, so the model learns that co-mention is not stance. A pair whose
    edge has its evidence elsewhere in the article is neutral too, or, with
    ``outside_evidence="ignore"``, not a training pair of that window at all (the window
    may show the stance in a sentence the annotators did not quote; it still reads the
    two actors).

    Returns:
        The directed examples (``StanceExample``) and units (``Group``), rows counted from
        ``first_row``.
    """
    from stance.document import window_unit
    from stance.mentions import Mention
    from stance.schema import StanceExample

    text = record["text"]
    sentences = [tuple(s) for s in record["sentences"]]
    mentions = sorted(
        (Mention(a["name"], s, e, text[s:e]) for a in record["actors"] for s, e in a["mentions"]),
        key=lambda m: m.start,
    )
    gold = {
        (st["source"], st["target"]): (st["label"], set(st["evidence"])) for st in record["stances"]
    }
    examples: list[Any] = []
    units: list[Any] = []
    for start, end in article_windows(sentences, window, stride, offset):
        unit = window_unit(text, mentions, start, end)
        if unit is None:
            continue
        inside = {i for i, (s, e) in enumerate(sentences) if s >= start and e <= end}
        unit.labels, unit.rows = [], []
        pairs = []
        for i, j in unit.pairs:
            label, evidence = gold.get((unit.actors[i], unit.actors[j]), (neutral, set()))
            if label != neutral and not evidence & inside:
                if outside_evidence == "ignore":
                    continue
                label = neutral
            pairs.append((i, j))
            unit.labels.append(label)
            unit.rows.append(first_row + len(examples))
            examples.append(
                StanceExample(
                    unit.text,
                    unit.actors[i],
                    unit.actors[j],
                    label,
                    f"{record['id']}@{start}:{unit.actors[i]}->{unit.actors[j]}",
                    unit.spans[i],
                    unit.spans[j],
                )
            )
        unit.pairs = pairs
        if pairs:
            units.append(unit)
    return examples, units


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.articles", description=__doc__)
    parser.add_argument("command", choices=["build", "validate", "agreement", "stats"])
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    if args.command == "build":
        print(json.dumps(build(args.root)))
        return 0
    if args.command == "agreement":
        articles = load_articles(args.root)
        result = agreement(articles)
        result["fallbacks"] = sum(a.gold()[1] for a in articles)
        print(json.dumps(result, indent=2))
        record = Path(__file__).resolve().parent.parent / "docs" / "benchmarks" / "agreement.json"
        record.write_text(json.dumps(result, indent=2) + "\n")
        return 0
    return print_report(validate(args.root), args.command)


if __name__ == "__main__":
    raise SystemExit(main())
