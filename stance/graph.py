"""Whole-article analysis: sentences, windows, aggregation, and the stance graph.

How an article becomes a graph:

1. Every mention of every actor is found (:func:`stance.actors.find_mentions`).
2. The text is split into sentences (pysbd), and sentences into windows of ``window``
   consecutive sentences that slide one sentence at a time. A window too long for the
   encoder falls back to its single sentences.
3. Each window with two or more actors goes through the model once, which scores every
   ordered pair of its actors.
4. **Aggregation rule.** For each ordered pair, the score of a non-neutral label is its
   highest calibrated probability over the windows in which both actors appear. The edge
   takes the non-neutral label with the higher score if that score is at least
   ``threshold`` (0.5 by default); otherwise the pair is neutral and has no edge. The
   evidence of an edge is every window whose probability for the edge's label reaches the
   threshold, with its character offsets and score, best first.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from itertools import permutations
from typing import TYPE_CHECKING, Any

import numpy as np

from stance.encoding import Group, ModelInput, TextTooLongError

if TYPE_CHECKING:
    from stance.actors import Actors, Mention
    from stance.classifier import StanceClassifier

logger = logging.getLogger(__name__)

COLOURS = {"support": "#1a9850", "oppose": "#d73027"}
OTHER_COLOUR = "#4575b4"


@dataclass(frozen=True)
class Evidence:
    """A stretch of the article that shows an edge: ``text == article[start:end]``."""

    text: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class StanceEdge:
    """A directed, non-neutral stance of ``source`` toward ``target``."""

    source: str
    target: str
    label: str
    score: float
    scores: Mapping[str, float]
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class ActorNode:
    name: str
    mentions: int


@dataclass(frozen=True)
class StanceGraph:
    """The directed stance graph of a text.

    Attributes:
        nodes: Every actor asked for (or discovered), with its mention count.
        edges: The non-neutral edges, strongest first.
        ambiguous: Surface forms that fit several actors and were not assigned.
        skipped: Windows that could not be scored, with the reason.
    """

    nodes: tuple[ActorNode, ...]
    edges: tuple[StanceEdge, ...]
    threshold: float = 0.5
    ambiguous: tuple[dict[str, Any], ...] = ()
    skipped: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodes": [asdict(n) for n in self.nodes],
            "edges": [asdict(e) | {"scores": dict(e.scores)} for e in self.edges],
            "threshold": self.threshold,
            "ambiguous": list(self.ambiguous),
            "skipped": list(self.skipped),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_networkx(self) -> Any:
        """A ``networkx.DiGraph``; edges carry label, score, scores and evidence."""
        import networkx as nx

        graph = nx.DiGraph()
        for node in self.nodes:
            graph.add_node(node.name, mentions=node.mentions)
        for e in self.edges:
            graph.add_edge(e.source, e.target, label=e.label, score=e.score, scores=dict(e.scores),
                           evidence=[asdict(ev) for ev in e.evidence])  # fmt: skip
        return graph

    def to_graphml(self, path: str | os.PathLike[str]) -> None:
        """Write GraphML; nested attributes (scores, evidence) are stored as JSON strings."""
        import networkx as nx

        graph = self.to_networkx()
        for _, _, data in graph.edges(data=True):
            data["scores"] = json.dumps(data["scores"])
            data["evidence"] = json.dumps(data["evidence"], ensure_ascii=False)
        nx.write_graphml(graph, path)

    def to_pandas(self) -> Any:
        """One row per edge: source, target, label, score, evidence count and best evidence."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "source": e.source,
                    "target": e.target,
                    "label": e.label,
                    "score": round(e.score, 3),
                    "evidence": len(e.evidence),
                    "best_evidence": e.evidence[0].text if e.evidence else "",
                }
                for e in self.edges
            ],
            columns=["source", "target", "label", "score", "evidence", "best_evidence"],
        )

    def to_table(self, width: int = 70) -> str:
        """A plain-text table of the edges, for the terminal."""
        if not self.edges:
            return f"No stance edges (actors: {', '.join(n.name for n in self.nodes) or 'none'})."
        src = max(len("source"), *(len(e.source) for e in self.edges))
        tgt = max(len("target"), *(len(e.target) for e in self.edges))
        lines = [f"{'source':<{src}}  {'target':<{tgt}}  {'label':<8} {'score':>5}  evidence"]
        for e in self.edges:
            snippet = " ".join(e.evidence[0].text.split()) if e.evidence else ""
            if len(snippet) > width:
                snippet = snippet[: width - 1] + "…"
            lines.append(
                f"{e.source:<{src}}  {e.target:<{tgt}}  {e.label:<8} {e.score:>5.2f}  {snippet}"
            )
        return "\n".join(lines)

    def plot(self, path: str | os.PathLike[str], title: str | None = None) -> None:
        """Draw the graph to a PNG: support and oppose in distinct colours, width by score."""
        import matplotlib

        matplotlib.use("Agg")
        import textwrap

        import matplotlib.pyplot as plt
        import networkx as nx
        from matplotlib.lines import Line2D

        graph = self.to_networkx()
        fig, ax = plt.subplots(figsize=(14, 11), dpi=110)
        if graph.number_of_nodes():
            layout = (
                nx.circular_layout(graph)
                if graph.number_of_nodes() <= 14
                else nx.spring_layout(graph, seed=0)
            )
            size = 2600
            nx.draw_networkx_nodes(graph, layout, ax=ax, node_size=size, node_color="#f7f7f7",
                                   edgecolors="#444444", linewidths=1.2)  # fmt: skip
            names = {
                n: textwrap.fill(f"{n} ({graph.nodes[n]['mentions']})", 14) for n in graph.nodes
            }
            nx.draw_networkx_labels(
                graph, layout, labels=names, ax=ax, font_size=9, font_weight="bold"
            )
            edges = list(graph.edges(data=True))
            curve = "arc3,rad=0.15"  # a curve keeps A->B and B->A apart
            nx.draw_networkx_edges(
                graph, layout, ax=ax, edgelist=[(u, v) for u, v, _ in edges],
                edge_color=[COLOURS.get(d["label"], OTHER_COLOUR) for _, _, d in edges],
                width=[0.5 + 5.0 * d["score"] ** 2 for _, _, d in edges],
                alpha=0.8, arrows=True, arrowsize=16, node_size=size, connectionstyle=curve,
            )  # fmt: skip
            nx.draw_networkx_edge_labels(
                graph, layout, ax=ax, font_size=7, connectionstyle=curve, label_pos=0.35,
                edge_labels={(u, v): f"{d['score']:.2f}" for u, v, d in edges},
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
            )  # fmt: skip
        labels = sorted({e.label for e in self.edges}) or ["support", "oppose"]
        handles = [
            Line2D([0], [0], color=COLOURS.get(lab, OTHER_COLOUR), lw=3, label=lab)
            for lab in labels
        ]
        ax.legend(handles=handles, loc="lower right", title="stance (width, number = score)")
        ax.set_title(title or "Directed stance graph (arrow: source → target; node: mentions)")
        ax.axis("off")
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)

    def roll_up(self, mapping: Mapping[str, str]) -> StanceGraph:
        """Merge actors into the actors they count for (``{person: country}``), by the same
        max rule; stances of an actor toward itself vanish."""
        grouped: dict[tuple[str, str], list[StanceEdge]] = {}
        for e in self.edges:
            key = (mapping.get(e.source, e.source), mapping.get(e.target, e.target))
            if key[0] != key[1]:
                grouped.setdefault(key, []).append(e)
        edges = []
        for (source, target), group in grouped.items():
            best = max(group, key=lambda e: e.score)
            labels = {k for e in group for k in e.scores}
            scores = {k: max(e.scores.get(k, 0.0) for e in group) for k in labels}
            evidence = tuple(sorted((ev for e in group if e.label == best.label for ev in e.evidence),
                                    key=lambda ev: -ev.score))  # fmt: skip
            edges.append(StanceEdge(source, target, best.label, best.score, scores, evidence))
        counts: dict[str, int] = {}
        for node in self.nodes:
            name = mapping.get(node.name, node.name)
            counts[name] = counts.get(name, 0) + node.mentions
        nodes = tuple(ActorNode(n, c) for n, c in counts.items())
        return StanceGraph(nodes, tuple(sorted(edges, key=lambda e: -e.score)), self.threshold,
                           self.ambiguous, self.skipped)  # fmt: skip


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` of ``text`` (pysbd), whitespace trimmed."""
    spans = []
    for sentence in _segmenter().segment(text):
        start, end = sentence.start, sentence.end
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


def windows(sentences: Sequence[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """Spans of ``size`` consecutive sentences, sliding one sentence at a time."""
    if size < 1:
        raise ValueError(f"window must be at least 1 sentence, got {size}.")
    if len(sentences) <= size:
        return [(sentences[0][0], sentences[-1][1])] if sentences else []
    return [(sentences[i][0], sentences[i + size - 1][1]) for i in range(len(sentences) - size + 1)]


def window_group(text: str, mentions: Sequence[Mention], start: int, end: int) -> Group | None:
    """The window ``text[start:end]`` with its actors and all their ordered pairs, or
    ``None`` when fewer than two actors are mentioned in it."""
    inside = [m for m in mentions if m.start >= start and m.end <= end]
    names = list(dict.fromkeys(m.actor for m in inside))
    if len(names) < 2:
        return None
    spans = [tuple((m.start - start, m.end - start) for m in inside if m.actor == n) for n in names]
    return Group(text[start:end], names, spans, list(permutations(range(len(names)), 2)))


def analyze_document(
    classifier: StanceClassifier,
    text: str,
    actors: Actors | Sequence[str] | Mapping[str, Any] | None,
    threshold: float = 0.5,
    window: int = 3,
    roll_up: bool = False,
    batch_size: int = 32,
) -> StanceGraph:
    """See :meth:`stance.classifier.StanceClassifier.analyze` and the module docstring."""
    from stance.actors import Actors, find_mentions

    if not isinstance(text, str) or not text.strip():
        raise ValueError("The text is empty; give the article to analyze.")
    if actors is None:
        from stance.discovery import discover_actors

        dictionary = discover_actors(text)
    else:
        dictionary = Actors.coerce(actors)
    search = find_mentions(text, dictionary)
    counts = search.counts()
    nodes = tuple(ActorNode(name, counts.get(name, 0)) for name in dictionary.names)
    ambiguous = tuple(asdict(a) for a in search.ambiguous)

    sentences = split_sentences(text)
    inputs: list[ModelInput] = []
    groups: list[Group] = []
    spans_of_window: list[tuple[int, int]] = []
    skipped: list[str] = []
    pending = [(span, True) for span in windows(sentences, window)]
    while pending:
        (start, end), may_split = pending.pop(0)
        group = window_group(text, search.mentions, start, end)
        if group is None:
            continue
        # Reference (pair) mode encodes each pair of the window on its own.
        units = [group] if classifier.config.mode == "all_pairs" else group.split_pairs()
        try:
            encoded = [classifier.encode_group(unit) for unit in units]
        except TextTooLongError as err:
            parts = [s for s in sentences if s[0] >= start and s[1] <= end]
            if may_split and len(parts) > 1:
                pending[:0] = [(s, False) for s in parts]
            else:
                skipped.append(f"characters {start}-{end}: {err}")
                logger.warning("Skipping characters %d-%d: %s", start, end, err)
            continue
        inputs += encoded
        groups += units
        spans_of_window += [(start, end)] * len(units)

    probs = classifier.score_inputs(inputs, [g.pairs for g in groups], batch_size=batch_size)
    edges = aggregate(text, groups, spans_of_window, probs, classifier.labels.labels,
                      classifier.labels.neutral, threshold)  # fmt: skip
    graph = StanceGraph(nodes, edges, threshold, ambiguous, tuple(skipped))
    return graph.roll_up(dictionary.roll_up()) if roll_up else graph


def aggregate(
    text: str,
    groups: Sequence[Group],
    spans: Sequence[tuple[int, int]],
    probs: Sequence[np.ndarray],
    labels: Sequence[str],
    neutral: str,
    threshold: float,
) -> tuple[StanceEdge, ...]:
    """Apply the aggregation rule of the module docstring to per-window pair probabilities."""
    stance_labels = [(k, name) for k, name in enumerate(labels) if name != neutral]
    best: dict[tuple[str, str], dict[str, float]] = {}
    seen: dict[tuple[str, str], list[tuple[tuple[int, int], np.ndarray]]] = {}
    for group, span, window_probs in zip(groups, spans, probs):
        for (i, j), p in zip(group.pairs, window_probs):
            key = (group.actors[i], group.actors[j])
            scores = best.setdefault(key, {name: 0.0 for _, name in stance_labels})
            for k, name in stance_labels:
                scores[name] = max(scores[name], float(p[k]))
            seen.setdefault(key, []).append((span, p))
    edges = []
    for (source, target), scores in best.items():
        label = max(scores, key=lambda name: scores[name])
        if scores[label] < threshold:
            continue
        k = list(labels).index(label)
        evidence = sorted(
            (
                Evidence(text[s:e], s, e, float(p[k]))
                for (s, e), p in seen[(source, target)]
                if p[k] >= threshold
            ),
            key=lambda ev: -ev.score,
        )
        edges.append(
            StanceEdge(source, target, label, scores[label], dict(scores), tuple(evidence))
        )
    return tuple(sorted(edges, key=lambda e: -e.score))
