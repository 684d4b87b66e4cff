from __future__ import annotations

import pytest

from training.config import load_config

ROOT_CONFIGS = [
    "configs/default.yaml",
    "configs/dse-minilm.yaml",
    "configs/dse-mpnet.yaml",
    "configs/tiny.yaml",
]


@pytest.mark.parametrize("path", ROOT_CONFIGS)
def test_shipped_configs_load(path):
    from conftest import ROOT

    config = load_config(ROOT / path)
    assert config.model.encoder in {"minilm", "mpnet"}


def test_unknown_key_fails_with_a_clear_message(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("train:\n  learning_rte: 1.0e-5\n")
    with pytest.raises(
        ValueError, match=r"c.yaml.train: unknown key\(s\) \['learning_rte'\]; known keys are"
    ):
        load_config(path)
    path.write_text("trian:\n  epochs: 1\n")
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['trian'\]"):
        load_config(path)


def test_overrides_and_types(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("train:\n  epochs: 2\n")
    config = load_config(
        path, ["train.learning_rate=3.0e-5", "model.head_hidden=64", "data.test={a: b.jsonl}"]
    )
    assert config.train.learning_rate == 3e-5 and config.train.epochs == 2
    assert config.model.head_hidden == 64 and config.data.test == {"a": "b.jsonl"}
    with pytest.raises(ValueError, match=r"train.epochs: expected int, found 'three'"):
        load_config(path, ["train.epochs=three"])
    with pytest.raises(ValueError, match=r"not of the form section\.key=value"):
        load_config(path, ["train.epochs"])


def test_unquoted_no_is_the_word_not_false(tmp_path):
    # YAML 1.1 reads `mixed_precision: no` as false; Accelerate's option is the word.
    path = tmp_path / "c.yaml"
    path.write_text("train:\n  mixed_precision: no\n")
    assert load_config(path).train.mixed_precision == "no"
    assert load_config(None, ["train.mixed_precision=no"]).train.mixed_precision == "no"
    with pytest.raises(ValueError, match=r"expected one of .*found True"):
        load_config(None, ["train.mixed_precision=yes"])


def test_resolved_config_round_trips(tmp_path):
    config = load_config(None, ["train.epochs=7"])
    config.save(tmp_path / "resolved.yaml")
    assert load_config(tmp_path / "resolved.yaml") == config
