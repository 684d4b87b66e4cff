"""Shared fixtures: a tiny random BERT built in code, and small data files."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no test may reach a model hub
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Every machine computes alike in the tests, whatever bfloat16 its CPU has (subprocesses
# and Ray workers inherit it); tests/test_model.py checks the default without it.
os.environ["STANCE_PRECISION"] = "float32"

DSE_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "dse"
ROOT = Path(__file__).resolve().parents[1]

WORDS = [
    "the",
    "a",
    "an",
    "of",
    "to",
    "in",
    "on",
    "and",
    "or",
    "but",
    "with",
    "for",
    "from",
    "by",
    "at",
    "as",
    "is",
    "was",
    "were",
    "be",
    "has",
    "have",
    "had",
    "not",
    "no",
    "says",
    "said",
    "say",
    "accused",
    "backed",
    "supports",
    "support",
    "opposes",
    "oppose",
    "condemned",
    "praised",
    "attacked",
    "struck",
    "welcomed",
    "rejected",
    "criticised",
    "trust",
    "trusted",
    "can",
    "longer",
    "government",
    "forces",
    "president",
    "minister",
    "spokesman",
    "army",
    "talks",
    "held",
    "met",
    "ceasefire",
    "troops",
    "drones",
    "sanctions",
    "aid",
    "turkey",
    "haftar",
    "egypt",
    "russia",
    "qatar",
    "libya",
    "un",
    "eu",
    "gna",
    "lna",
    "ankara",
    "cairo",
    "moscow",
    "europe",
    "kremlin",
    "united",
    "nations",
    "european",
    "union",
    "arab",
    "emirates",
    "national",
    "accord",
    "libyan",
    "general",
    "field",
    "marshal",
    "brazil",
    "chile",
    "peru",
    "mali",
    "niger",
    "france",
    "spain",
    "italy",
    "court",
    "union",
    "company",
    "strike",
    "league",
]


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random 2-layer BERT with hidden size 32 and a word-level vocabulary, saved as a
    directory so it loads through the same path as any real encoder."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    directory = tmp_path_factory.mktemp("tiny-bert")
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = list("abcdefghijklmnopqrstuvwxyz0123456789.,'’\"-:;!?()")
    vocab = special + WORDS + chars + [f"##{c}" for c in "abcdefghijklmnopqrstuvwxyz0123456789"]
    vocab = list(dict.fromkeys(vocab))
    (directory / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=str(directory / "vocab.txt"), do_lower_case=True)
    tokenizer.save_pretrained(directory)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512)  # fmt: skip
    BertModel(config).save_pretrained(directory, safe_serialization=True)
    return directory


@pytest.fixture
def tiny_config(tiny_encoder_dir: Path):
    """Training configs for the tiny encoder on the bundled corpus:
    ``tiny_config(directory, *overrides)`` trains into ``directory / "run"``."""
    from training.config import load_config

    def make(directory: Path, *extra: str):
        return load_config(
            ROOT / "configs/tiny.yaml",
            [f"model.encoder={tiny_encoder_dir}", f"train.output_dir={directory / 'run'}",
             f"data.train={ROOT / 'data/corpus/train.jsonl'}",
             f"data.validation={ROOT / 'data/corpus/validation.jsonl'}", *extra],
        )  # fmt: skip

    return make


@pytest.fixture(scope="session")
def _tiny_model_session(tiny_encoder_dir: Path):
    from stance.modeling import StanceConfig, build_model

    return build_model(StanceConfig(encoder=str(tiny_encoder_dir), max_length=128))


@pytest.fixture
def tiny_model(_tiny_model_session):
    """A fresh (model, tokenizer) pair per test: a deep copy of the session's."""
    model, tokenizer = _tiny_model_session
    return copy.deepcopy(model), copy.deepcopy(tokenizer)


@pytest.fixture
def tiny_classifier(tiny_model):
    from stance.classifier import StanceClassifier

    model, tokenizer = tiny_model
    return StanceClassifier(model, tokenizer, device="cpu")


PASSAGES = [
    {"id": "t1", "text": "Turkey says Haftar can no longer be trusted, and Egypt backed Haftar.",
     "actors": [{"name": "Turkey", "mentions": [[0, 6]]}, {"name": "Haftar", "mentions": [[12, 18], [62, 68]]},
                {"name": "Egypt", "mentions": [[49, 54]]}],
     "stances": [{"source": "Turkey", "target": "Haftar", "label": "oppose"},
                 {"source": "Egypt", "target": "Haftar", "label": "support"}]},
    {"id": "t2", "text": "Russia praised the ceasefire while Qatar condemned the strikes on Libya.",
     "actors": [{"name": "Russia", "mentions": [[0, 6]]}, {"name": "Qatar", "mentions": [[35, 40]]},
                {"name": "Libya", "mentions": [[66, 71]]}],
     "stances": [{"source": "Qatar", "target": "Libya", "label": "support"}]},
]  # fmt: skip


@pytest.fixture
def passages_file(tmp_path: Path) -> Path:
    path = tmp_path / "passages.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in PASSAGES))
    return path
