"""Training configs: YAML files whose sections mirror these dataclasses.

Unknown keys fail loudly, ``--set section.key=value`` overrides any value, and the
resolved config is saved in the run directory.

Example:
    >>> config = load_config("configs/default.yaml", ["train.learning_rate=3.0e-5"])
    >>> config.train.learning_rate
    3e-05
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from stance.modeling import ModelSettings
from stance.schema import DEFAULT_LABELS

ModelSection = ModelSettings
"""The ``model:`` section is :class:`stance.modeling.ModelSettings`, the same dataclass a
saved model's ``stance_config.json`` holds, so each setting is declared once."""


@dataclass
class DataSection:
    """Where the data is and how to read it.

    ``format`` is ``passages`` (multi-actor JSONL, as the bundled corpus), ``examples``
    (directed examples in JSONL/CSV/Parquet) or ``dse`` (Park et al. 2021 TSV).
    Paths are relative to the directory you run from.

    ``train_articles`` adds whole articles (the built ``data/articles`` format) to the
    training data, read as windows of ``article_window`` sentences taken every
    ``article_stride`` sentences (by default windows that do not overlap); see
    :func:`training.articles.article_units`. ``article_neutral_windows`` below 1 reads
    only that share of the article windows with no stance in them, drawn afresh each epoch
    (cheaper epochs; every window with a stance is read every epoch). ``article_shift``
    moves the windows by one sentence each epoch (epoch ``e`` starts them at sentence
    ``e mod article_window``, the sentences before it one shorter window), so that over
    ``article_window`` epochs each sentence is read in every context a sliding window gives
    it, at the cost of one layout per epoch. ``article_outside_evidence`` says what a
    window teaches about a pair whose stance the article shows only outside it:
    ``neutral``, or ``ignore`` (no loss for that pair there). ``validation_articles`` makes training end by
    choosing how ``analyze`` reads an article (windows of each of ``reading_windows``
    sentences, or token chunks; the aggregation rule; the threshold) on those articles,
    saved in the model (:func:`training.reading.choose_reading`).
    """

    format: Literal["passages", "examples", "dse"] = "passages"
    train: str = "data/corpus/train.jsonl"
    validation: str = "data/corpus/validation.jsonl"
    test: dict[str, str] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    labels: list[str] = field(default_factory=lambda: list(DEFAULT_LABELS))
    neutral: str = "neutral"
    max_train_samples: int | None = None
    max_eval_samples: int | None = None
    train_articles: str | None = None
    article_window: int = 3
    article_stride: int | None = None
    article_neutral_windows: float = 1.0
    article_shift: bool = False
    article_outside_evidence: Literal["neutral", "ignore"] = "neutral"
    validation_articles: str | None = None
    reading_windows: list[int] = field(default_factory=lambda: [1, 2, 3, 4, 5])


@dataclass
class TrainSection:
    """The optimisation.

    ``consistency_weight`` > 0 adds the transitive-consistency loss of
    :mod:`training.consistency`, over ``consistency_triangles`` actor triangles per step.
    ``distill_from`` names a trained model (typically a ``pair``-mode one) whose
    probabilities the model also learns, with weight ``distill_weight``; see
    :mod:`training.distill`.

    ``mixed_precision`` is Accelerate's (``no``, ``fp16``, ``bf16``, ``fp8``) or ``auto``:
    ``bf16`` where the hardware computes in it natively (a CUDA GPU with bfloat16, or a CPU
    with AVX512-BF16 or AMX, where an epoch takes 0.56x the float32 time), else ``no``.
    """

    output_dir: str = "runs/default"
    epochs: int = 3
    batch_size: int = 16
    learning_rate: float = 5.0e-5
    head_learning_rate: float = 1.0e-3
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_grad_norm: float = 1.0
    gradient_accumulation_steps: int = 1
    class_weights: Literal["sqrt", "inverse", "none"] = "sqrt"
    early_stopping_patience: int = 2
    consistency_weight: float = 0.0
    consistency_triangles: int = 4
    distill_from: str | None = None
    distill_weight: float = 0.5
    seed: int = 42
    max_steps: int | None = None
    length_grouping: bool = True
    calibrate: bool = True
    device: str | None = None
    mixed_precision: Literal["no", "fp16", "bf16", "fp8", "auto"] = "no"
    torch_threads: int | None = None


@dataclass
class Config:
    """A whole training config: ``model``, ``data`` and ``train`` sections."""

    model: ModelSection = field(default_factory=ModelSection)
    data: DataSection = field(default_factory=DataSection)
    train: TrainSection = field(default_factory=TrainSection)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def save(self, path: str | os.PathLike[str]) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True))


def _check_type(value: Any, hint: Any, where: str) -> Any:
    """Coerce ints to floats where a float is wanted; reject anything else that does not fit."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        for option in options:
            if option is type(None):
                continue
            try:
                return _check_type(value, option, where)
            except ValueError:
                continue
        raise ValueError(f"{where}: expected {hint}, found {value!r}.")
    if origin is Literal:
        allowed = typing.get_args(hint)
        if isinstance(value, bool) and ("no", "yes")[value] in allowed:
            # YAML 1.1 reads an unquoted `no` (Accelerate's "no mixed precision") as false.
            return ("no", "yes")[value]
        if value not in allowed:
            raise ValueError(f"{where}: expected one of {list(allowed)}, found {value!r}.")
        return value
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint in (int, float, str, bool):
        if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
            raise ValueError(f"{where}: expected {hint.__name__}, found {value!r}.")
        return value
    # Containers keep their values as they are; each is checked against the hint.
    if origin is dict:
        if not isinstance(value, dict):
            raise ValueError(f"{where}: expected a mapping, found {value!r}.")
        key_hint, value_hint = typing.get_args(hint) or (Any, Any)
        return {
            _check_type(k, key_hint, f"{where} key"): _check_type(v, value_hint, f"{where}.{k}")
            for k, v in value.items()
        }
    if origin is list:
        if not isinstance(value, list):
            raise ValueError(f"{where}: expected a list, found {value!r}.")
        (item_hint,) = typing.get_args(hint) or (Any,)
        return [_check_type(v, item_hint, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def _build(cls: type, data: dict[str, Any], where: str) -> Any:
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a mapping of keys, found {data!r}.")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(
            f"{where}: unknown key(s) {unknown}; known keys are {sorted(known)}. "
            "Check the spelling, or see training/config.py."
        )
    values = {}
    for name, value in data.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            values[name] = _build(hint, value or {}, f"{where}.{name}")  # type: ignore[arg-type]
        else:
            values[name] = _check_type(value, hint, f"{where}.{name}")
    return cls(**values)


def apply_override(data: dict[str, Any], override: str) -> None:
    """Apply ``section.key=value`` (value parsed as YAML) to a raw config dict."""
    if "=" not in override:
        raise ValueError(f"Override {override!r} is not of the form section.key=value.")
    path, raw = override.split("=", 1)
    keys = path.strip().split(".")
    node = data
    for key in keys[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise ValueError(f"Override {override!r}: {key!r} is not a section.")
    node[keys[-1]] = yaml.safe_load(raw)


def load_config(path: str | os.PathLike[str] | None, overrides: list[str] | None = None) -> Config:
    """Read a YAML config, apply ``--set`` overrides, and check every key and type.

    Raises:
        ValueError: An unknown key or a value of the wrong type, naming the file and key.
    """
    data: dict[str, Any] = {}
    where = "config"
    if path is not None:
        where = os.fspath(path)
        loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        data = loaded or {}
    for override in overrides or []:
        apply_override(data, override)
    return _build(Config, data, where)
