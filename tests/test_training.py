"""The training pipeline end to end on the tiny model: train, save, resume, evaluate."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT

from stance.classifier import StanceClassifier
from training.train import fit_temperature, length_grouped_batches, resolve_precision, train


def test_train_saves_a_loadable_model_with_card_and_resolved_config(tiny_config, tmp_path):
    result = train(tiny_config(tmp_path))
    run = tmp_path / "run"
    assert (run / "config.yaml").is_file() and (run / "metrics.json").is_file()
    assert result.model_dir == run / "model"
    clf = StanceClassifier.from_pretrained(result.model_dir, device="cpu")
    assert clf.config.temperature != 1.0, "calibration fits a temperature on validation"
    assert "validation_macro_f1" in clf.config.metrics
    card = (result.model_dir / "README.md").read_text()
    assert "neutral" in card and "validation_macro_f1" in card and "train.jsonl" in card
    prediction = clf.predict("Turkey says Haftar can no longer be trusted.", "Turkey", "Haftar")
    assert prediction.label in {"neutral", "support", "oppose"}


def test_training_resumes_from_the_last_checkpoint(tiny_config, tmp_path, monkeypatch):
    import training.train as loop

    extra = ("train.epochs=2", "train.max_steps=null", "data.max_train_samples=8")
    validations = 0
    real = loop.predict_logits

    def killed_in_epoch_two(*args, **kwargs):
        nonlocal validations
        validations += 1
        if validations == 2:  # the second epoch's validation: the job dies there
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(loop, "predict_logits", killed_in_epoch_two)
    with pytest.raises(KeyboardInterrupt):
        train(tiny_config(tmp_path, *extra))
    state = json.loads((tmp_path / "run/checkpoint/trainer_state.json").read_text())
    assert state["epoch"] == 1
    monkeypatch.setattr(loop, "predict_logits", real)
    train(tiny_config(tmp_path, *extra))
    state = json.loads((tmp_path / "run/checkpoint/trainer_state.json").read_text())
    assert state["epoch"] == 2 and [h["epoch"] for h in state["history"]] == [1, 2]


def test_resume_refuses_a_changed_config_naming_the_keys(tiny_config, tmp_path):
    train(tiny_config(tmp_path, "data.max_train_samples=8"))
    changed = tiny_config(tmp_path, "data.max_train_samples=8",
                          "train.learning_rate=3.0e-5")  # fmt: skip
    with pytest.raises(ValueError, match=r"train.learning_rate: 5e-05 -> 3e-05.*--no-resume"):
        train(changed)
    # Starting over is the way out, and it trains under the new config.
    result = train(changed, resume=False)
    clf = StanceClassifier.from_pretrained(result.model_dir, device="cpu")
    assert clf.config.training["train"]["learning_rate"] == 3.0e-5


def test_a_finished_run_is_reported_not_retrained_or_relabelled(tiny_config, tmp_path):
    config = tiny_config(tmp_path, "data.max_train_samples=8")
    first = train(config)
    card = (first.model_dir / "README.md").read_text()
    weights = (first.model_dir / "model.safetensors").read_bytes()
    again = train(config)
    assert again.metrics["validation_macro_f1"] == first.metrics["validation_macro_f1"]
    assert (first.model_dir / "README.md").read_text() == card
    assert (first.model_dir / "model.safetensors").read_bytes() == weights


def test_bad_training_rows_are_reported_not_dropped_silently(tiny_config, tmp_path):
    data = tmp_path / "train.jsonl"
    good = {
        "text": "Turkey says Haftar can no longer be trusted.",
        "source": "Turkey",
        "target": "Haftar",
        "label": "oppose",
    }
    rows = [good, {**good, "label": "hostile"}, {**good, "target": "Brazil"}, good]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    train(tiny_config(tmp_path, "data.format=examples", f"data.train={data}",
                      f"data.validation={data}"))  # fmt: skip
    errors = (tmp_path / "run/data_errors.txt").read_text()
    assert "unknown label 'hostile'" in errors and "'Brazil' is not mentioned" in errors


def test_length_grouped_batches_cover_every_index_once_and_pad_little():
    lengths = [5, 50, 7, 48, 6, 49, 8, 51, 9]
    batches = length_grouped_batches(lengths, 2, seed=1)
    assert sorted(i for b in batches for i in b) == list(range(9))
    # Sorted within the chunk, each batch pairs neighbours in length: the padding is the
    # least any batching of these lengths into pairs can have.
    padding = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches)
    ordered = sorted(lengths)
    assert padding == sum(ordered[k + 1] - ordered[k] for k in range(0, 8, 2))


def test_mixed_precision_auto_is_bf16_only_where_native(monkeypatch):
    import torch

    for native in (True, False):
        monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda n=native: n,
                            raising=False)  # fmt: skip
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False, raising=False)
        assert resolve_precision("auto", cpu=True) == ("bf16" if native else "no")
        assert resolve_precision("no", cpu=True) == "no"  # asked for, never changed
        assert resolve_precision("fp16", cpu=True) == "fp16"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_precision("auto", cpu=False) == "no"


def test_temperature_scaling_cools_overconfident_logits():
    import numpy as np

    rng = np.random.default_rng(0)
    golds = rng.integers(0, 3, 400)
    logits = rng.normal(size=(400, 3))
    logits[np.arange(400), golds] += 1.0
    assert fit_temperature(logits * 10, golds) > 3.0


def test_temperature_scaling_never_returns_nan():
    import math

    import numpy as np

    # Logits whose every row is a tie: the NLL is flat and LBFGS can wander into NaN.
    logits = np.zeros((50, 3), dtype=np.float32)
    logits[:, 0] = np.nan
    assert math.isfinite(fit_temperature(logits, np.zeros(50, dtype=int)))
    from stance.modeling import StanceConfig

    with pytest.raises(ValueError, match="positive number"):
        StanceConfig(temperature=float("nan"))


def test_evaluate_cli_prints_and_writes_json(tiny_classifier, tmp_path, capsys):
    from stance.cli import main

    tiny_classifier.save_pretrained(tmp_path / "m")
    out = tmp_path / "metrics.json"
    assert main(["evaluate", "--model", str(tmp_path / "m"), "--data", str(ROOT / "data/corpus/test.jsonl"),
                 "--output", str(out), "--device", "cpu"]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "macro-F1" in printed and "confusion" in printed
    metrics = json.loads(out.read_text())
    assert set(metrics["directed"]["labels"]) == {"neutral", "support", "oppose"}


def test_evaluate_recovers_dse_labels(tiny_classifier, tmp_path):
    from training.evaluate import evaluate

    path = tmp_path / "d.tsv"
    path.write_text(
        "[Turkey] condemned [Haftar].\tTurkey\tHaftar\t3\n[Egypt] was praised by [Russia].\tEgypt\tRussia\t2\n"
    )
    result = evaluate(tiny_classifier, str(path))
    assert result["dse5"]["n"] == 2 and result["directed"]["n"] == 4
    # The gold 5-way labels are recovered from the two directions of each row.
    support = {label: int(r["support"]) for label, r in result["dse5"]["report"].items()
               if label in result["dse5"]["labels"]}  # fmt: skip
    assert support == {"neutral": 0, "positive p->q": 0, "positive q->p": 1,
                       "negative p->q": 1, "negative q->p": 0}  # fmt: skip
    directed = {label: int(result["directed"]["report"][label]["support"])
                for label in ("neutral", "support", "oppose")}  # fmt: skip
    assert directed == {"neutral": 2, "support": 1, "oppose": 1}


@pytest.mark.slow
def test_minilm_overfits_32_examples():
    """The real encoder can fit a small set perfectly: the pipeline learns, direction included."""
    import torch

    from stance.encoding import collate, passage_unit
    from stance.io import load_passages
    from stance.modeling import StanceConfig, build_model

    torch.manual_seed(0)
    model, tokenizer = build_model(StanceConfig(encoder="minilm", max_length=256))
    passages = load_passages(ROOT / "data/corpus/train.jsonl").items
    groups = [passage_unit(p) for p in passages[:6]]
    from stance.encoding import encode

    inputs = [
        encode(
            g.text,
            g.spans,
            tokenizer,
            mode="all_pairs",
            max_length=256,
            markers=model.config.markers,
        )
        for g in groups
    ]
    labels = torch.tensor([model.config.label_set.id(lab) for g in groups for lab in g.labels])
    # Keep 32 directed examples: every non-neutral one plus neutrals to fill.
    batch = collate(inputs, [g.pairs for g in groups], tokenizer.pad_token_id)
    keep = torch.cat([torch.nonzero(labels != 0).flatten(), torch.nonzero(labels == 0).flatten()])[
        :32
    ]
    batch["pairs"], labels = batch["pairs"][keep], labels[keep]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    model.train()
    for _ in range(60):
        loss = torch.nn.functional.cross_entropy(model(**batch), labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        model.eval()
        with torch.no_grad():
            accuracy = (model(**batch).argmax(-1) == labels).float().mean().item()
        model.train()
        if accuracy == 1.0:
            break
    assert accuracy == 1.0, f"training accuracy {accuracy:.3f} after 60 steps"


def _dse_like_examples():
    from stance.classifier import with_spans
    from stance.schema import StanceExample

    texts = [
        ("Turkey praised the Tripoli government.", "Turkey", "the Tripoli government", "support"),
        ("The Tripoli government attacked Haftar's forces.", "The Tripoli government", "Haftar", "oppose"),
        ("Turkey met Haftar in Ankara.", "Turkey", "Haftar", "neutral"),
        ("Egypt hosted Haftar.", "Egypt", "Haftar", "support"),
    ]  # fmt: skip
    examples = []
    for text, p, q, label in texts:
        examples.append(with_spans(StanceExample(text, p, q, label)))
        examples.append(with_spans(StanceExample(text, q, p, "neutral")))
    return examples


def test_actor_triangles_are_found_across_texts_and_sampled_as_paths():
    import random

    from stance.encoding import example_units
    from training.consistency import Triangles, actor_key, path_index

    assert actor_key("The Tripoli government") == actor_key("the Tripoli government")
    assert actor_key("Haftar's") == "haftar"
    examples = _dse_like_examples()
    groups = example_units(examples)
    triangles = Triangles.find([g.rows for g in groups], examples)
    assert triangles.triangles == [("haftar", "tripoli government", "turkey")]
    rows, paths = triangles.sample(4, random.Random(0))
    assert rows == [0, 1, 2]  # three texts: both directions of a pair come from one pass
    assert len(paths) == 6  # every ordering X->Y->Z of the triangle
    index = path_index(rows, paths, [len(g.pairs) for g in groups])
    assert index.shape == (6, 3) and index.max() < 6
    # Every edge of every path is really the pair it claims to be.
    names = [
        (actor_key(examples[g.rows[s]].source), actor_key(examples[g.rows[s]].target))
        for g in groups[:3]
        for s in range(len(g.pairs))
    ]
    for xy, yz, xz in index.tolist():
        assert names[xy][1] == names[yz][0] and names[xy][0] == names[xz][0]
        assert names[yz][1] == names[xz][1]


def test_transitivity_loss_penalises_sign_inconsistency_but_not_neutral():
    import torch

    from training.consistency import transitivity_loss

    def loss(*labels):  # one confident logit row per edge: X->Y, Y->Z, X->Z
        logits = torch.full((3, 3), -8.0)
        for row, label in enumerate(labels):
            logits[row, label] = 8.0
        logits.requires_grad_(True)
        value = transitivity_loss(logits, torch.tensor([[0, 1, 2]]), support=1, oppose=2)
        return value, logits

    neutral, support, oppose = 0, 1, 2
    assert loss(support, oppose, oppose)[0] < 1e-3  # friend's enemy is my enemy
    assert loss(oppose, oppose, support)[0] < 1e-3  # enemy's enemy is my friend
    assert loss(support, support, neutral)[0] < 1e-3  # a third text need not take a side
    bad, logits = loss(support, oppose, support)
    assert bad > 5
    bad.backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0


def test_training_with_the_consistency_loss(tiny_config, tmp_path, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="training.train")
    result = train(tiny_config(tmp_path, "train.consistency_weight=1.0"))
    found = [r.getMessage() for r in caplog.records if "actor triangles" in r.getMessage()]
    assert found and int(found[0].split()[3]) > 0
    # The loss is really added: the same run without it ends with other weights.
    plain = train(tiny_config(tmp_path / "plain"))
    with_loss = StanceClassifier.from_pretrained(result.model_dir, device="cpu").model
    without = StanceClassifier.from_pretrained(plain.model_dir, device="cpu").model
    assert not all(
        a.equal(b) for a, b in zip(with_loss.head.parameters(), without.head.parameters())
    )
    with pytest.raises(ValueError, match="needs the labels 'support' and 'oppose'"):
        train(tiny_config(tmp_path / "other", "train.consistency_weight=1.0",
                          "data.labels=[neutral, pro, con]"))  # fmt: skip


def test_distillation_loss_is_zero_only_where_the_student_matches_the_teacher():
    import torch

    from training.distill import distillation_loss

    teacher = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    assert distillation_loss(teacher.log(), teacher) < 1e-6
    logits = torch.zeros(2, 3, requires_grad=True)
    loss = distillation_loss(logits, teacher)
    assert loss > 0.1
    loss.backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0


def test_all_pairs_student_learns_from_a_pair_mode_teacher(tiny_config, tmp_path):
    import numpy as np

    teacher = train(tiny_config(tmp_path / "teacher", "model.mode=pair"))
    result = train(tiny_config(tmp_path, f"train.distill_from={teacher.model_dir}"))
    run = tmp_path / "run"
    probs = np.load(run / "teacher_probs.npy")
    assert probs.shape[1] == 3 and np.allclose(probs.sum(1), 1, atol=1e-4)
    # The soft targets are the teacher's own predictions, in the student's label order.
    from training.data import prepare_split

    student = StanceClassifier.from_pretrained(result.model_dir, device="cpu")
    assert student.config.mode == "all_pairs"
    assert student.config.training["train"]["distill_from"] == str(teacher.model_dir)
    assert f"Distilled from: `{teacher.model_dir}`" in (result.model_dir / "README.md").read_text()
    config = tiny_config(tmp_path)
    split = prepare_split("train", config.data.train, config, student.tokenizer,
                          student.config.markers, config.data.max_train_samples)  # fmt: skip
    assert probs.shape[0] == len(split.examples)
    expected = StanceClassifier.from_pretrained(teacher.model_dir, device="cpu").predict_batch(
        split.examples[:5]
    )
    for row, prediction in enumerate(expected):
        assert np.allclose(probs[row], [prediction.scores[n] for n in student.labels], atol=1e-5)
    with pytest.raises(ValueError, match="distill_weight must lie in"):
        train(tiny_config(tmp_path / "w", f"train.distill_from={teacher.model_dir}",
                          "train.distill_weight=2"))  # fmt: skip
    with pytest.raises(ValueError, match="Distil from a model trained on the same labels"):
        train(tiny_config(tmp_path / "labels", f"train.distill_from={teacher.model_dir}",
                          "data.labels=[neutral, pro, con]"))  # fmt: skip
