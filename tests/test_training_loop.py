"""The training loop's own behaviour: early stopping and best-checkpoint selection, class
weights, gradient accumulation, the distillation cache, and the real MiniLM learning."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import ROOT

from training.train import train


def _tensors(path: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(path))


def _same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_early_stopping_keeps_the_best_epochs_weights(tiny_config, tmp_path, monkeypatch):
    import training.train as loop

    # Validation goes up, then down: with patience 1 the run stops after epoch 3, and the
    # saved model is epoch 2's, not the last one trained.
    scripted = iter([0.5, 0.7, 0.6])
    real_f1 = loop.macro_f1
    monkeypatch.setattr(loop, "macro_f1", lambda *args: next(scripted, None) or real_f1(*args))
    run = tmp_path / "run"
    snapshots = tmp_path / "snapshots"
    snapshots.mkdir()
    real_save = loop.save_model
    saved_epochs = 0

    def save_and_snapshot(model, tokenizer, directory):
        nonlocal saved_epochs
        path = real_save(model, tokenizer, directory)
        if Path(directory) == run / "checkpoint":  # written once at the end of every epoch
            saved_epochs += 1
            shutil.copy(Path(directory) / "model.safetensors", snapshots / f"{saved_epochs}.st")
        return path

    monkeypatch.setattr(loop, "save_model", save_and_snapshot)
    train(tiny_config(tmp_path, "train.epochs=6", "train.max_steps=null",
                      "train.early_stopping_patience=1", "data.max_train_samples=8",
                      "data.max_eval_samples=8", "train.batch_size=4"))  # fmt: skip

    metrics = json.loads((run / "metrics.json").read_text())
    assert [h["epoch"] for h in metrics["history"]] == [1, 2, 3]
    assert [h["validation_macro_f1"] for h in metrics["history"]] == [0.5, 0.7, 0.6]
    assert metrics["best_epoch"] == 2 and metrics["epochs_run"] == 3
    state = json.loads((run / "checkpoint/trainer_state.json").read_text())
    assert state["epoch"] == 3 and state["bad_epochs"] == 1 and state["best"] == 0.7
    assert saved_epochs == 3
    final = _tensors(run / "model/model.safetensors")
    epoch2, epoch3 = _tensors(snapshots / "2.st"), _tensors(snapshots / "3.st")
    assert not _same_weights(epoch2, epoch3), "epoch 3 must change the weights for this test"
    assert _same_weights(final, epoch2)
    assert _same_weights(_tensors(run / "checkpoint/model.safetensors"), epoch3)


def test_class_weights_inverse_sqrt_and_none():
    from training.train import class_weights

    # Label counts 3 / 1 / 1 over two texts' pairs.
    dataset = {"labels": [[0, 0, 1], [0, 2]]}
    inverse = class_weights(dataset, 3, "inverse")
    # Inverse frequency, scaled to mean 1: proportional to 1/3, 1, 1.
    assert torch.allclose(inverse, torch.tensor([3 / 7, 9 / 7, 9 / 7]))
    sqrt = class_weights(dataset, 3, "sqrt")
    expected = torch.tensor([1 / math.sqrt(3), 1.0, 1.0])
    assert torch.allclose(sqrt, expected / expected.mean())
    assert sqrt.dtype == torch.float and torch.isclose(sqrt.mean(), torch.tensor(1.0))
    assert class_weights(dataset, 3, "none") is None
    # A label never seen counts as seen once, so its weight is large but finite.
    unseen = class_weights(dataset, 4, "inverse")
    assert torch.isfinite(unseen).all() and unseen[3] == unseen[1]
    with pytest.raises(ValueError, match=r"Unknown train\.class_weights 'balanced'"):
        class_weights(dataset, 3, "balanced")


def test_gradient_accumulation_halves_the_optimizer_steps(tiny_config, tmp_path):
    extra = ("train.max_steps=null", "train.epochs=1", "train.batch_size=2",
             "data.max_train_samples=8", "data.max_eval_samples=4")  # fmt: skip
    steps = {}
    for accumulation in (1, 2):
        out = tmp_path / f"acc{accumulation}"
        result = train(tiny_config(out, *extra,
                                   f"train.gradient_accumulation_steps={accumulation}"))  # fmt: skip
        state = json.loads((out / "run/checkpoint/trainer_state.json").read_text())
        assert state["history"][-1]["step"] == state["step"]
        steps[accumulation] = state["step"]
        texts = result.metrics["train_texts"]
    assert steps[1] == math.ceil(texts / 2) >= 4  # one step per batch of 2 texts
    assert steps[2] == math.ceil(steps[1] / 2)


def test_teacher_cache_is_reused_only_for_the_same_teacher(tiny_classifier, tiny_config,
                                                           tmp_path, monkeypatch):  # fmt: skip
    from stance.classifier import StanceClassifier
    from training.data import prepare_split
    from training.distill import teacher_probabilities

    config = tiny_config(tmp_path)
    first_dir = tiny_classifier.save_pretrained(tmp_path / "teacher1")
    with torch.no_grad():  # a second teacher that scores differently
        for p in tiny_classifier.model.head.parameters():
            p.add_(torch.randn_like(p))
    second_dir = tiny_classifier.save_pretrained(tmp_path / "teacher2")

    def split(limit):
        return prepare_split("train", config.data.train, config, tiny_classifier.tokenizer,
                             tiny_classifier.config.markers, limit)  # fmt: skip

    train_split = split(3)
    labels = tiny_classifier.labels
    cache = tmp_path / "run/teacher_probs.npy"
    real = StanceClassifier.from_pretrained
    loads = []

    def counting(cls, directory, *args, **kwargs):
        loads.append(Path(directory))
        return real(directory, *args, **kwargs)

    monkeypatch.setattr(StanceClassifier, "from_pretrained", classmethod(counting))
    first = teacher_probabilities(first_dir, train_split, labels, cache, "cpu")
    assert loads == [first_dir] and first.shape == (len(train_split.examples), 3)
    sidecar = json.loads(cache.with_suffix(".json").read_text())
    assert sidecar == {"teacher": str(first_dir.resolve()), "examples": len(train_split.examples)}

    def refuse(cls, *args, **kwargs):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(StanceClassifier, "from_pretrained", classmethod(refuse))
    assert np.array_equal(
        teacher_probabilities(first_dir, train_split, labels, cache, "cpu"), first
    )

    monkeypatch.setattr(StanceClassifier, "from_pretrained", classmethod(counting))
    other = teacher_probabilities(second_dir, train_split, labels, cache, "cpu")
    assert loads == [first_dir, second_dir]
    assert not np.allclose(other, first)
    assert json.loads(cache.with_suffix(".json").read_text())["teacher"] == str(
        second_dir.resolve()
    )
    # The same teacher on another number of examples scores again too.
    bigger = split(4)
    assert len(bigger.examples) != len(train_split.examples)
    more = teacher_probabilities(second_dir, bigger, labels, cache, "cpu")
    assert loads[-1] == second_dir and len(loads) == 3 and more.shape[0] == len(bigger.examples)


@pytest.mark.slow
def test_real_minilm_with_context_pooling_learns_in_a_few_steps():
    """The default architecture on the real encoder: eight AdamW steps lower the loss."""
    from stance.encoding import InputEncoder, collate, passage_unit, plan
    from stance.io import load_passages
    from stance.modeling import StanceConfig, build_model

    torch.manual_seed(0)
    model, tokenizer = build_model(StanceConfig(encoder="minilm", max_length=128))
    assert model.config.context_pooling and model.config.mode == "all_pairs"
    passages = sorted(
        load_passages(ROOT / "data/corpus/train.jsonl").items, key=lambda p: len(p.text)
    )
    groups = [g for p in passages[:4] for g in plan(passage_unit(p), "all_pairs")]
    encoder = InputEncoder(tokenizer, "all_pairs", 128, model.config.markers)
    batch = collate([encoder(g) for g in groups], [g.pairs for g in groups], tokenizer.pad_token_id)
    labels = torch.tensor([model.config.label_set.id(str(lab)) for g in groups for lab in g.labels])
    assert len(set(labels.tolist())) > 1

    def eval_loss() -> float:  # without dropout, so that only the weights change it
        model.eval()
        with torch.no_grad():
            return torch.nn.functional.cross_entropy(model(**batch), labels).item()

    before = eval_loss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    losses = []
    for _ in range(8):
        model.train()
        loss = torch.nn.functional.cross_entropy(model(**batch), labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    after = eval_loss()
    assert all(math.isfinite(x) for x in losses)
    assert losses[-1] < losses[0], f"training losses {losses}"
    assert after < before, f"eval loss {before:.4f} -> {after:.4f}"
