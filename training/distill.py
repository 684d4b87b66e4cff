"""Knowledge distillation from a teacher model (Hinton, Vinyals and Dean 2015).

The fast way to score a text is ``all_pairs`` mode: one encoder pass scores every ordered
pair. The accurate way is ``pair`` mode: one pass per pair, with the source and the target
marked apart, so every layer knows which two actors it is asked about. A pair-mode model
is the natural teacher for an all-pairs student: the student keeps its one-pass speed and
learns from the teacher's view of each pair.

``train.distill_from`` names a trained model directory. Before the first epoch the
teacher reads every training unit through the one planner, as the student does, and
scores every directed training example in its own mode (its calibrated
probabilities are the soft targets; they are cached in the run directory, so a resumed
run does not score them again). Each step then minimises

    (1 - w) * cross_entropy(student, gold) + w * KL(teacher || student)

with ``w = train.distill_weight``. An example the teacher cannot encode keeps its gold
label alone (its soft target is the one-hot gold label).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch.nn import functional as F

from stance.classifier import StanceClassifier
from stance.schema import LabelSet

if TYPE_CHECKING:
    from training.data import Split

logger = logging.getLogger(__name__)


def teacher_probabilities(
    teacher_dir: str | Path,
    split: Split,
    labels: LabelSet,
    cache: Path,
    device: torch.device | str | None = None,
    batch_size: int = 64,
) -> np.ndarray:
    """The teacher's calibrated probabilities ``[len(split.examples), len(labels)]``.

    The teacher reads the split's units (each passage with all its actors known, each
    directed example with its pair), planned in the teacher's own mode.

    Columns follow ``labels``; the result is cached at ``cache`` (``.npy``, with a
    ``.json`` beside it naming the teacher) and reused only for the same teacher and
    the same number of examples.

    Raises:
        ValueError: The teacher's labels are not the student's.
    """
    examples = split.examples
    source = {"teacher": str(Path(teacher_dir).resolve()), "examples": len(examples)}
    record = cache.with_suffix(".json")
    if cache.is_file() and record.is_file() and json.loads(record.read_text()) == source:
        probs = np.load(cache)
        if probs.shape == (len(examples), len(labels)):
            logger.info("Teacher probabilities from %s", cache)
            return probs
    teacher = StanceClassifier.from_pretrained(teacher_dir, device=device, precision="float32")
    if set(teacher.labels) != set(labels):
        raise ValueError(
            f"train.distill_from: the teacher {teacher_dir} has labels {list(teacher.labels)}, "
            f"the student {list(labels)}. Distil from a model trained on the same labels."
        )
    logger.info(
        "Scoring %d training examples with the teacher %s (%s mode)",
        len(examples),
        teacher_dir,
        teacher.config.mode,
    )
    columns = [teacher.labels.id(name) for name in labels]
    probs = np.zeros((len(examples), len(labels)), dtype=np.float32)
    failed = 0
    scored = teacher.score_units(split.units, batch_size=batch_size, progress=True)
    for unit, result in zip(split.units, scored):
        for k, row in enumerate(unit.rows):
            if isinstance(result, ValueError):
                probs[row, labels.id(str(examples[row].label))] = 1.0
                failed += 1
            else:
                probs[row] = result[k][columns]
    if failed:
        logger.warning(
            "The teacher could not score %d of %d examples; they keep their gold label.",
            failed,
            len(examples),
        )
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, probs)
    record.write_text(json.dumps(source))
    return probs


def distillation_loss(logits: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """``KL(teacher || softmax(logits))``, averaged over the pairs of the batch."""
    return F.kl_div(F.log_softmax(logits.float(), dim=-1), teacher, reduction="batchmean")
