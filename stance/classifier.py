"""StanceClassifier: load a trained model and predict directed stance.

Example:
    >>> from stance import StanceClassifier
    >>> clf = StanceClassifier.from_pretrained("runs/default/model")
    >>> clf.predict("Turkey condemned Haftar's offensive on Tripoli.", "Turkey", "Haftar").label
    'oppose'
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from stance.document import ActorsLike, Reading, read_document
from stance.encoding import Group, InputEncoder, ModelInput, collate, example_units, plan
from stance.graph import StanceGraph, build_graph
from stance.mentions import MentionSearch, find_mentions
from stance.modeling import StanceConfig, StanceModel, load_model, save_model
from stance.schema import PRECISIONS, LabelSet, ReadingSettings, StanceExample, StancePrediction

logger = logging.getLogger(__name__)

ExampleLike = StanceExample | Mapping[str, Any]


def default_device() -> torch.device:
    """CUDA when present, else Apple's MPS, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def check_precision(
    precision: str | None, device: str | torch.device | None
) -> tuple[str | None, str | torch.device | None]:
    """An asked-for ``precision`` checked against ``device``: int8 puts a device left
    unset on the CPU and refuses any other. ``None`` passes as it is."""
    if precision is None:
        return None, device
    if precision not in PRECISIONS:
        raise ValueError(f"Unknown precision {precision!r}; expected one of {PRECISIONS}.")
    if precision == "int8":
        if device is None:
            return precision, "cpu"
        if torch.device(device).type != "cpu":
            raise ValueError(f"int8 quantisation runs on the CPU only, not on {device}.")
    return precision, device


def default_precision(device: torch.device) -> str:
    """How a model loaded without ``precision`` computes on ``device``.

    ``$STANCE_PRECISION`` when set (one setting for every worker of a cluster whose machines
    differ, so that all compute alike; int8 only on a CPU); else ``bfloat16`` on a CPU with native bfloat16
    arithmetic (AVX512-BF16 or AMX), where it reads an article about twice as fast as
    ``float32`` with the same validation edge F1 (``python -m training.benchmarks.throughput``);
    else ``float32``, GPUs included.
    """
    chosen = os.environ.get("STANCE_PRECISION")
    if chosen:
        if chosen not in PRECISIONS:
            raise ValueError(f"STANCE_PRECISION={chosen!r}: expected one of {PRECISIONS}.")
        if chosen == "int8" and device.type != "cpu":
            logger.warning("STANCE_PRECISION=int8 runs on the CPU only; float32 on %s.", device)
            return "float32"
        return chosen
    if device.type != "cpu":
        return "float32"
    return "bfloat16" if native_bfloat16() else "float32"


def native_bfloat16() -> bool:
    """Whether this CPU computes in bfloat16 natively (AVX512-BF16 or AMX), where bfloat16
    autocast is about twice as fast as float32; elsewhere it is emulated, and slower."""
    cpu = torch.cpu
    native = [
        getattr(cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    ]
    return any(check is not None and check() for check in native)


def with_spans(example: StanceExample) -> StanceExample:
    """Fill in the source and target spans of an example that gives none.

    Mentions are found by name, with case, diacritic, possessive, surname, acronym and
    demonym variants (see :func:`stance.mentions.find_mentions`).

    Raises:
        ValueError: An actor is not mentioned in the text.
    """
    if example.source_spans and example.target_spans:
        return example
    found = find_mentions(example.text, [example.source, example.target]).spans()
    spans = {}
    for role, name, given in (
        ("source", example.source, example.source_spans),
        ("target", example.target, example.target_spans),
    ):
        spans[role] = given or found.get(name, ())
        if not spans[role]:
            raise ValueError(
                f"The {role} {name!r} is not mentioned in the text; check the spelling, use the "
                "name as it appears in the text, or give its character spans."
            )
    return replace(example, source_spans=spans["source"], target_spans=spans["target"])


class StanceClassifier:
    """A trained stance model with its tokenizer, ready to predict.

    Args:
        model: The :class:`~stance.modeling.StanceModel`.
        tokenizer: Its tokenizer, which knows the marker tokens.
        device: Where to run; CUDA when present by default.
        bfloat16: Run the forward passes under bfloat16 autocast (see ``precision`` in
            :meth:`from_pretrained`).
    """

    def __init__(
        self,
        model: StanceModel,
        tokenizer: Any,
        device: str | torch.device | None = None,
        bfloat16: bool = False,
    ) -> None:
        self.device = torch.device(device) if device is not None else default_device()
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.bfloat16 = bfloat16

    @property
    def config(self) -> StanceConfig:
        return self.model.config

    @property
    def labels(self) -> LabelSet:
        return self.model.config.label_set

    @classmethod
    def from_pretrained(
        cls,
        directory: str | os.PathLike[str],
        device: str | torch.device | None = None,
        precision: str | None = None,
        int8: bool = False,
    ) -> StanceClassifier:
        """Load a model saved with :meth:`save_pretrained` (or by ``stance train``).

        Args:
            precision: How inference computes: ``float32``; ``bfloat16`` (autocast, for
                CPUs with native bfloat16 arithmetic, AVX512-BF16 or AMX); or ``int8``
                (the linear layers quantised, CPU only; see :meth:`quantized`). By
                default (:func:`default_precision`) ``bfloat16`` on a CPU that has it,
                else ``float32``.
            int8: The same as ``precision="int8"``.

        ``precision`` given here overrides ``$STANCE_PRECISION``.
        """
        if int8 and precision not in (None, "int8"):
            raise ValueError(f"int8=True and precision={precision!r} disagree; give one.")
        asked, where = check_precision("int8" if int8 else precision, device)
        device = torch.device(where) if where is not None else default_device()
        precision = asked or default_precision(device)
        model, tokenizer = load_model(directory, device)
        classifier = cls(model, tokenizer, device, bfloat16=precision == "bfloat16")
        return classifier.quantized() if precision == "int8" else classifier

    @property
    def int8(self) -> bool:
        """Whether the linear layers run in int8 (see :meth:`quantized`)."""
        return not any(type(m) is torch.nn.Linear for m in self.model.modules())

    def _autocast(self) -> Any:
        """bfloat16 autocast when asked for, else nothing (autocast refuses some devices
        even when disabled)."""
        if not self.bfloat16:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16)

    @property
    def precision(self) -> str:
        """``int8``, ``bfloat16`` or ``float32``: how inference computes."""
        return "int8" if self.int8 else "bfloat16" if self.bfloat16 else "float32"

    def quantized(self, per_channel: bool = True) -> StanceClassifier:
        """A copy whose linear layers run in int8 (PyTorch dynamic quantisation, CPU only).

        Weights are quantised per output channel, activations per batch (so a score moves
        a little with the other texts of its batch). On two CPU cores it reads an article
        more than twice as fast as float32, but over three runs of the default recipe that
        agree in float32 it moved validation-article edge F1 by -0.2, -1.2 and -0.9 points
        (one scale per weight matrix: -1.1 and 0.0 on two of them), as
        ``python -m training.benchmarks.throughput`` reports; so it is an option, and
        ``bfloat16`` the CPU default. A quantised copy cannot be saved: load the model in
        float32 to save it. ``per_channel=False`` takes one scale per weight matrix
        (torch's default; this library's before).
        """
        import copy
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.ao's deprecation notices, not the user's
            model = torch.ao.quantization.quantize_dynamic(
                copy.deepcopy(self.model).cpu(),
                {torch.nn.Linear: torch.ao.quantization.per_channel_dynamic_qconfig}
                if per_channel
                else {torch.nn.Linear},
                dtype=torch.qint8,
            )
        return type(self)(model, self.tokenizer, "cpu")

    def save_pretrained(self, directory: str | os.PathLike[str]) -> Path:
        """Write safetensors weights, configs, tokenizer and a model card."""
        if self.int8:
            raise ValueError(
                "This classifier runs in int8 and keeps no float32 weights to save; load it "
                "with StanceClassifier.from_pretrained(directory, precision='float32') to save it."
            )
        return save_model(self.model, self.tokenizer, directory)

    # --- core ------------------------------------------------------------------------

    @property
    def input_encoder(self) -> InputEncoder:
        """Encodes this model's passes (its tokenizer, mode, maximum length, markers)."""
        return InputEncoder(
            self.tokenizer, self.config.mode, self.config.max_length, self.config.markers
        )

    def encode_group(self, group: Group) -> ModelInput:
        return self.input_encoder(group)

    @torch.inference_mode()
    def score_inputs(
        self,
        inputs: Sequence[ModelInput],
        pairs: Sequence[Sequence[tuple[int, int]]],
        batch_size: int = 32,
        progress: bool = False,
    ) -> list[np.ndarray]:
        """Calibrated probabilities ``[len(pairs[i]), n_labels]`` for each encoded text.

        Texts are sorted by length so each batch pads little; results come back in input order.
        """
        order = sorted(range(len(inputs)), key=lambda i: len(inputs[i].input_ids))
        results: list[np.ndarray] = [np.zeros((0, len(self.labels)))] * len(inputs)
        pad = self.tokenizer.pad_token_id or 0
        temperature = self.config.temperature
        for begin in tqdm(range(0, len(order), batch_size), disable=not progress, desc="predict"):
            chunk = [i for i in order[begin : begin + batch_size] if pairs[i]]
            if not chunk:
                continue
            batch = collate([inputs[i] for i in chunk], [pairs[i] for i in chunk], pad)
            batch = {k: v.to(self.device) for k, v in batch.items()}
            with self._autocast():
                logits = self.model(**batch)
            probs = torch.softmax(logits.float() / temperature, dim=-1).cpu().numpy()
            cursor = 0
            for i in chunk:
                results[i] = probs[cursor : cursor + len(pairs[i])]
                cursor += len(pairs[i])
        return results

    def prediction(self, source: str, target: str, probs: np.ndarray) -> StancePrediction:
        """The :class:`StancePrediction` of one pair from its label probabilities."""
        best = int(probs.argmax())
        return StancePrediction(
            source=source,
            target=target,
            label=self.labels.name(best),
            score=float(probs[best]),
            scores={name: float(p) for name, p in zip(self.labels, probs)},
        )

    def predict_rows(
        self,
        examples: Sequence[ExampleLike],
        batch_size: int = 32,
        progress: bool = False,
    ) -> list[StancePrediction | ValueError]:
        """Like :meth:`predict_batch`, but a bad example yields its ``ValueError`` in place.

        Batch jobs use this so one bad row becomes an error row and the job goes on.
        """
        results: list[StancePrediction | ValueError] = [ValueError("not predicted")] * len(examples)
        good: list[StanceExample] = []
        good_rows: list[int] = []
        for row, item in enumerate(examples):
            try:
                example = with_spans(_as_example(item))
            except ValueError as err:
                results[row] = err
                continue
            good.append(example)
            good_rows.append(row)
        units = example_units(good)
        for unit, scored in zip(units, self.score_units(units, batch_size, progress)):
            for k, ((i, j), r) in enumerate(zip(unit.pairs, unit.rows)):
                results[good_rows[r]] = (
                    scored
                    if isinstance(scored, ValueError)
                    else self.prediction(unit.actors[i], unit.actors[j], scored[k])
                )
        return results

    def score_units(
        self, units: Sequence[Group], batch_size: int = 32, progress: bool = False
    ) -> list[np.ndarray | ValueError]:
        """Calibrated probabilities ``[len(unit.pairs), n_labels]`` of each reading unit.

        Each unit (a text with the actors known for it, see :func:`stance.encoding.plan`)
        is read through the one planner; a unit that cannot be encoded (a text too long,
        say) yields its ``ValueError`` in place.
        """
        mode = self.config.mode
        encoder = self.input_encoder
        planned: list[list[Group]] = []
        inputs: list[ModelInput] = []
        pairs: list[list[tuple[int, int]]] = []
        results: list[np.ndarray | ValueError] = []
        for unit in units:
            groups = plan(unit, mode)
            try:
                encoded = [encoder(g) for g in groups]
            except ValueError as err:
                planned.append([])
                results.append(err)
                continue
            planned.append(groups)
            inputs += encoded
            pairs += [g.pairs for g in groups]
            results.append(np.zeros((0, len(self.labels))))
        scores = iter(self.score_inputs(inputs, pairs, batch_size, progress))
        for k, groups in enumerate(planned):
            if groups:
                results[k] = np.concatenate([next(scores) for _ in groups])
        return results

    # --- public API --------------------------------------------------------------------

    def predict(self, text: str, source: str, target: str) -> StancePrediction:
        """The stance of ``source`` toward ``target`` in ``text``.

        Actors are found in the text by name, with case, diacritic, possessive, surname,
        acronym and demonym variants (see :func:`stance.mentions.find_mentions`).

        Raises:
            ValueError: An actor is not mentioned, or the text is too long for the encoder.
        """
        return self.predict_batch([StanceExample(text, source, target)])[0]

    def predict_batch(
        self, examples: Sequence[ExampleLike], batch_size: int = 32, progress: bool = False
    ) -> list[StancePrediction]:
        """Predict many examples; the result has the same order and length as the input.

        Examples sharing a text are encoded together in one pass (in ``all_pairs`` mode).

        Args:
            examples: :class:`StanceExample` objects or dicts with ``text``, ``source``,
                ``target`` (and optionally spans).
            batch_size: Texts per forward pass.

        Raises:
            ValueError: The first bad example, with its index.
        """
        results = self.predict_rows(examples, batch_size, progress)
        predictions = []
        for row, result in enumerate(results):
            if isinstance(result, ValueError):
                raise ValueError(f"Example {row}: {result}") from result
            predictions.append(result)
        return predictions

    def predict_dataset(self, dataset: Any, batch_size: int = 32, progress: bool = False) -> Any:
        """Return ``dataset`` with ``predicted_label``, ``predicted_score`` and
        ``predicted_scores`` (every label's probability, a struct column) added."""
        from stance.io import from_dataset

        predictions = self.predict_batch(from_dataset(dataset), batch_size, progress)
        dataset = dataset.add_column("predicted_label", [p.label for p in predictions])
        dataset = dataset.add_column("predicted_score", [p.score for p in predictions])
        return dataset.add_column("predicted_scores", [dict(p.scores) for p in predictions])

    def reading_settings(
        self,
        window: int | None = None,
        threshold: float | None = None,
        rule: str | None = None,
        reading: ReadingSettings | None = None,
        exclude_within_side: Sequence[str] | None = None,
    ) -> ReadingSettings:
        """The model's saved reading (:class:`~stance.schema.ReadingSettings`, chosen on
        validation articles), or ``reading``, with any of ``window``, ``threshold``,
        ``rule`` and ``exclude_within_side`` given replacing its own. A window given alone
        reads sliding windows."""
        settings = reading or self.config.reading
        changes: dict[str, Any] = {}
        if exclude_within_side is not None:
            changes["exclude_within_side"] = self.within_side_labels(exclude_within_side)
        if window is not None:
            changes.update(window=window, stride=1, chunk_tokens=None)
        if threshold is not None:
            changes["threshold"] = threshold
        if rule is not None:
            changes["rule"] = rule
            if rule != "learned":
                changes["aggregator"] = None
        return replace(settings, **changes) if changes else settings

    def within_side_labels(self, names: Sequence[str]) -> tuple[str, ...]:
        """``names`` checked as labels to leave out within a side: stance labels of this
        model (``[]`` for none)."""
        if isinstance(names, str):
            raise ValueError(
                f"exclude_within_side takes a list of labels, got {names!r}; write "
                f"[{names!r}], or [] (--exclude-within-side none) to leave nothing out."
            )
        names = tuple(names)
        stance_labels = [n for n in self.labels if n != self.labels.neutral]
        unknown = [n for n in names if n not in stance_labels]
        if unknown:
            raise ValueError(
                f"exclude_within_side names {unknown}, which are not stance labels of this "
                f"model ({', '.join(stance_labels)}); give those, or none."
            )
        return names

    def score_document(
        self,
        text: str,
        actors: ActorsLike | None = None,
        reading: ReadingSettings | None = None,
        batch_size: int = 32,
        mentions: MentionSearch | None = None,
    ) -> tuple[Reading, list[np.ndarray]]:
        """Read an article (:func:`stance.document.read_document`) and score its passes.

        Returns the reading and, for each of its passes, the pair probabilities; turn them
        into a graph with :func:`stance.graph.build_graph` (``analyze`` does both).
        ``reading`` defaults to the model's own; ``mentions`` gives mentions already found
        (gold spans), which are then not searched.
        """
        settings = reading or self.config.reading
        document = read_document(text, actors, self.input_encoder, settings, mentions)
        probs = self.score_inputs(
            [p.input for p in document.passes],
            [p.group.pairs for p in document.passes],
            batch_size=batch_size,
        )
        return document, probs

    def analyze(
        self,
        text: str,
        actors: ActorsLike | None = None,
        threshold: float | None = None,
        window: int | None = None,
        roll_up: bool = False,
        batch_size: int = 32,
        rule: str | None = None,
        reading: ReadingSettings | None = None,
        exclude_within_side: Sequence[str] | None = None,
    ) -> StanceGraph:
        """The directed stance graph of a whole article.

        By default the article is read as the model's ``stance_config.json`` says
        (``config.reading``: windows or chunks, the aggregation rule and the threshold,
        chosen on validation articles when the model was trained).

        Args:
            text: The article.
            actors: Names, ``{name: [aliases]}``, or an :class:`~stance.actors.Actors`
                dictionary; ``None`` discovers them with spaCy NER (``stance[ner]``), with
                :func:`~stance.discovery.discover_actors`' learned filter; pass
                ``discover_actors(text, min_score=0)`` to keep every actor its rules find.
            threshold: An edge needs a score of at least this (the model's by default).
            window: Read sliding windows of this many sentences instead.
            roll_up: Count a person's stances for the actor in its ``affiliation``.
            rule: How a pair's scores over its passes are aggregated (see
                :mod:`stance.graph`): ``max``, ``vote``, ``noisy_or``, ``top2``, or
                ``learned`` with the model's fitted aggregator.
            reading: Complete :class:`~stance.schema.ReadingSettings` to use instead.
            exclude_within_side: Labels never read between two actors on one side (an
                actor and its affiliation; the model's own by default, chosen on
                validation); ``[]`` reads every label, for when the affiliations that
                discovery found are not to be trusted.

        Returns:
            A :class:`~stance.graph.StanceGraph`; empty when fewer than two actors appear.
        """
        settings = self.reading_settings(window, threshold, rule, reading, exclude_within_side)
        document, probs = self.score_document(text, actors, settings, batch_size)
        return build_graph(document, probs, self.labels, settings, roll_up)


def _as_example(item: ExampleLike) -> StanceExample:
    if isinstance(item, StanceExample):
        return item
    if isinstance(item, Mapping):
        from stance.io import record_to_example

        return record_to_example(item)
    raise ValueError(f"Expected a StanceExample or a dict, got {type(item).__name__}.")
