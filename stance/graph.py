"""The stance graph of a text: aggregation over passes, evidence, roll-up and exports.

**Aggregation rule** (``rule="max"``, the default). For each ordered pair, the score of a
non-neutral label is its highest calibrated probability over the passes in which both
actors appear. The edge takes the non-neutral label with the higher score if that score
is at least ``threshold`` (0.5 by default); otherwise the pair is neutral and has no
edge. The edge's ``scores`` are the probabilities of every label, neutral included, in
the pass that gave its label the highest score. The evidence of an edge is every pass
whose probability for the edge's label reaches the threshold, with its character offsets
and score, best first.

Other rules, for comparison on validation: ``vote`` counts a pass for a label only when
that label is the pass's most probable one; ``noisy_or`` scores a label
``1 - prod(1 - p)`` over the passes; ``top2`` averages its two highest probabilities;
``learned`` reads a few features of the pair's passes (:func:`pair_features`) with a
small logistic regression fitted on validation articles and saved with the model, whose
probabilities are the edge's ``scores``. An edge always shows at least its best pass as
evidence. Where the reading has a ``calibration`` (a Platt scaling fitted on validation
articles), every rule's score is mapped through it, so an edge's score reads as the
probability that the edge is right, and the threshold is on that scale. The labels in
the reading's ``exclude_within_side`` are left out of the pairs of actors on one side (an
actor and the actor it is affiliated with, or two affiliated with one): such a pair
takes its best other label, or no edge.

How the passes are made is :mod:`stance.document`'s job; this module imports nothing
from the classifier.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from stance.document import Reading
from stance.schema import LabelSet, ReadingSettings

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
    """A directed, non-neutral stance of ``source`` toward ``target``.

    Attributes:
        label: The stance, never the neutral label.
        score: The label's aggregated score (the module docstring's rule).
        scores: The probability of every label, neutral included, in the pass that gave
            ``label`` its highest probability.
        evidence: The passages that show the edge, best first (module docstring).
    """

    source: str
    target: str
    label: str
    score: float
    scores: Mapping[str, float]
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class ActorNode:
    """An actor of the graph: its name, how often it is mentioned, and where."""

    name: str
    mentions: int
    spans: tuple[tuple[int, int], ...] = ()


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
        import textwrap

        graph = self.to_networkx()
        names = {n: textwrap.fill(f"{n} ({graph.nodes[n]['mentions']})", 14) for n in graph.nodes}
        draw_graph(
            graph,
            path,
            node_labels=names,
            widths=[0.5 + 5.0 * d["score"] ** 2 for _, _, d in graph.edges(data=True)],
            edge_labels={(u, v): f"{d['score']:.2f}" for u, v, d in graph.edges(data=True)},
            legend=sorted({e.label for e in self.edges}) or ["support", "oppose"],
            legend_title="stance (width, number = score)",
            title=title or "Directed stance graph (arrow: source → target; node: mentions)",
        )

    def roll_up(self, mapping: Mapping[str, str]) -> StanceGraph:
        """Merge actors into the actors they count for (``{person: country}``): the merged
        edge is the strongest of the edges it merges (its label, score and scores), with
        the evidence of those that share its label; stances of an actor toward itself
        vanish."""
        grouped: dict[tuple[str, str], list[StanceEdge]] = {}
        for e in self.edges:
            key = (mapping.get(e.source, e.source), mapping.get(e.target, e.target))
            if key[0] != key[1]:
                grouped.setdefault(key, []).append(e)
        edges = []
        for (source, target), group in grouped.items():
            best = max(group, key=lambda e: e.score)
            evidence = merge_evidence(
                ev for e in group if e.label == best.label for ev in e.evidence
            )
            edges.append(StanceEdge(source, target, best.label, best.score, best.scores, evidence))
        counts: dict[str, int] = {}
        spans: dict[str, list[tuple[int, int]]] = {}
        for node in self.nodes:
            name = mapping.get(node.name, node.name)
            counts[name] = counts.get(name, 0) + node.mentions
            spans.setdefault(name, []).extend(node.spans)
        nodes = tuple(ActorNode(n, c, tuple(sorted(spans[n]))) for n, c in counts.items())
        return StanceGraph(nodes, tuple(sorted(edges, key=lambda e: -e.score)), self.threshold,
                           self.ambiguous, self.skipped)  # fmt: skip

    def to_html(
        self, path: str | os.PathLike[str], text: str | None = None, title: str | None = None
    ) -> None:
        """Write a self-contained HTML report (UTF-8): the graph, the article with its
        mentions marked, and each edge's evidence (see :func:`stance.report.render_html`).

        Args:
            path: The file to write.
            text: The article the graph was built from; without it no article is shown.
            title: The page's title (by default the article's headline).

        Raises:
            ValueError: when the evidence does not point into ``text``.

        Example:
            >>> graph.to_html("report.html", text=article)  # doctest: +SKIP
        """
        from stance.report import render_html

        with open(path, "w", encoding="utf-8") as f:
            f.write(render_html(self, text, title))


RULES = ("max", "vote", "noisy_or", "top2", "learned")


def draw_graph(
    graph: Any,
    path: str | os.PathLike[str],
    *,
    node_labels: Mapping[Any, str] | None,
    widths: Sequence[float],
    edge_labels: Mapping[tuple[Any, Any], str],
    legend: Sequence[str],
    legend_title: str,
    title: str,
) -> None:
    """Draw a directed stance graph (networkx, edges with a ``label``) to a PNG: a circle
    of actors (a spring layout past 14), curved arrows coloured by label, with the given
    widths and edge labels; the one drawing of :meth:`StanceGraph.plot` and
    :func:`stance.across.plot_graph`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx
    from matplotlib.lines import Line2D

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
        nx.draw_networkx_labels(graph, layout, labels=node_labels, ax=ax, font_size=9,
                                font_weight="bold")  # fmt: skip
        edges = list(graph.edges(data=True))
        curve = "arc3,rad=0.15"  # a curve keeps A->B and B->A apart
        nx.draw_networkx_edges(
            graph, layout, ax=ax, edgelist=[(u, v) for u, v, _ in edges],
            edge_color=[COLOURS.get(d["label"], OTHER_COLOUR) for _, _, d in edges],
            width=list(widths), alpha=0.8, arrows=True, arrowsize=16, node_size=size,
            connectionstyle=curve,
        )  # fmt: skip
        nx.draw_networkx_edge_labels(
            graph, layout, ax=ax, font_size=7, connectionstyle=curve, label_pos=0.35,
            edge_labels=dict(edge_labels),
            bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
        )  # fmt: skip
    handles = [
        Line2D([0], [0], color=COLOURS.get(lab, OTHER_COLOUR), lw=3, label=lab) for lab in legend
    ]
    ax.legend(handles=handles, loc="lower right", title=legend_title)
    ax.set_title(title)
    ax.axis("off")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _label_score(values: Sequence[float], argmax_hits: Sequence[bool], rule: str) -> float:
    if rule == "max":
        return max(values, default=0.0)
    if rule == "vote":
        return max((v for v, hit in zip(values, argmax_hits) if hit), default=0.0)
    if rule == "noisy_or":
        return float(1.0 - np.prod([1.0 - v for v in values])) if values else 0.0
    if rule == "top2":
        top = sorted(values, reverse=True)[:2]
        return float(np.mean(top)) if top else 0.0
    raise ValueError(f"Unknown aggregation rule {rule!r}; expected one of {RULES}.")


def pair_features(
    rows: Sequence[np.ndarray], labels: LabelSet, mentions: tuple[int, int]
) -> list[float]:
    """What the ``learned`` rule reads of one ordered pair (see :data:`FEATURES`): per
    non-neutral label its max, mean, noisy-or and share of passes it wins; then how many
    passes hold the pair and how often each actor is mentioned (log scale)."""
    features: list[float] = []
    argmax = [int(p.argmax()) for p in rows]
    for k in range(len(labels)):
        if k == labels.neutral_id:
            continue
        values = [float(p[k]) for p in rows]
        features += [
            max(values),
            float(np.mean(values)),
            _label_score(values, [], "noisy_or"),
            sum(a == k for a in argmax) / len(rows),
        ]
    features += [
        float(np.log1p(len(rows))),
        float(np.log1p(mentions[0])),
        float(np.log1p(mentions[1])),
    ]
    return features


def feature_names(labels: LabelSet) -> list[str]:
    """The names of :func:`pair_features`, in order."""
    names = [
        f"{name}_{kind}"
        for k, name in enumerate(labels)
        if k != labels.neutral_id
        for kind in ("max", "mean", "noisy_or", "wins")
    ]
    return [*names, "log_passes", "log_source_mentions", "log_target_mentions"]


def apply_aggregator(aggregator: Mapping[str, Any], features: np.ndarray) -> np.ndarray:
    """Label probabilities ``[n, n_labels]`` from a fitted multinomial logistic regression
    stored as plain numbers (``mean``, ``scale``, ``coef``, ``intercept``)."""
    x = (features - np.asarray(aggregator["mean"])) / np.asarray(aggregator["scale"])
    logits = x @ np.asarray(aggregator["coef"]).T + np.asarray(aggregator["intercept"])
    logits -= logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


def pair_passes(
    reading: Reading, probs: Sequence[np.ndarray]
) -> dict[tuple[str, str], list[tuple[tuple[int, int], np.ndarray]]]:
    """Every ordered pair with each pass that scored it: its span and probabilities."""
    seen: dict[tuple[str, str], list[tuple[tuple[int, int], np.ndarray]]] = {}
    for step, pass_probs in zip(reading.passes, probs):
        group = step.group
        for (i, j), p in zip(group.pairs, pass_probs):
            seen.setdefault((group.actors[i], group.actors[j]), []).append(
                ((step.start, step.end), p)
            )
    return seen


def pair_scores(
    reading: Reading,
    probs: Sequence[np.ndarray],
    labels: LabelSet,
    settings: ReadingSettings,
    seen: dict[tuple[str, str], list[tuple[tuple[int, int], np.ndarray]]] | None = None,
) -> dict[tuple[str, str], tuple[dict[int, float], np.ndarray]]:
    """Each scored pair's aggregated score per non-neutral label id, and the probability of
    every label that the edge would carry (see the module docstring)."""
    rule = settings.rule
    if rule not in RULES:
        raise ValueError(f"Unknown aggregation rule {rule!r}; expected one of {RULES}.")
    stance_ids = [k for k in range(len(labels)) if k != labels.neutral_id]
    seen = seen if seen is not None else pair_passes(reading, probs)
    result: dict[tuple[str, str], tuple[dict[int, float], np.ndarray]] = {}
    if rule == "learned":
        if not settings.aggregator:
            raise ValueError("rule 'learned' needs a fitted aggregator in the reading settings.")
        counts = reading.mentions.counts()
        keys = list(seen)
        features = np.array(
            [
                pair_features(
                    [p for _, p in seen[key]],
                    labels,
                    (counts.get(key[0], 0), counts.get(key[1], 0)),
                )
                for key in keys
            ]
        ).reshape(len(keys), -1)
        fitted = apply_aggregator(settings.aggregator, features) if keys else np.zeros((0, 0))
        columns = [labels.id(name) for name in settings.aggregator["classes"]]
        for key, row in zip(keys, fitted):
            full = np.zeros(len(labels))
            full[columns] = row
            result[key] = ({k: float(full[k]) for k in stance_ids}, full)
        return calibrated(result, settings)
    for key, found in seen.items():
        rows = [p for _, p in found]
        argmax = [int(p.argmax()) for p in rows]
        scores = {
            k: _label_score([float(p[k]) for p in rows], [a == k for a in argmax], rule)
            for k in stance_ids
        }
        best_label = max(scores, key=lambda k: scores[k])
        result[key] = (scores, max(rows, key=lambda p: float(p[best_label])))
    return calibrated(result, settings)


def calibrated(
    result: dict[tuple[str, str], tuple[dict[int, float], np.ndarray]], settings: ReadingSettings
) -> dict[tuple[str, str], tuple[dict[int, float], np.ndarray]]:
    """The scores passed through the reading's Platt scaling, where it has one."""
    if settings.calibration is None:
        return result
    return {
        key: ({k: platt(v, settings) for k, v in scores.items()}, full)
        for key, (scores, full) in result.items()
    }


def platt(score: float, settings: ReadingSettings) -> float:
    """A rule's score through the reading's Platt scaling (``settings.calibration``)."""
    if settings.calibration is None:
        return score
    a, b = settings.calibration
    x = log_odds(score) if settings.calibration_input == "log_odds" else score
    return float(1.0 / (1.0 + np.exp(-(a * x + b))))


def uncalibrated(probability: float, settings: ReadingSettings) -> float:
    """The rule's score that the reading's Platt scaling maps to ``probability`` (the
    inverse of :func:`platt`); ``probability`` itself without a calibration."""
    if settings.calibration is None:
        return probability
    a, b = settings.calibration
    x = (log_odds(probability) - b) / a
    if settings.calibration_input == "log_odds":
        return float(1.0 / (1.0 + np.exp(-x)))
    return min(max(x, 0.0), 1.0)


def log_odds(score: float) -> float:
    """``log(s / (1 - s))``, with ``s`` kept a little inside (0, 1)."""
    s = min(max(float(score), 1e-12), 1.0 - 1e-12)
    return float(np.log(s / (1.0 - s)))


def merge_evidence(evidence: Iterable[Evidence]) -> tuple[Evidence, ...]:
    """One piece of evidence per stretch of text, with its highest score, best first."""
    best: dict[tuple[int, int, str], Evidence] = {}
    for ev in evidence:
        key = (ev.start, ev.end, ev.text)
        if key not in best or ev.score > best[key].score:
            best[key] = ev
    return tuple(sorted(best.values(), key=lambda ev: (-ev.score, ev.start)))


def aggregate(
    reading: Reading,
    probs: Sequence[np.ndarray],
    labels: LabelSet,
    settings: ReadingSettings | None = None,
) -> tuple[StanceEdge, ...]:
    """Apply the aggregation rule of the module docstring to per-pass pair probabilities.

    Args:
        reading: The article as read by :func:`stance.document.read_document`.
        probs: For each pass of ``reading``, ``[n_pairs, n_labels]`` probabilities.
        labels: The model's labels.
        settings: The rule and threshold (``max`` at 0.5 by default).
    """
    settings = settings or ReadingSettings()
    text = reading.text
    seen = pair_passes(reading, probs)
    excluded = {labels.id(name) for name in settings.exclude_within_side}
    # A pass is evidence when its own probability passes the threshold on the rule's scale.
    evidence_cut = uncalibrated(settings.threshold, settings)
    side = reading.actors.roll_up() if excluded else {}
    edges = []
    for (source, target), (scores, full) in pair_scores(
        reading, probs, labels, settings, seen
    ).items():
        if excluded and side.get(source, source) == side.get(target, target):
            kept = {k: v for k, v in scores.items() if k not in excluded}
            if not kept:
                continue
            if kept != scores and settings.rule != "learned":
                # The probabilities shown are those of the pass that best shows the label kept.
                best = max(kept, key=lambda key: kept[key])
                full = max((p for _, p in seen[(source, target)]), key=lambda p: float(p[best]))
            scores = kept
        k = max(scores, key=lambda key: scores[key])
        if scores[k] < settings.threshold:
            continue
        found = seen[(source, target)]
        shown = [(span, p) for span, p in found if p[k] >= evidence_cut]
        shown = shown or [max(found, key=lambda item: float(item[1][k]))]  # the best, at least
        pieces = []
        for (s, e), p in shown:
            a, b = reading.focus(s, e, source, target)
            pieces.append(Evidence(text[a:b], a, b, float(p[k])))
        evidence = merge_evidence(pieces)
        edges.append(
            StanceEdge(
                source,
                target,
                labels.name(k),
                scores[k],
                {name: float(full[n]) for n, name in enumerate(labels)},
                tuple(evidence),
            )
        )
    return tuple(sorted(edges, key=lambda e: -e.score))


def build_graph(
    reading: Reading,
    probs: Sequence[np.ndarray],
    labels: LabelSet,
    settings: ReadingSettings | None = None,
    roll_up: bool = False,
) -> StanceGraph:
    """The :class:`StanceGraph` of a scored reading: its actors, edges and what was skipped.

    With ``roll_up``, a person's stances count for the actor in its ``affiliation``.
    """
    settings = settings or ReadingSettings()
    found = reading.mentions.spans()
    nodes = tuple(
        ActorNode(name, len(found.get(name, ())), tuple(found.get(name, ())))
        for name in reading.actors.names
    )
    ambiguous = tuple(asdict(a) for a in reading.mentions.ambiguous)
    edges = aggregate(reading, probs, labels, settings)
    graph = StanceGraph(nodes, edges, settings.threshold, ambiguous, tuple(reading.skipped))
    return graph.roll_up(reading.actors.roll_up()) if roll_up else graph
