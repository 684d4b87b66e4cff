"""The data schema: directed examples, multi-actor passages, label sets and predictions.

Everything that crosses a module boundary in `stance` is one of these frozen dataclasses.
They validate themselves in ``__post_init__`` and raise ``ValueError`` with the fix.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import permutations
from typing import Any

Span = tuple[int, int]
"""A half-open character span ``(start, end)`` into a text."""

DEFAULT_LABELS: tuple[str, ...] = ("neutral", "support", "oppose")
PRECISIONS: tuple[str, ...] = ("float32", "bfloat16", "int8")
"""How inference may compute (see :meth:`stance.classifier.StanceClassifier.from_pretrained`)."""


@dataclass(frozen=True)
class LabelSet:
    """The labels a model predicts, in id order, with the one that means "no stance".

    Example:
        >>> labels = LabelSet(("neutral", "support", "oppose"))
        >>> labels.id("oppose")
        2
    """

    labels: tuple[str, ...] = DEFAULT_LABELS
    neutral: str = "neutral"

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", tuple(self.labels))
        if len(self.labels) < 2:
            raise ValueError(f"A label set needs at least two labels, got {self.labels!r}.")
        if len(set(self.labels)) != len(self.labels):
            raise ValueError(f"Labels must be unique, got {self.labels!r}.")
        if self.neutral not in self.labels:
            raise ValueError(
                f"The neutral label {self.neutral!r} is not among the labels {self.labels!r}; "
                "pass neutral=<the label that means no stance>."
            )

    def __len__(self) -> int:
        return len(self.labels)

    def __iter__(self) -> Iterator[str]:
        return iter(self.labels)

    def __contains__(self, label: object) -> bool:
        return label in self.labels

    @property
    def neutral_id(self) -> int:
        return self.labels.index(self.neutral)

    def id(self, label: str) -> int:
        """Return the id of ``label``; raise ``ValueError`` naming the known labels."""
        try:
            return self.labels.index(label)
        except ValueError:
            raise ValueError(
                f"Unknown label {label!r}; expected one of {list(self.labels)}. "
                "Map your labels onto these, or train a model with your own label set."
            ) from None

    def name(self, label_id: int) -> str:
        return self.labels[label_id]

    def to_dict(self) -> dict[str, Any]:
        return {"labels": list(self.labels), "neutral": self.neutral}


def _check_spans(text: str, spans: Sequence[Span], what: str) -> tuple[Span, ...]:
    checked = []
    for span in spans:
        if len(span) != 2:
            raise ValueError(f"{what} span {span!r} is not a (start, end) pair.")
        start, end = int(span[0]), int(span[1])
        if not 0 <= start < end <= len(text):
            raise ValueError(
                f"{what} span ({start}, {end}) does not fit the text of {len(text)} characters; "
                "spans are 0-based, half-open character offsets (text[start:end])."
            )
        if not text[start:end].strip():
            raise ValueError(f"{what} span ({start}, {end}) covers only whitespace.")
        checked.append((start, end))
    return tuple(sorted(checked))


@dataclass(frozen=True)
class StanceExample:
    """One directed example: the stance of ``source`` toward ``target`` in ``text``.

    Args:
        text: The sentence or passage.
        source: The actor who holds the stance.
        target: The actor the stance is about.
        label: The gold label, or ``None`` for prediction.
        id: An optional identifier kept through loading and prediction (e.g. the DSE row).
        source_spans: Character spans of the source's mentions; found from the name if empty.
        target_spans: Character spans of the target's mentions; found from the name if empty.
    """

    text: str
    source: str
    target: str
    label: str | None = None
    id: str | None = None
    source_spans: tuple[Span, ...] = ()
    target_spans: tuple[Span, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or not self.text.strip():
            raise ValueError(
                "The text is empty; every example needs the text that holds the stance."
            )
        for role in ("source", "target"):
            value = getattr(self, role)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"The {role} is empty; name the actor.")
        if self.source == self.target:
            raise ValueError(
                f"The source and target are the same actor ({self.source!r}); "
                "stance is between two different actors."
            )
        object.__setattr__(
            self, "source_spans", _check_spans(self.text, self.source_spans, "Source")
        )
        object.__setattr__(
            self, "target_spans", _check_spans(self.text, self.target_spans, "Target")
        )


@dataclass(frozen=True)
class ActorMentions:
    """An actor of a passage and the character spans where it is mentioned."""

    name: str
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class Passage:
    """A text with several actors and its labelled directed stances.

    Every ordered pair of actors that ``stances`` does not list is neutral.

    Args:
        text: The passage.
        actors: The actors with their mention spans.
        stances: ``{(source, target): label}`` for the non-neutral pairs.
        id: An optional identifier.
        meta: Free-form metadata (topic, phenomena) kept with the passage.
    """

    text: str
    actors: tuple[ActorMentions, ...]
    stances: Mapping[tuple[str, str], str] = field(default_factory=dict)
    id: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or not self.text.strip():
            raise ValueError("The passage text is empty.")
        actors = tuple(
            ActorMentions(a.name, _check_spans(self.text, a.spans, f"Actor {a.name!r}"))
            for a in self.actors
        )
        names = [a.name for a in actors]
        if len(set(names)) != len(names):
            raise ValueError(f"Actor names must be unique within a passage, got {names}.")
        for actor in actors:
            if not actor.spans:
                raise ValueError(f"Actor {actor.name!r} has no mention in the text; add its spans.")
        known = set(names)
        for (source, target), label in self.stances.items():
            if source not in known or target not in known:
                raise ValueError(
                    f"The stance {source!r} -> {target!r} names an actor that is not listed "
                    f"among {sorted(known)}."
                )
            if source == target:
                raise ValueError(
                    f"The stance {source!r} -> {target!r} has the same source and target."
                )
            if not isinstance(label, str) or not label:
                raise ValueError(f"The stance {source!r} -> {target!r} has no label.")
        object.__setattr__(self, "actors", actors)
        object.__setattr__(self, "stances", dict(self.stances))

    @property
    def actor_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.actors)

    def label(self, source: str, target: str, neutral: str = "neutral") -> str:
        return self.stances.get((source, target), neutral)

    def examples(self, neutral: str = "neutral") -> list[StanceExample]:
        """All ``N * (N - 1)`` directed examples, unlisted pairs labelled ``neutral``."""
        spans = {a.name: a.spans for a in self.actors}
        return [
            StanceExample(
                self.text,
                s,
                t,
                self.label(s, t, neutral),
                f"{self.id}:{s}->{t}" if self.id is not None else None,
                spans[s],
                spans[t],
            )
            for s, t in permutations(self.actor_names, 2)
        ]


@dataclass(frozen=True)
class StancePrediction:
    """The predicted stance of ``source`` toward ``target``.

    Attributes:
        label: The most probable label.
        score: Its calibrated probability.
        scores: The probability of every label.
    """

    source: str
    target: str
    label: str
    score: float
    scores: Mapping[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "label": self.label,
            "score": self.score,
            "scores": dict(self.scores),
        }


CALIBRATION_INPUTS = ("score", "log_odds")


@dataclass(frozen=True)
class ReadingSettings:
    """How ``analyze`` reads an article into passes and aggregates their scores.

    A trained model saves the settings chosen for it on validation articles in its
    ``stance_config.json``; ``analyze`` uses them unless told otherwise.

    Attributes:
        window: Sentences per window.
        stride: Sentences from one window's start to the next (1: windows slide by one
            sentence; ``window``: they do not overlap).
        chunk_tokens: Read the article in chunks of whole sentences of up to this many
            tokens instead of sentence windows (one pass per chunk, no overlap).
        rule: How a pair's scores over its passes become one score: ``max``, ``vote``,
            ``noisy_or``, ``top2``, or ``learned`` (the aggregator below).
        threshold: An edge needs a score of at least this.
        aggregator: For ``learned``, the fitted model over per-pair features (see
            :mod:`stance.graph`).
        calibration: ``(a, b)`` of a Platt scaling ``1 / (1 + exp(-(a * x + b)))`` that
            turns the rule's score into the probability that the edge is right, fitted on
            validation articles; ``threshold`` is then on that scale.
        calibration_input: What ``x`` is: ``"log_odds"``, ``log(s / (1 - s))`` of the
            rule's score ``s``, so that scores near 1 stay apart; or ``"score"``, ``s``
            itself, as in models saved before ``log_odds`` (whose calibrated scores top
            out at ``1 / (1 + exp(-(a + b)))``).
        exclude_within_side: Labels never read between two actors on one side: an actor
            and the one it is affiliated with, or two affiliated with the same one
            (:meth:`stance.actors.Actors.roll_up`). ``("oppose",)`` reads a spokesman's
            attack on a rival as no stance toward his own government; the pair may still
            take another label.
    """

    window: int = 3
    stride: int = 1
    chunk_tokens: int | None = None
    rule: str = "max"
    threshold: float = 0.5
    aggregator: Mapping[str, Any] | None = None
    calibration: tuple[float, float] | None = None
    calibration_input: str = "score"
    exclude_within_side: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.calibration is not None:
            a, b = (float(x) for x in self.calibration)
            object.__setattr__(self, "calibration", (a, b))
        if self.calibration_input is None:  # null in a hand-edited stance_config.json
            object.__setattr__(self, "calibration_input", "score")
        if self.calibration_input not in CALIBRATION_INPUTS:
            raise ValueError(
                f"calibration_input must be one of {', '.join(CALIBRATION_INPUTS)}, got "
                f"{self.calibration_input!r}; fix reading.calibration_input in stance_config.json."
            )
        if self.exclude_within_side is None:  # null in a hand-edited stance_config.json
            object.__setattr__(self, "exclude_within_side", ())
        if isinstance(self.exclude_within_side, str):
            raise ValueError(
                f"exclude_within_side must be a list of labels, got {self.exclude_within_side!r}."
            )
        object.__setattr__(self, "exclude_within_side", tuple(self.exclude_within_side))
        if self.window < 1 or self.stride < 1:
            raise ValueError(
                f"window and stride must be at least 1 sentence, got {self.window} and "
                f"{self.stride}."
            )
        if self.chunk_tokens is not None and self.chunk_tokens < 16:
            raise ValueError(f"chunk_tokens must be at least 16, got {self.chunk_tokens}.")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold must lie in [0, 1], got {self.threshold}.")
        if self.rule == "learned" and not self.aggregator:
            raise ValueError("rule 'learned' needs a fitted aggregator.")

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": self.window,
            "stride": self.stride,
            "chunk_tokens": self.chunk_tokens,
            "rule": self.rule,
            "threshold": self.threshold,
            "aggregator": dict(self.aggregator) if self.aggregator else None,
            "calibration": list(self.calibration) if self.calibration else None,
            "calibration_input": self.calibration_input,
            "exclude_within_side": list(self.exclude_within_side),
        }
