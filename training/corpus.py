"""The bundled corpus: build the span-annotated splits from the raw passages, and validate them.

    python -m training.corpus build      # data/corpus/raw/*.jsonl -> data/corpus/{train,validation,test}.jsonl
    python -m training.corpus validate   # the checks the tests run
    python -m training.corpus stats      # counts per label, topic and phenomenon (for the data card)

Raw passages name each actor's surface strings (see data/corpus/AUTHORING.md); the build
finds every occurrence on word boundaries, resolves overlaps to the longest, and assigns
each passage to a split by a hash of its id, so a passage never moves between splits.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stance.io import load_passages, passage_to_record, write_jsonl
from stance.schema import DEFAULT_LABELS, ActorMentions, LabelSet, Passage, Span

ROOT = Path(__file__).resolve().parent.parent / "data" / "corpus"
SPLITS = {"train": 0.8, "validation": 0.1, "test": 0.1}


def find_surface(text: str, surface: str) -> list[Span]:
    """Every occurrence of ``surface`` in ``text`` that is not part of a longer word."""
    pattern = r"(?<!\w)" + re.escape(surface) + r"(?!\w)"
    return [(m.start(), m.end()) for m in re.finditer(pattern, text)]


def surface_spans(
    text: str, surfaces: dict[str, Iterable[str]], ident: Any
) -> dict[str, list[Span]]:
    """Every mention of every actor from its surface strings: all occurrences on word
    boundaries, overlaps resolved to the longest (a shorter match inside a longer one is
    part of that mention, not another).

    Raises:
        ValueError: An actor has no surface string in the text.
    """
    candidates: list[tuple[int, int, str]] = []
    for name, forms in surfaces.items():
        for surface in {name, *forms} if name in text else set(forms):
            candidates += [(s, e, name) for s, e in find_surface(text, surface)]
    candidates.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
    taken: list[tuple[int, int, str]] = []
    for start, end, name in candidates:
        if all(end <= s or start >= e for s, e, _ in taken):
            taken.append((start, end, name))
    spans: dict[str, list[Span]] = {name: [] for name in surfaces}
    for start, end, name in taken:
        spans[name].append((start, end))
    for name, found in spans.items():
        if not found:
            raise ValueError(f"{ident}: actor {name!r} has no surface string in the text.")
        found.sort()
    return spans


def raw_to_passage(raw: dict[str, Any]) -> Passage:
    """Turn a raw authoring record into a :class:`Passage` with character spans."""
    text = raw["text"]
    spans = surface_spans(text, raw["actors"], raw.get("id"))
    actors = [ActorMentions(name, tuple(found)) for name, found in spans.items()]
    stances = {}
    for source, target, label in raw["stances"]:
        if (source, target) in stances:
            raise ValueError(f"{raw.get('id')}: the stance {source} -> {target} is listed twice.")
        stances[(source, target)] = label
    meta = {"topic": raw.get("topic"), "phenomena": sorted(raw.get("phenomena", []))}
    return Passage(text, tuple(actors), stances, raw["id"], meta)


def split_of(passage_id: str) -> str:
    """A stable split from a hash of the id: about 80/10/10."""
    bucket = int(hashlib.sha256(passage_id.encode()).hexdigest(), 16) % 100
    return "train" if bucket < 80 else "validation" if bucket < 90 else "test"


def build(root: Path = ROOT) -> dict[str, int]:
    passages: dict[str, list[Passage]] = {name: [] for name in SPLITS}
    for path in sorted((root / "raw").glob("*.jsonl")):
        for number, line in enumerate(path.open(encoding="utf-8"), 1):
            if not line.strip():
                continue
            try:
                passage = raw_to_passage(json.loads(line))
            except (ValueError, KeyError, json.JSONDecodeError) as err:
                raise ValueError(f"{path}, line {number}: {err}") from err
            passages[split_of(passage.id or "")].append(passage)
    for name, items in passages.items():
        write_jsonl([passage_to_record(p) for p in items], root / f"{name}.jsonl")
    return {name: len(items) for name, items in passages.items()}


# --- validation -----------------------------------------------------------------------


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)


def _shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1))}


def near_duplicates(
    passages: Iterable[Passage], threshold: float = 0.5
) -> list[tuple[str, str, float]]:
    """Pairs of passages whose word 5-gram Jaccard similarity is at least ``threshold``."""
    items = [(p.id or "", _shingles(p.text)) for p in passages]
    index: dict[tuple[str, ...], list[int]] = {}
    for i, (_, grams) in enumerate(items):
        for gram in grams:
            index.setdefault(gram, []).append(i)
    shared: Counter[tuple[int, int]] = Counter()
    for owners in index.values():
        for a in range(len(owners)):
            for b in range(a + 1, len(owners)):
                shared[(owners[a], owners[b])] += 1
    found = []
    for (a, b), common in shared.items():
        union = len(items[a][1] | items[b][1])
        if common / union >= threshold:
            found.append((items[a][0], items[b][0], common / union))
    return found


def validate(root: Path = ROOT, labels: LabelSet | None = None) -> Report:
    """Check the built splits: they load (spans fit, labels known), no passage is in two
    splits, no two passages are near-duplicates, and each passage has 3-8 actors."""
    labels = labels or LabelSet(DEFAULT_LABELS)
    report = Report()
    seen_ids: dict[str, str] = {}
    seen_texts: dict[str, str] = {}
    everything: list[Passage] = []
    for name in SPLITS:
        loaded = load_passages(root / f"{name}.jsonl", labels=labels, lenient=True)
        report.problems += [str(e) for e in loaded.errors]
        for p in loaded:
            pid = p.id or ""
            if pid in seen_ids:
                report.problems.append(f"{pid} is in both {seen_ids[pid]} and {name}")
            if p.text in seen_texts:
                report.problems.append(f"{pid}: same text as {seen_texts[p.text]}")
            seen_ids[pid] = name
            seen_texts[p.text] = pid
            if not 3 <= len(p.actors) <= 8:
                report.problems.append(f"{pid}: {len(p.actors)} actors; passages have 3 to 8")
            for label in p.stances.values():
                if label == labels.neutral:
                    report.problems.append(
                        f"{pid}: lists a neutral stance; leave neutral pairs out"
                    )
            for actor in p.actors:
                for start, end in actor.spans:
                    if text_span_breaks_word(p.text, start, end):
                        report.problems.append(f"{pid}: mention {p.text[start:end]!r} cuts a word")
        everything += loaded.items
        report.counts[name] = len(loaded)
    for a, b, score in near_duplicates(everything):
        report.problems.append(f"{a} and {b} are near-duplicates (5-gram Jaccard {score:.2f})")
    report.counts.update(statistics(everything))
    return report


def text_span_breaks_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return (before.isalnum() and text[start].isalnum()) or (
        after.isalnum() and text[end - 1].isalnum()
    )


def statistics(passages: list[Passage]) -> dict[str, Any]:
    labels: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    phenomena: Counter[str] = Counter()
    pairs = 0
    for p in passages:
        n = len(p.actors)
        pairs += n * (n - 1)
        labels.update(p.stances.values())
        topics[str(p.meta.get("topic"))] += 1
        phenomena.update(p.meta.get("phenomena", []))
    labels["neutral"] = pairs - sum(labels.values())
    return {
        "passages": len(passages),
        "directed_pairs": pairs,
        "labels": dict(labels),
        "topics": dict(topics),
        "phenomena": dict(phenomena),
        "actors_per_passage": round(
            sum(len(p.actors) for p in passages) / max(1, len(passages)), 2
        ),
        "words": sum(len(p.text.split()) for p in passages),
    }


def print_report(report: Report, command: str) -> int:
    """Print a validation report's counts; with ``validate``, its problems and exit 1 if any."""
    print(json.dumps(report.counts, indent=2, ensure_ascii=False))
    if command == "validate":
        for problem in report.problems:
            print("PROBLEM", problem, file=sys.stderr)
        return 1 if report.problems else 0
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.corpus", description=__doc__)
    parser.add_argument("command", choices=["build", "validate", "stats"])
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    if args.command == "build":
        print(json.dumps(build(args.root)))
        return 0
    return print_report(validate(args.root), args.command)


if __name__ == "__main__":
    raise SystemExit(main())
