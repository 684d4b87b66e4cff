"""The stance model: an encoder, entity-start pooling and a directed pair head.

An actor's vector pools the encoder states at its mentions' start markers
(entity-start pooling, Baldini Soares et al. 2019) with a logsumexp across mentions
(as ATLOP does). Each ordered pair (source, target) is classified from
``[h_s; h_t; h_s * h_t; h_cls]``, which is not symmetric in s and t, so direction is
learned rather than guessed.

With ``context_pooling`` on, each pair also gets its own context vector (ATLOP's
localized context pooling, Zhou et al. 2021): the last layer's attention from the
source's start markers times that from the target's, summed over heads and normalised,
weights the token states. That gives every pair of a one-pass text a view of the words
that link *these two* actors, which the shared ``h_cls`` cannot.

A saved model is a directory with ``model.safetensors`` (encoder and head),
``config.json`` (the encoder's architecture), ``stance_config.json`` (labels, markers,
mode, max length, temperature), the tokenizer with its marker tokens, and a model card.
Loading never unpickles and never needs the network.
"""

from __future__ import annotations

import json
import logging
import os
import typing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from stance.encoders import load_encoder, quiet_transformers
from stance.encoding import MODES, Markers
from stance.schema import DEFAULT_LABELS, LabelSet, ReadingSettings

logger = logging.getLogger(__name__)

CONFIG_NAME = "stance_config.json"
WEIGHTS_NAME = "model.safetensors"


Mode = Literal["all_pairs", "pair"]
OtherActors = Literal["marked", "mixed", "unmarked"]


@dataclass
class ModelSettings:
    """The model's settings: declared once, read by the training config's ``model:``
    section and saved in every model's ``stance_config.json``.

    Attributes:
        encoder: ``minilm``, ``mpnet``, a local directory or a Hugging Face hub id.
        mode: ``all_pairs`` (one pass per text marks every known actor) or ``pair`` (one
            pass per pair, typed source and target markers).
        max_length: The encoder's maximum number of tokens.
        head_hidden: The pair head's hidden size (the encoder's by default).
        dropout: Dropout in the pair head.
        context_pooling: Add each pair's own attention-weighted context to the head's
            input (ATLOP's localized context pooling).
        other_actors: How training reads a passage with more than two actors in
            ``all_pairs`` mode: ``marked`` (every actor marked, all pairs in one pass, as
            ``analyze`` reads a window), ``unmarked`` (each epoch, one unordered pair of
            the passage with only its two actors marked, as ``predict`` reads a text),
            or ``mixed`` (each epoch, either at random). Inference always marks every
            actor known for the text; this says how the model learnt to read both.
    """

    encoder: str = "minilm"
    mode: Mode = "all_pairs"
    max_length: int = 256
    head_hidden: int | None = None
    dropout: float = 0.1
    context_pooling: bool = True
    other_actors: OtherActors = "marked"


# What a stance_config.json written before a setting existed meant by its absence.
_ABSENT_MEANT = {"context_pooling": False, "other_actors": "marked"}


@dataclass
class StanceConfig(ModelSettings):
    """What a saved model needs besides its weights. Written to ``stance_config.json``."""

    labels: list[str] = field(default_factory=lambda: list(DEFAULT_LABELS))
    neutral: str = "neutral"
    markers: Markers = field(default_factory=Markers)
    temperature: float = 1.0
    reading: ReadingSettings = field(default_factory=ReadingSettings)
    metrics: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.markers, dict):
            self.markers = Markers(**self.markers)
        if isinstance(self.reading, dict):
            self.reading = ReadingSettings(**self.reading)
        if self.mode not in MODES:
            raise ValueError(f"Unknown mode {self.mode!r}; expected one of {MODES}.")
        if self.other_actors not in typing.get_args(OtherActors):
            raise ValueError(
                f"Unknown other_actors {self.other_actors!r}; expected one of "
                f"{list(typing.get_args(OtherActors))}."
            )
        label_set = LabelSet(tuple(self.labels), self.neutral)  # validates
        unknown = [
            n for n in self.reading.exclude_within_side if n not in label_set or n == self.neutral
        ]
        if unknown:
            raise ValueError(
                f"reading.exclude_within_side names {unknown}, which are not stance labels of "
                f"this model ({', '.join(self.labels)}); fix stance_config.json."
            )
        if not self.temperature > 0 or self.temperature == float("inf"):
            raise ValueError(f"The temperature must be a positive number, got {self.temperature}.")

    @classmethod
    def from_settings(cls, settings: ModelSettings, **extra: Any) -> StanceConfig:
        """A config with the given model settings and the other fields from ``extra``."""
        return cls(**asdict(settings), **extra)

    @property
    def label_set(self) -> LabelSet:
        return LabelSet(tuple(self.labels), self.neutral)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "reading": self.reading.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StanceConfig:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(
                f"Unknown keys {sorted(unknown)} in {CONFIG_NAME}; known: {sorted(known)}."
            )
        return cls(**{**_ABSENT_MEANT, **data})


class StanceModel(nn.Module):
    """Encoder plus pair head. ``forward`` returns logits for every requested pair."""

    encoder: Any  # a transformers PreTrainedModel

    def __init__(self, encoder: Any, config: StanceConfig) -> None:
        super().__init__()
        self.encoder = encoder
        self.config = config
        hidden = int(encoder.config.hidden_size)
        inner = config.head_hidden or hidden
        self._pool_attention = _eager_last_attention(encoder) if config.context_pooling else None
        if config.context_pooling and self._pool_attention is None:
            # Fused attention kernels (sdpa, flash) do not return attention weights.
            encoder.set_attn_implementation("eager")
        features = (5 if config.context_pooling else 4) * hidden
        self.head = nn.Sequential(
            nn.Dropout(config.dropout),
            nn.Linear(features, inner),
            nn.GELU(),
            nn.Dropout(config.dropout),
            nn.Linear(inner, len(config.labels)),
        )

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        mention_index: torch.Tensor,
        mention_mask: torch.Tensor,
        pairs: torch.Tensor,
    ) -> torch.Tensor:
        """Classify pairs.

        Args:
            input_ids, attention_mask: ``[B, T]``.
            mention_index: ``[A, M]`` flat positions (into ``B * T``) of each actor's
                start markers; ``mention_mask`` ``[A, M]`` marks the real ones.
            pairs: ``[P, 2]`` rows of (source actor, target actor).

        Returns:
            ``[P, n_labels]`` logits (before temperature).
        """
        attention = None
        if self._pool_attention is not None:
            # Only the last layer's attention is read: that layer alone runs eagerly and
            # hands its weights to a hook; the others keep the fused kernel.
            captured: list[torch.Tensor] = []
            module = self.encoder.get_submodule(self._pool_attention)
            hooks = [
                module.register_forward_pre_hook(_additive_mask, with_kwargs=True),
                module.register_forward_hook(lambda _m, _i, out: captured.append(out[1])),
            ]
            try:
                output = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
            finally:
                for hook in hooks:
                    hook.remove()
            attention = captured[-1] if captured else None
        else:
            output = self.encoder(
                input_ids=input_ids,
                attention_mask=attention_mask,
                output_attentions=self.config.context_pooling,
            )
            if self.config.context_pooling:
                attention = output.attentions[-1]
        states = output.last_hidden_state
        batch, width, hidden = states.shape
        flat = states.reshape(batch * width, hidden)
        mentions = flat[mention_index]  # [A, M, H]
        mentions = mentions.masked_fill(~mention_mask.unsqueeze(-1), float("-inf"))
        actors = torch.logsumexp(mentions, dim=1)  # [A, H]
        cls = states[:, 0]  # [B, H]
        actor_text = mention_index[:, 0] // width  # which text each actor is in
        src, tgt = actors[pairs[:, 0]], actors[pairs[:, 1]]
        pair_text = actor_text[pairs[:, 0]]
        features = [src, tgt, src * tgt, cls[pair_text]]
        if self.config.context_pooling:
            if attention is None:
                raise RuntimeError("The encoder's last attention layer returned no weights.")
            features.append(
                localized_context(states, attention, mention_index, mention_mask, pairs, pair_text)
            )
        return self.head(torch.cat(features, dim=-1))


def _eager_last_attention(encoder: Any) -> str | None:
    """Make only the encoder's last self-attention layer eager, and return its name.

    The layers of transformers' BERT family pick their attention kernel from their own
    ``config`` at every call, so the last one gets a copy of the config that says
    ``eager`` and returns its weights, while the others keep the fused kernel (about a
    fifth faster on a CPU). ``None`` where the architecture does not work that way; the
    caller then runs every layer eagerly.
    """
    import copy

    layers = [
        (name, module)
        for name, module in encoder.named_modules()
        if type(module).__name__.endswith("SelfAttention") and hasattr(module, "config")
    ]
    if not layers or getattr(encoder.config, "_attn_implementation", "eager") == "eager":
        return None
    name, last = layers[-1]
    if "_attn_implementation" not in type(last).forward.__code__.co_names and not any(
        "_attn_implementation" in line for line in _source_lines(type(last).forward)
    ):
        return None
    own = copy.copy(encoder.config)
    own._attn_implementation = "eager"
    last.config = own
    return str(name)


def _additive_mask(
    _module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The fused kernels' mask is boolean (True: attend); the eager layer adds its mask to
    the scores, so it needs 0 where it may attend and a large negative number elsewhere."""
    mask = kwargs.get("attention_mask")
    if isinstance(mask, torch.Tensor) and mask.dtype == torch.bool:
        hidden = args[0] if args else kwargs["hidden_states"]
        zero = torch.zeros((), dtype=hidden.dtype, device=mask.device)
        kwargs["attention_mask"] = torch.where(mask, zero, torch.finfo(hidden.dtype).min)
    return args, kwargs


def _source_lines(function: Any) -> list[str]:
    import inspect

    try:
        return inspect.getsource(function).splitlines()
    except (OSError, TypeError):
        return []


def localized_context(
    states: torch.Tensor,
    attention: torch.Tensor,
    mention_index: torch.Tensor,
    mention_mask: torch.Tensor,
    pairs: torch.Tensor,
    pair_text: torch.Tensor,
) -> torch.Tensor:
    """ATLOP's localized context pooling: one context vector per pair.

    Args:
        states: ``[B, T, H]`` last-layer token states.
        attention: ``[B, heads, T, T]`` last-layer attention (rows attend to columns).
        mention_index, mention_mask: ``[A, M]`` as in :meth:`StanceModel.forward`.
        pairs: ``[P, 2]`` (source, target) actor rows; ``pair_text``: ``[P]`` their text.

    Returns:
        ``[P, H]``: the token states weighted by how much both actors attend to them.
    """
    batch, heads, width, _ = attention.shape
    rows = attention.transpose(1, 2).reshape(batch * width, heads, width)
    weights = mention_mask.unsqueeze(-1).unsqueeze(-1).to(rows.dtype)  # [A, M, 1, 1]
    per_actor = (rows[mention_index] * weights).sum(1) / weights.sum(1)  # [A, heads, T]
    joint = (per_actor[pairs[:, 0]] * per_actor[pairs[:, 1]]).sum(1)  # [P, T]
    joint = joint / (joint.sum(-1, keepdim=True) + 1e-5)
    # Spread each pair's weights over the whole batch's tokens (zero outside its own
    # text) and take one matrix product: 3-4x faster than gathering [P, T, H] states.
    spread = joint.new_zeros(len(pairs), batch, width)
    spread[torch.arange(len(pairs), device=joint.device), pair_text] = joint
    return spread.reshape(len(pairs), batch * width) @ states.reshape(batch * width, -1)


def build_model(config: StanceConfig) -> tuple[StanceModel, Any]:
    """A fresh model from a pretrained encoder: add the marker tokens, resize the embeddings.

    This is the one place where the vocabulary grows.
    """
    encoder, tokenizer = load_encoder(config.encoder)
    added = tokenizer.add_tokens(config.markers.tokens(), special_tokens=True)
    if added:
        embeddings = encoder.resize_token_embeddings(len(tokenizer), mean_resizing=False)
        with torch.no_grad():
            # Start the markers at the mean of the vocabulary plus a little noise, so they
            # begin as ordinary tokens that are still told apart.
            old = embeddings.weight[:-added]
            noise = torch.randn(added, old.shape[1], generator=torch.Generator().manual_seed(0))
            embeddings.weight[-added:] = old.mean(0) + 0.02 * noise
    if config.max_length > int(
        getattr(encoder.config, "max_position_embeddings", config.max_length)
    ):
        raise ValueError(
            f"max_length {config.max_length} exceeds the encoder's "
            f"{encoder.config.max_position_embeddings} positions."
        )
    return StanceModel(encoder, config), tokenizer


def save_model(model: StanceModel, tokenizer: Any, directory: str | os.PathLike[str]) -> Path:
    """Write weights (safetensors), configs, tokenizer and model card to ``directory``."""
    from safetensors.torch import save_model as save_safetensors

    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    save_safetensors(model, str(path / WEIGHTS_NAME))
    model.encoder.config.save_pretrained(path)
    tokenizer.save_pretrained(path)
    (path / CONFIG_NAME).write_text(
        json.dumps(model.config.to_dict(), indent=2, ensure_ascii=False)
    )
    (path / "README.md").write_text(model_card(model.config), encoding="utf-8")
    return path


def load_model(
    directory: str | os.PathLike[str], device: str | torch.device | None = None
) -> tuple[StanceModel, Any]:
    """Load a model saved by :func:`save_model`. Needs nothing but the directory."""
    from safetensors.torch import load_model as load_safetensors
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    path = Path(directory)
    if not (path / CONFIG_NAME).is_file():
        raise FileNotFoundError(
            f"{path} is not a saved stance model: it has no {CONFIG_NAME}. "
            "Train one with `stance train --config ...`, or pass the run's model directory."
        )
    config = StanceConfig.from_dict(json.loads((path / CONFIG_NAME).read_text()))
    with quiet_transformers():
        encoder_config = AutoConfig.from_pretrained(path)
        encoder = AutoModel.from_config(encoder_config)
        tokenizer = AutoTokenizer.from_pretrained(path)
    if getattr(encoder, "pooler", None) is not None:
        encoder.pooler = None
    model = StanceModel(encoder, config)
    target = torch.device(device or "cpu")
    # safetensors names devices its own way: "cpu", "cuda:0" (not "cpu:0").
    load_safetensors(
        model,
        str(path / WEIGHTS_NAME),
        strict=True,
        device="cpu" if target.type == "cpu" else str(target),
    )
    model.to(target)
    model.eval()
    return model, tokenizer


def model_card(config: StanceConfig) -> str:
    """A short README for the model directory."""
    metrics = config.metrics
    lines = [
        "---",
        "library_name: stance",
        "tags: [stance, directed-sentiment, text-classification]",
        "---",
        "",
        "# stance model",
        "",
        "Directed stance (source → target) between the actors of a text, made with "
        "the `stance` library (`stance train`; see the library's README for its use).",
        "",
        f"- Encoder: `{config.encoder}`",
        f"- Mode: `{config.mode}`; max length {config.max_length} tokens",
        f"- Labels: {', '.join(f'`{label}`' for label in config.labels)} (neutral: `{config.neutral}`)",
        f"- Temperature (fitted on validation): {config.temperature:.3f}",
    ]
    if config.context_pooling:
        lines.append("- Context pooling: on (each pair's own attention-weighted context)")
    if config.mode == "all_pairs":
        lines.append(f"- Other actors of a training passage: `{config.other_actors}`")
    train = config.training.get("train") or {}
    if train.get("distill_from"):
        lines.append(
            f"- Distilled from: `{train['distill_from']}` "
            f"(weight {train.get('distill_weight')}, see `training/distill.py`)"
        )
    lines += [
        "",
        "## Training data",
        "",
        str(config.training.get("data", "not recorded")),
        "",
        "## Evaluation",
        "",
    ]
    if metrics:
        lines += ["| metric | value |", "|---|---|"]
        lines += [
            f"| {k} | {v:.4f} |" if isinstance(v, float) else f"| {k} | {v} |"
            for k, v in metrics.items()
        ]
    else:
        lines.append("Not evaluated.")
    lines += [
        "",
        "## Resolved training config",
        "",
        "```json",
        json.dumps(config.training, indent=2, ensure_ascii=False, default=str),
        "```",
        "",
        "## Use",
        "",
        "```python",
        "from stance import StanceClassifier",
        'clf = StanceClassifier.from_pretrained("path/to/this/directory")',
        'clf.predict("Turkey condemned Haftar\'s offensive on Tripoli.", "Turkey", "Haftar")',
        "```",
        "",
    ]
    return "\n".join(lines)
