"""One reading of a text everywhere: the planner, and every door reading through it."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from stance.classifier import StanceClassifier
from stance.encoding import Markers, passage_unit
from stance.io import load_passages
from training.config import load_config
from training.evaluate import evaluate, predict_passages
from training.train import train

SHORT = ("data.max_eval_samples=null", "train.max_steps=6")  # a few steps, every row scored


@pytest.mark.parametrize("mode", ["all_pairs", "pair"])
def test_stance_evaluate_gives_the_validation_score_training_recorded(
    tiny_config, tmp_path, mode, capsys
):
    from stance.cli import main

    result = train(tiny_config(tmp_path, *SHORT, f"model.mode={mode}"))
    recorded = result.metrics["validation_macro_f1"]
    out = tmp_path / "metrics.json"
    code = main(["evaluate", "--model", str(result.model_dir), "--device", "cpu",
                 "--data", str(ROOT / "data/corpus/validation.jsonl"), "--output", str(out)])  # fmt: skip
    assert code == 0
    measured = json.loads(out.read_text())["directed"]["macro_f1"]
    assert round(measured, 4) == round(recorded, 4)
    predicted = {lab for lab in json.loads(out.read_text())["directed"]["report"]}
    assert {"neutral", "support", "oppose"} <= predicted


def test_predict_and_analyze_read_a_pair_the_same_way(tiny_classifier):
    text = "Turkey says Haftar can no longer be trusted, and Egypt backed Haftar."
    prediction = tiny_classifier.predict(text, "Turkey", "Haftar")
    graph = tiny_classifier.analyze(text, ["Turkey", "Haftar"], threshold=0.0)
    (edge,) = [e for e in graph.edges if (e.source, e.target) == ("Turkey", "Haftar")]
    assert edge.scores == pytest.approx(dict(prediction.scores), abs=1e-6)


def test_predict_and_analyze_read_a_pair_the_same_way_in_pair_mode(tiny_encoder_dir):
    from stance.modeling import StanceConfig, build_model

    model, tokenizer = build_model(
        StanceConfig(encoder=str(tiny_encoder_dir), mode="pair", max_length=128)
    )
    clf = StanceClassifier(model, tokenizer, "cpu")
    text = "Egypt backed Haftar on Monday and Turkey condemned him."
    prediction = clf.predict(text, "Egypt", "Haftar")
    graph = clf.analyze(text, ["Egypt", "Haftar", "Turkey"], threshold=0.0)
    (edge,) = [e for e in graph.edges if (e.source, e.target) == ("Egypt", "Haftar")]
    assert edge.scores == pytest.approx(dict(prediction.scores), abs=1e-6)


def test_evaluate_reads_a_passage_with_all_its_actors_known(tiny_classifier, passages_file):
    passages = load_passages(passages_file).items
    examples, predictions = predict_passages(tiny_classifier, passages)
    # The same as scoring each passage's unit (every actor known) directly ...
    units = [
        passage_unit(p, sum(len(q.examples()) for q in passages[:k]))
        for k, p in enumerate(passages)
    ]
    direct = np.concatenate([s for s in tiny_classifier.score_units(units)])
    assert np.allclose([[p.scores[n] for n in tiny_classifier.labels] for p in predictions], direct)
    # ... and not what predict() gives each pair with only its two actors known.
    alone = tiny_classifier.predict_batch(examples)
    assert not np.allclose(
        [[p.scores[n] for n in tiny_classifier.labels] for p in alone], direct, atol=1e-4
    )
    result = evaluate(tiny_classifier, str(passages_file))
    assert result["directed"]["n"] == len(examples) == 12


def test_other_actors_policy_decides_what_an_epoch_reads(tiny_config, tiny_encoder_dir):
    from stance.modeling import StanceConfig, build_model
    from training.data import epoch_rows, prepare_split

    config = tiny_config(Path("/nonexistent"), *SHORT, "model.other_actors=mixed")
    _, tokenizer = build_model(StanceConfig(encoder=str(tiny_encoder_dir), max_length=128))
    split = prepare_split("train", str(ROOT / "data/corpus/train.jsonl"), config, tokenizer,
                          Markers(), limit=20, training=True)  # fmt: skip
    data = split.dataset
    n_units = len(set(data["unit"]))
    marked = epoch_rows(data, "marked", 0)
    assert marked == [i for i, full in enumerate(data["full"]) if full] and len(marked) == n_units
    for policy in ("mixed", "unmarked"):
        rows = epoch_rows(data, policy, 0)
        assert sorted(data.select(rows)["unit"]) == sorted(set(data["unit"]))  # each unit once
    alone = epoch_rows(data, "unmarked", 0)
    many = {u for u, full in zip(data["unit"], data["full"]) if not full}
    # A passage with more than two actors is read with only two of them marked.
    assert all(len(data[i]["actor_positions"]) == 2 for i in alone if data[i]["unit"] in many)
    mixed = epoch_rows(data, "mixed", 0)
    assert any(data[i]["full"] for i in mixed) and not all(data[i]["full"] for i in mixed)


def test_article_neutral_windows_samples_only_windows_without_a_stance(
    tiny_config, tiny_encoder_dir, tmp_path
):
    from stance.modeling import StanceConfig, build_model
    from training.data import epoch_rows, prepare_split

    articles = tmp_path / "articles.jsonl"
    lines = (ROOT / "data/articles/train.jsonl").read_text(encoding="utf-8").splitlines()
    articles.write_text("\n".join(lines[:6]) + "\n", encoding="utf-8")
    config = tiny_config(Path("/nonexistent"), *SHORT, f"data.train_articles={articles}")
    _, tokenizer = build_model(StanceConfig(encoder=str(tiny_encoder_dir), max_length=256))
    split = prepare_split("train", str(ROOT / "data/corpus/train.jsonl"), config, tokenizer,
                          Markers(), limit=10, training=True)  # fmt: skip
    data = split.dataset
    neutral = {u for u, n in zip(data["unit"], data["neutral_window"]) if n}
    assert neutral and all(u >= 10 for u in neutral)  # article windows only, never a passage
    everything = set(data["unit"])
    assert {data[i]["unit"] for i in epoch_rows(data, "marked", 0, 1.0)} == everything
    epochs = [{data[i]["unit"] for i in epoch_rows(data, "marked", e, 0.5)} for e in (0, 1)]
    for units in epochs:
        assert everything - neutral <= units  # every passage and window with a stance
        assert 0 < len(units & neutral) < len(neutral)
    assert epochs[0] & neutral != epochs[1] & neutral  # drawn afresh each epoch
    assert not {data[i]["unit"] for i in epoch_rows(data, "marked", 0, 0.0)} & neutral


def test_article_shift_reads_one_layout_of_the_windows_each_epoch(
    tiny_config, tiny_encoder_dir, tmp_path
):
    from stance.modeling import StanceConfig, build_model
    from training.data import epoch_rows, prepare_split

    articles = tmp_path / "articles.jsonl"
    lines = (ROOT / "data/articles/train.jsonl").read_text(encoding="utf-8").splitlines()
    articles.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    config = tiny_config(Path("/nonexistent"), *SHORT, f"data.train_articles={articles}",
                         "data.article_shift=true")  # fmt: skip
    _, tokenizer = build_model(StanceConfig(encoder=str(tiny_encoder_dir), max_length=256))
    split = prepare_split("train", str(ROOT / "data/corpus/train.jsonl"), config, tokenizer,
                          Markers(), limit=10, training=True)  # fmt: skip
    data = split.dataset
    layout_of = dict(zip(data["unit"], data["layout"]))
    assert set(layout_of.values()) == {
        -1,
        0,
        1,
        2,
    }  # passages, then 3 layouts of 3-sentence windows
    read = [
        {data[i]["unit"] for i in epoch_rows(data, "marked", 0, 1.0, epoch)} for epoch in range(4)
    ]
    passages = {u for u, lay in layout_of.items() if lay == -1}
    for epoch, units in enumerate(read):
        assert passages <= units  # passages every epoch
        assert {layout_of[u] for u in units - passages} == {epoch % 3}
    assert read[3] == read[0]


def test_a_typo_in_a_choice_field_fails_when_the_config_loads():
    with pytest.raises(
        ValueError,
        match=r"data.format: expected one of \['passages', 'examples', 'dse'\], found 'jsonn'",
    ):
        load_config(ROOT / "configs/default.yaml", ["data.format=jsonn"])
    with pytest.raises(ValueError, match=r"train\.class_weights: expected one of"):
        load_config(ROOT / "configs/default.yaml", ["train.class_weights=squareroot"])
    with pytest.raises(ValueError, match=r"model\.other_actors: expected one of"):
        load_config(ROOT / "configs/default.yaml", ["model.other_actors=some"])


def test_config_containers_keep_their_values():
    config = load_config(ROOT / "configs/default.yaml", ["data.columns={sentence: text}"])
    assert config.data.columns == {"sentence": "text"}
    with pytest.raises(ValueError, match=r"data.labels\[0\]: expected str, found 0"):
        load_config(ROOT / "configs/default.yaml", ["data.labels=[0, 1, 2]"])


def test_model_settings_are_declared_once():
    from stance.modeling import ModelSettings, StanceConfig
    from training.config import ModelSection

    assert ModelSection is ModelSettings and issubclass(StanceConfig, ModelSettings)
    assert StanceConfig().context_pooling == ModelSection().context_pooling
    # A config saved before context pooling existed still loads as what it meant.
    assert StanceConfig.from_dict({"encoder": "minilm"}).context_pooling is False


def _imports(path: Path) -> list[tuple[str, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names]
    return found


def test_layers_import_downward_and_no_private_names_cross_modules():
    modules = sorted((ROOT / "stance").glob("*.py")) + sorted((ROOT / "training").rglob("*.py"))
    for path in modules:
        for module, name in _imports(path):
            if module.startswith(("stance", "training")):
                assert not name.startswith("_"), f"{path.name} imports {module}.{name}"
    graph = {m for m, _ in _imports(ROOT / "stance/graph.py")}
    document = {m for m, _ in _imports(ROOT / "stance/document.py")}
    assert "stance.classifier" not in graph | document
    for path in (ROOT / "stance").glob("*.py"):
        assert not any(m.startswith("training") for m, _ in _imports(path)), path


def test_benchmarks_have_no_copy_of_windowing_or_aggregation():
    for path in (ROOT / "training/benchmarks").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "def windows" not in source and "def decide" not in source, path
        assert "window_unit(" not in source and "split_sentences(" not in source, path


def test_the_public_api_a_newcomer_finds():
    import stance

    for name in ("StanceClassifier", "StanceGraph", "Actors", "discover_actors", "predict_file"):
        assert hasattr(stance, name), name
    assert not hasattr(stance, "Passage") and not hasattr(stance, "LabelSet")


def test_train_logs_each_epoch_line_once(tiny_encoder_dir, tmp_path, capsys):
    import logging

    from training.train import main

    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers.clear()
    try:
        main(["--config", str(ROOT / "configs/tiny.yaml"), "--set", f"model.encoder={tiny_encoder_dir}",
              "--set", f"train.output_dir={tmp_path / 'run'}",
              "--set", f"data.train={ROOT / 'data/corpus/train.jsonl'}",
              "--set", f"data.validation={ROOT / 'data/corpus/validation.jsonl'}"])  # fmt: skip
    finally:
        root.handlers[:] = saved
    captured = capsys.readouterr()
    assert (captured.out + captured.err).count("epoch 1: validation macro-F1") == 1


def test_choose_reading_keeps_the_fitted_aggregator_when_the_learned_rule_wins(
    tiny_classifier, monkeypatch
):
    import training.reading as reading
    from stance.schema import ReadingSettings
    from training.articles import read_jsonl

    records = read_jsonl(ROOT / "data/articles/validation.jsonl")[:2]
    perfect = {"precision": 1.0, "recall": 1.0, "f1": 1.0, "edges": 1, "correct": 1, "gold": 1}
    monkeypatch.setattr(reading, "learned_out_of_fold",
                        lambda *args, **kwargs: {0.4: dict(perfect)})  # fmt: skip
    chosen, sweep = reading.choose_reading(tiny_classifier, records, [ReadingSettings(window=2)])
    assert (chosen.rule, chosen.window) == ("learned", 2) and chosen.aggregator
    assert chosen.aggregator["features"] and any(r["rule"] == "learned" for r in sweep)
    # The saved reading builds a graph (the aggregator travels with it).
    doc, probs = reading.score_split(tiny_classifier, records[:1], chosen)[0][0]
    reading.build_graph(doc, probs, tiny_classifier.labels, chosen)


def test_choose_exclusion_leaves_out_a_label_within_a_side_only_when_it_helps():
    import numpy as np

    from stance.actors import Actors
    from stance.document import Pass, Reading
    from stance.encoding import Group, ModelInput
    from stance.mentions import MentionSearch
    from stance.schema import LabelSet, ReadingSettings
    from training.reading import choose_exclusion

    text = "A hit B. C hit B."
    group = Group(text, ["A", "B", "C"], [((0, 1),), ((6, 7),), ((9, 10),)], [(0, 1), (2, 1)])
    actors = Actors.coerce({"A": {"affiliation": "B"}, "B": None, "C": None})
    reading = Reading(
        text, actors, MentionSearch(()), [Pass(0, len(text), group, ModelInput([], []))]
    )
    probs = [np.array([[0.1, 0.1, 0.8], [0.1, 0.1, 0.8]])]  # A->B and C->B oppose
    settings = ReadingSettings(rule="max", threshold=0.5)
    labels = LabelSet()
    gold_c = {"stances": [{"source": "C", "target": "B", "label": "oppose"}]}
    chosen, results = choose_exclusion(settings, [(reading, probs)], [gold_c], labels)
    assert chosen.exclude_within_side == ("oppose",)  # A->B oppose was wrong
    assert {tuple(r["exclude_within_side"]) for r in results} >= {(), ("oppose",)}
    gold_both = {"stances": [*gold_c["stances"], {"source": "A", "target": "B", "label": "oppose"}]}
    chosen, _ = choose_exclusion(settings, [(reading, probs)], [gold_both], labels)
    assert chosen.exclude_within_side == ()  # it was right: nothing left out


def test_calibrate_fits_on_log_odds_and_keeps_the_same_edges():
    import numpy as np

    from stance.actors import Actors
    from stance.document import Pass, Reading
    from stance.encoding import Group, ModelInput
    from stance.mentions import MentionSearch
    from stance.schema import LabelSet, ReadingSettings
    from training.reading import calibrate, found_edges

    text = "A hit B. C hit B. D met A."
    group = Group(text, ["A", "B", "C", "D"], [((0, 1),), ((6, 7),), ((9, 10),), ((18, 19),)],
                  [(0, 1), (2, 1), (3, 0), (1, 3)])  # fmt: skip
    reading = Reading(text, Actors.coerce(["A", "B", "C", "D"]), MentionSearch(()),
                      [Pass(0, len(text), group, ModelInput([], []))])  # fmt: skip
    # A->B oppose 0.9 (right), C->B oppose 0.7 (right), D->A oppose 0.6 (wrong), B->D 0.55 (wrong)
    probs = [np.array([[0.05, 0.05, 0.9], [0.2, 0.1, 0.7], [0.3, 0.1, 0.6], [0.35, 0.1, 0.55]])]
    gold = {"stances": [{"source": "A", "target": "B", "label": "oppose"},
                        {"source": "C", "target": "B", "label": "oppose"}]}  # fmt: skip
    labels, scored = LabelSet(), [(reading, probs)]
    settings = ReadingSettings(rule="max", threshold=0.6)
    calibrated = calibrate(settings, scored, [gold], labels)
    assert calibrated.calibration is not None and calibrated.calibration_input == "log_odds"
    assert found_edges(scored, labels, calibrated) == found_edges(scored, labels, settings)
    assert len(found_edges(scored, labels, calibrated)[0]) == 3  # 0.6 itself still passes
