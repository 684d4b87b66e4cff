"""Mechanics of encoding, the model, saving and loading, on the tiny random BERT."""

from __future__ import annotations

import pytest
import torch

from stance.classifier import StanceClassifier
from stance.encoding import (
    Markers,
    TextTooLongError,
    collate,
    encode,
    example_units,
    mark,
    plan,
)
from stance.modeling import StanceConfig, build_model
from stance.schema import StanceExample

TEXT = "Turkey says Haftar can no longer be trusted, and Egypt backed Haftar."
SPANS = [[(0, 6)], [(12, 18), (62, 68)], [(49, 54)]]


def test_mark_nests_and_orders_markers():
    marked, owners = mark("Turkish forces", [[(0, 14)], [(0, 7)]], [("[E]", "[/E]")] * 2)
    assert marked == "[E] [E] Turkish [/E] forces [/E]"
    assert owners == [0, 1]


def test_encode_finds_each_actor_start_marker(tiny_model):
    _, tokenizer = tiny_model
    encoded = encode(TEXT, SPANS, tokenizer, mode="all_pairs", max_length=128, markers=Markers())
    start = tokenizer.convert_tokens_to_ids("[E]")
    assert [len(p) for p in encoded.actor_positions] == [1, 2, 1]
    for positions in encoded.actor_positions:
        assert all(encoded.input_ids[p] == start for p in positions)
    with pytest.raises(TextTooLongError, match="over the encoder's limit of 8"):
        encode(TEXT, SPANS, tokenizer, mode="all_pairs", max_length=8, markers=Markers())
    with pytest.raises(ValueError, match="exactly a source and a target"):
        encode(TEXT, SPANS, tokenizer, mode="pair", max_length=128, markers=Markers())


def test_example_units_share_one_pass_per_actor_pair():
    examples = [
        StanceExample(TEXT, "Turkey", "Haftar", "oppose", None, SPANS[0], SPANS[1]),
        StanceExample(TEXT, "Haftar", "Turkey", "neutral", None, SPANS[1], SPANS[0]),
        StanceExample(TEXT, "Egypt", "Haftar", "support", None, SPANS[2], SPANS[1]),
    ]
    units = example_units(examples)
    # Both directions of Turkey/Haftar share a unit; Egypt->Haftar knows only its own actors.
    assert [u.pairs for u in units] == [[(0, 1), (1, 0)], [(0, 1)]]
    assert units[1].actors == ["Egypt", "Haftar"]
    passes = [g for u in units for g in plan(u, "all_pairs")]
    assert [g.actors for g in passes] == [["Turkey", "Haftar"], ["Egypt", "Haftar"]]
    singles = [g for u in units for g in plan(u, "pair")]
    assert [(g.actors, g.pairs, g.rows) for g in singles] == [
        (["Turkey", "Haftar"], [(0, 1)], [0]),
        (["Haftar", "Turkey"], [(0, 1)], [1]),
        (["Egypt", "Haftar"], [(0, 1)], [2]),
    ]


def test_plan_marks_every_known_actor_in_all_pairs_mode_and_one_pair_in_pair_mode():
    from stance.encoding import Group

    unit = Group(TEXT, ["Turkey", "Haftar", "Egypt"], list(SPANS), [(0, 1), (2, 1)],
                 ["oppose", "support"], [7, 8])  # fmt: skip
    (one,) = plan(unit, "all_pairs")
    assert one.actors == ["Turkey", "Haftar", "Egypt"] and one.pairs == [(0, 1), (2, 1)]
    first, second = plan(unit, "pair")
    assert (first.actors, first.pairs, first.labels, first.rows) == (
        ["Turkey", "Haftar"], [(0, 1)], ["oppose"], [7],
    )  # fmt: skip
    # The source comes first, so pair mode's [S] marks Egypt and [T] marks Haftar.
    assert (second.actors, second.pairs, second.rows) == (["Egypt", "Haftar"], [(0, 1)], [8])


def test_forward_gives_logits_for_every_pair(tiny_model):
    model, tokenizer = tiny_model
    encoded = encode(TEXT, SPANS, tokenizer, mode="all_pairs", max_length=128, markers=Markers())
    pairs = [(i, j) for i in range(3) for j in range(3) if i != j]
    batch = collate([encoded, encoded], [pairs, pairs[:2]], tokenizer.pad_token_id)
    logits = model(**batch)
    assert logits.shape == (8, 3)
    # Direction matters: (s, t) and (t, s) are scored differently.
    assert not torch.allclose(logits[0], logits[2])


def test_two_training_steps_change_the_weights(tiny_model):
    model, tokenizer = tiny_model
    encoded = encode(TEXT, SPANS, tokenizer, mode="all_pairs", max_length=128, markers=Markers())
    batch = collate([encoded], [[(0, 1), (2, 1)]], tokenizer.pad_token_id)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.train()
    for _ in range(2):
        loss = torch.nn.functional.cross_entropy(model(**batch), torch.tensor([2, 1]))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    changed = [n for n, p in model.named_parameters() if not torch.equal(before[n], p)]
    assert any(n.startswith("encoder.") for n in changed) and any(
        n.startswith("head.") for n in changed
    )


def test_localized_context_weights_tokens_both_actors_attend_to():
    from stance.modeling import localized_context

    states = torch.eye(4).unsqueeze(0)  # token t's state is the one-hot e_t
    attention = torch.zeros(1, 2, 4, 4)
    attention[0, :, 0] = torch.tensor([0.0, 0.5, 0.5, 0.0])  # actor 0 (at token 0)
    attention[0, :, 3] = torch.tensor([0.0, 0.0, 0.5, 0.5])  # actor 1 (at token 3)
    index, mask = torch.tensor([[0], [3]]), torch.ones(2, 1, dtype=torch.bool)
    context = localized_context(
        states, attention, index, mask, torch.tensor([[0, 1], [1, 0]]), torch.tensor([0, 0])
    )
    # Only token 2 is attended to by both, so each pair's context is token 2's state.
    assert torch.allclose(context, torch.tensor([[0.0, 0.0, 1.0, 0.0]] * 2), atol=1e-4)


def test_context_pooling_trains_saves_and_loads(tiny_encoder_dir, tmp_path):
    torch.manual_seed(0)
    config = StanceConfig(encoder=str(tiny_encoder_dir), max_length=128, context_pooling=True)
    model, tokenizer = build_model(config)
    encoded = encode(TEXT, SPANS, tokenizer, mode="all_pairs", max_length=128, markers=Markers())
    batch = collate([encoded, encoded], [[(0, 1), (1, 0), (2, 1)], [(1, 2)]], 0)
    logits = model(**batch)
    assert logits.shape == (4, 3)
    torch.nn.functional.cross_entropy(logits, torch.tensor([2, 0, 1, 0])).backward()
    assert model.encoder.embeddings.word_embeddings.weight.grad is not None
    classifier = StanceClassifier(model, tokenizer, device="cpu")
    classifier.save_pretrained(tmp_path / "m")
    loaded = StanceClassifier.from_pretrained(tmp_path / "m", device="cpu")
    assert loaded.model.config.context_pooling
    example = StanceExample(TEXT, "Turkey", "Haftar")
    a, b = classifier.predict_batch([example]), loaded.predict_batch([example])
    assert a[0].scores == pytest.approx(b[0].scores, abs=1e-6)


def test_context_pooling_runs_on_mpnet():
    # configs/dse-mpnet.yaml turns context pooling on; MPNet must return attentions too.
    from transformers import MPNetConfig, MPNetModel

    from stance.modeling import StanceModel

    torch.manual_seed(0)
    encoder = MPNetModel(MPNetConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2,
                                     num_attention_heads=2, intermediate_size=64))  # fmt: skip
    model = StanceModel(encoder, StanceConfig(encoder="mpnet", context_pooling=True))
    logits = model(
        input_ids=torch.randint(5, 100, (2, 12)),
        attention_mask=torch.ones(2, 12, dtype=torch.long),
        mention_index=torch.tensor([[1, 6], [3, 0], [13, 0], [20, 0]]),
        mention_mask=torch.tensor([[True, True], [True, False], [True, False], [True, False]]),
        pairs=torch.tensor([[0, 1], [1, 0], [2, 3]]),
    )
    assert logits.shape == (3, 3) and torch.isfinite(logits).all()


def test_save_then_load_gives_identical_logits(tiny_classifier, tmp_path):
    tiny_classifier.save_pretrained(tmp_path / "m")
    files = {p.name for p in (tmp_path / "m").iterdir()}
    assert {"model.safetensors", "stance_config.json", "config.json", "README.md"} <= files
    assert not any(name.endswith((".bin", ".pt", ".pkl")) for name in files)
    loaded = StanceClassifier.from_pretrained(tmp_path / "m", device="cpu")
    example = StanceExample(TEXT, "Turkey", "Haftar")
    a, b = tiny_classifier.predict_batch([example]), loaded.predict_batch([example])
    assert a[0].scores == pytest.approx(b[0].scores, abs=1e-6)
    assert "[E]" in loaded.tokenizer.get_vocab()


def test_all_pairs_and_pair_modes_agree_in_shape_and_labels(tiny_encoder_dir):
    examples = [
        StanceExample(TEXT, s, t)
        for s in ("Turkey", "Haftar", "Egypt")
        for t in ("Turkey", "Haftar", "Egypt")
        if s != t
    ]
    results = {}
    for mode in ("all_pairs", "pair"):
        torch.manual_seed(0)
        model, tokenizer = build_model(
            StanceConfig(encoder=str(tiny_encoder_dir), mode=mode, max_length=128)
        )
        predictions = StanceClassifier(model, tokenizer, "cpu").predict_batch(examples)
        results[mode] = predictions
        assert [(p.source, p.target) for p in predictions] == [
            (e.source, e.target) for e in examples
        ]
        assert all(set(p.scores) == {"neutral", "support", "oppose"} for p in predictions)
        assert all(abs(sum(p.scores.values()) - 1) < 1e-5 for p in predictions)
    assert len(results["all_pairs"]) == len(results["pair"]) == 6


def test_predict_batch_equals_predict_elementwise(tiny_classifier):
    examples = [
        StanceExample(TEXT, "Turkey", "Haftar"),
        StanceExample(TEXT, "Egypt", "Haftar"),
        StanceExample(
            "Russia praised the ceasefire while Qatar condemned the strikes.", "Qatar", "Russia"
        ),
        StanceExample(TEXT, "Haftar", "Turkey"),
    ]
    batch = tiny_classifier.predict_batch(examples, batch_size=2)
    for example, prediction in zip(examples, batch):
        single = tiny_classifier.predict(example.text, example.source, example.target)
        assert single.label == prediction.label
        assert single.scores == pytest.approx(prediction.scores, abs=1e-5)


def test_predict_names_a_missing_actor(tiny_classifier):
    with pytest.raises(ValueError, match="target 'Brazil' is not mentioned"):
        tiny_classifier.predict(TEXT, "Turkey", "Brazil")


def test_predict_dataset_adds_columns(tiny_classifier):
    from stance.io import to_dataset

    dataset = to_dataset(
        [StanceExample(TEXT, "Turkey", "Haftar"), StanceExample(TEXT, "Egypt", "Haftar")]
    )
    out = tiny_classifier.predict_dataset(dataset)
    assert out.num_rows == 2 and set(out["predicted_label"]) <= {"neutral", "support", "oppose"}
    assert {"predicted_score", "predicted_scores"} <= set(out.column_names)


def test_context_pooling_reads_the_last_layer_eagerly_and_the_rest_fused(tiny_model):
    import copy

    import torch

    model, tokenizer = tiny_model
    assert model._pool_attention is not None  # only the last layer was made eager
    assert model.encoder.config._attn_implementation != "eager"
    eager = copy.deepcopy(model)
    eager._pool_attention = None
    eager.encoder.set_attn_implementation("eager")
    texts = [TEXT, "Egypt backed Haftar."]
    spans = [SPANS, [[(0, 5)], [(13, 19)]]]
    inputs = [encode(t, s, tokenizer, mode="all_pairs", max_length=128, markers=Markers())
              for t, s in zip(texts, spans)]  # fmt: skip
    batch = collate(inputs, [[(0, 1), (1, 0)], [(0, 1)]], tokenizer.pad_token_id)
    model.eval()
    eager.eval()
    with torch.no_grad():
        assert torch.allclose(model(**batch), eager(**batch), atol=1e-5)  # padding included


def test_int8_quantisation_keeps_the_predictions_close(tiny_classifier, tmp_path):
    directory = tiny_classifier.save_pretrained(tmp_path / "model")
    int8 = StanceClassifier.from_pretrained(directory, device="cpu", int8=True)
    assert not any(type(m) is torch.nn.Linear for m in int8.model.modules())  # all quantised
    exact = tiny_classifier.predict(TEXT, "Turkey", "Haftar")
    close = int8.predict(TEXT, "Turkey", "Haftar")
    assert abs(sum(close.scores.values()) - 1) < 1e-5
    assert max(abs(close.scores[k] - exact.scores[k]) for k in exact.scores) < 0.05
    with pytest.raises(ValueError, match="CPU only"):
        StanceClassifier.from_pretrained(directory, device="meta", int8=True)
    # One scale per output channel of each weight matrix.
    linear = next(m for m in int8.model.modules() if hasattr(m, "weight") and callable(m.weight))
    assert linear.weight().qscheme() == torch.per_channel_affine
    assert int8.precision == "int8"
    with pytest.raises(ValueError, match="precision='float32'"):
        int8.save_pretrained(tmp_path / "again")


def test_precision_bfloat16_on_a_cpu_that_has_it_float32_elsewhere(tiny_classifier, tmp_path,
                                                                    monkeypatch):  # fmt: skip
    from stance import classifier

    directory = tiny_classifier.save_pretrained(tmp_path / "model")
    monkeypatch.delenv("STANCE_PRECISION")
    for native in (True, False):
        monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda n=native: n,
                            raising=False)  # fmt: skip
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False, raising=False)
        expected = "bfloat16" if native else "float32"
        assert classifier.default_precision(torch.device("cpu")) == expected
        assert StanceClassifier.from_pretrained(directory, device="cpu").precision == expected
    assert classifier.default_precision(torch.device("cuda")) == "float32"
    half = StanceClassifier.from_pretrained(directory, device="cpu", precision="bfloat16")
    exact = StanceClassifier.from_pretrained(directory, device="cpu", precision="float32")
    assert (half.precision, exact.precision) == ("bfloat16", "float32")
    close, right = half.predict(TEXT, "Turkey", "Haftar"), exact.predict(TEXT, "Turkey", "Haftar")
    assert right.scores == tiny_classifier.predict(TEXT, "Turkey", "Haftar").scores
    assert close.scores != right.scores  # bfloat16 did run
    assert max(abs(close.scores[k] - right.scores[k]) for k in right.scores) < 0.05
    with pytest.raises(ValueError, match="Unknown precision 'fp16'"):
        StanceClassifier.from_pretrained(directory, device="cpu", precision="fp16")
    monkeypatch.setenv("STANCE_PRECISION", "int8")
    assert StanceClassifier.from_pretrained(directory, device="cpu").precision == "int8"
    assert classifier.default_precision(torch.device("cuda")) == "float32"
    monkeypatch.setenv("STANCE_PRECISION", "half")
    with pytest.raises(ValueError, match="STANCE_PRECISION='half'"):
        StanceClassifier.from_pretrained(directory, device="cpu")
    with pytest.raises(ValueError, match="disagree"):
        StanceClassifier.from_pretrained(directory, precision="float32", int8=True)
    assert StanceClassifier.from_pretrained(directory, int8=True).device.type == "cpu"


def test_ray_workers_get_the_driver_s_precision(monkeypatch):
    from stance.distributed import worker_precision

    monkeypatch.setenv("STANCE_PRECISION", "bfloat16")
    assert worker_precision(None, None) == ("bfloat16", None)
    assert worker_precision("float32", "cuda") == ("float32", "cuda")
    assert worker_precision("int8", None) == ("int8", "cpu")
    with pytest.raises(ValueError, match="CPU only"):
        worker_precision("int8", "cuda")
    monkeypatch.delenv("STANCE_PRECISION")
    assert worker_precision(None, None) == (None, None)
    with pytest.raises(ValueError, match="Unknown precision"):
        worker_precision("fp8", None)


def test_cli_precision_and_int8_exclude_each_other(capsys):
    from stance.cli import main

    with pytest.raises(SystemExit):
        main(["predict", "--model", "m", "--input", "a.jsonl", "--output", "b.jsonl",
              "--precision", "float32", "--int8"])  # fmt: skip
    assert "not allowed with argument" in capsys.readouterr().err


def test_a_saved_reading_naming_an_unknown_label_is_refused_when_loaded():
    from stance.modeling import StanceConfig

    with pytest.raises(ValueError, match=r"exclude_within_side names \['opose'\].*stance_config"):
        StanceConfig(reading={"exclude_within_side": ["opose"]})  # type: ignore[arg-type]
    assert StanceConfig(reading={"exclude_within_side": None}).reading.exclude_within_side == ()  # type: ignore[arg-type]
