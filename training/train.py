"""Fine-tune a stance model from one YAML config.

    stance train --config configs/default.yaml [--set train.epochs=5] [--no-resume]
    python -m training.train --config configs/default.yaml

The run directory (``train.output_dir``) gets the resolved ``config.yaml``, a
``checkpoint/`` written after every epoch (training resumes from it), the best model by
validation macro-F1 in ``model/`` (calibrated once training ends), and ``metrics.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from stance.classifier import native_bfloat16
from stance.encoding import ModelInput, collate
from stance.modeling import StanceConfig, StanceModel, build_model, load_model, save_model
from training.config import Config, load_config
from training.consistency import Triangles, path_index, transitivity_loss
from training.data import Split, epoch_rows, prepare_split
from training.distill import distillation_loss, teacher_probabilities

logger = logging.getLogger(__name__)


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def length_grouped_batches(lengths: list[int], batch_size: int, seed: int) -> list[list[int]]:
    """Shuffle, then sort by length within chunks of 50 batches, so each batch pads little
    while the order of batches stays random."""
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    chunk = batch_size * 50
    batches = []
    for begin in range(0, len(order), chunk):
        part = sorted(order[begin : begin + chunk], key=lambda i: lengths[i])
        batches += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def make_batch(
    dataset: Any, indices: list[int], pad_id: int
) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    rows = dataset[indices]
    inputs = [ModelInput(ids, pos) for ids, pos in zip(rows["input_ids"], rows["actor_positions"])]
    pairs = [[tuple(p) for p in text_pairs] for text_pairs in rows["pairs"]]
    labels = torch.tensor([label for text_labels in rows["labels"] for label in text_labels])
    return collate(inputs, pairs, pad_id), labels


def class_weights(dataset: Any, n_labels: int, scheme: str) -> torch.Tensor | None:
    """Inverse-frequency weights (``inverse``), their square root (``sqrt``), or none."""
    if scheme == "none":
        return None
    counts = np.bincount(
        [lab for labels in dataset["labels"] for lab in labels], minlength=n_labels
    )
    counts = np.maximum(counts, 1).astype(float)
    weights = counts.sum() / (n_labels * counts)
    if scheme == "sqrt":
        weights = np.sqrt(weights)
    elif scheme != "inverse":
        raise ValueError(f"Unknown train.class_weights {scheme!r}; expected sqrt, inverse or none.")
    return torch.tensor(weights / weights.mean(), dtype=torch.float)


@torch.inference_mode()
def predict_logits(
    model: StanceModel, dataset: Any, pad_id: int, device: torch.device, batch_size: int = 64
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Logits, gold labels and example rows of every pair in a prepared split."""
    model.eval()
    order = sorted(range(len(dataset)), key=lambda i: dataset[i]["length"])
    logits, golds, rows = [], [], []
    for begin in range(0, len(order), batch_size):
        indices = order[begin : begin + batch_size]
        batch, labels = make_batch(dataset, indices, pad_id)
        out = model(**{k: v.to(device) for k, v in batch.items()})
        logits.append(out.float().cpu().numpy())
        golds.append(labels.numpy())
        rows += [r for i in indices for r in dataset[i]["rows"]]
    return np.concatenate(logits), np.concatenate(golds), rows


def macro_f1(logits: np.ndarray, golds: np.ndarray, n_labels: int) -> float:
    from sklearn.metrics import f1_score

    return float(
        f1_score(
            golds, logits.argmax(-1), labels=list(range(n_labels)), average="macro", zero_division=0
        )
    )


def fit_temperature(logits: np.ndarray, golds: np.ndarray) -> float:
    """Temperature scaling (Guo et al. 2017): one scalar that minimises validation NLL."""
    x = torch.tensor(logits, dtype=torch.float)
    y = torch.tensor(golds, dtype=torch.long)
    log_t = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200)

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(x / log_t.exp(), y)
        loss.backward()
        return loss

    optimizer.step(closure)
    fitted = float(log_t.detach().exp().clamp(0.05, 20.0))
    if not math.isfinite(fitted):
        # LBFGS can step into NaN on degenerate logits; no scaling beats a NaN one.
        logger.warning("Temperature scaling did not converge; keeping temperature 1.0.")
        return 1.0
    return fitted


@dataclass
class TrainResult:
    model_dir: Path
    metrics: dict[str, Any]


def resolve_precision(mixed_precision: str, cpu: bool) -> str:
    """Accelerate's ``mixed_precision`` for ``train.mixed_precision``, ``auto`` resolved:
    ``bf16`` where it is native to the device that trains (see :class:`TrainSection`)."""
    if mixed_precision != "auto":
        return mixed_precision
    if cpu:
        native = native_bfloat16()
    else:
        native = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    chosen = "bf16" if native else "no"
    logger.info("train.mixed_precision=auto: %s on this %s", chosen, "CPU" if cpu else "GPU")
    return chosen


def train(config: Config, resume: bool = True) -> TrainResult:
    """Train, select on validation macro-F1, calibrate, save. See the module docstring."""
    from accelerate import Accelerator

    t = config.train
    # One code path for one process and many: under `accelerate launch` each process takes
    # its share of the batches, and gradients are averaged across processes.
    cpu = t.device == "cpu" or (t.device is None and not torch.cuda.is_available())
    accelerator = Accelerator(cpu=cpu, mixed_precision=resolve_precision(t.mixed_precision, cpu))
    main = accelerator.is_main_process
    run = Path(t.output_dir)
    checkpoint = run / "checkpoint"
    resuming = resume and (checkpoint / "trainer_state.json").is_file()
    if resuming:
        check_resumable(run, config)
        finished = finished_metrics(run, config)
        if finished is not None:
            logger.info("%s has finished training; its model is %s", run, run / "model")
            return TrainResult(run / "model", finished)
    if main:
        run.mkdir(parents=True, exist_ok=True)
        config.save(run / "config.yaml")
    if t.torch_threads:
        torch.set_num_threads(t.torch_threads)
    set_seed(t.seed)
    device = accelerator.device

    stance_config = StanceConfig.from_settings(
        config.model,
        labels=list(config.data.labels),
        neutral=config.data.neutral,
        training=config.to_dict(),
    )
    state: dict[str, Any] = {"epoch": 0, "best": -1.0, "bad_epochs": 0, "history": []}
    if resuming:
        model, tokenizer = load_model(checkpoint, device)
        state = json.loads((checkpoint / "trainer_state.json").read_text())
        logger.info("Resuming from %s after epoch %d", checkpoint, state["epoch"])
    else:
        model, tokenizer = build_model(stance_config)
    model.to(device)
    markers = model.config.markers
    pad_id = tokenizer.pad_token_id or 0

    train_split = prepare_split(
        "train",
        config.data.train,
        config,
        tokenizer,
        markers,
        config.data.max_train_samples,
        training=True,
    )
    valid_split = prepare_split(
        "validation",
        config.data.validation,
        config,
        tokenizer,
        markers,
        config.data.max_eval_samples,
    )
    test_splits = [
        prepare_split(name, path, config, tokenizer, markers, config.data.max_eval_samples)
        for name, path in config.data.test.items()
    ]
    if main:
        _write_errors(run, [train_split, valid_split, *test_splits])
    n_labels = len(stance_config.labels)
    full_rows = [i for i, full in enumerate(train_split.dataset["full"]) if full]
    weights = class_weights(train_split.dataset.select(full_rows), n_labels, t.class_weights)
    loss_fn = nn.CrossEntropyLoss(weight=weights.to(device) if weights is not None else None)
    triangles, signs, pair_counts = None, (0, 0), []
    if t.consistency_weight > 0:
        label_set = stance_config.label_set
        missing = {"support", "oppose"} - set(label_set.labels)
        if missing:
            raise ValueError(
                f"train.consistency_weight needs the labels 'support' and 'oppose', but "
                f"data.labels is {list(label_set.labels)}. Set train.consistency_weight=0."
            )
        signs = (label_set.id("support"), label_set.id("oppose"))
        # Full readings come first in the dataset, so their indices are dataset rows.
        full_data = train_split.dataset.select(full_rows)
        triangles = Triangles.find(full_data["rows"], train_split.examples)
        pair_counts = [len(p) for p in full_data["pairs"]]
        logger.info("Transitive consistency over %d actor triangles", len(triangles.triangles))
        if not triangles.triangles:
            logger.warning("No actor triangles in the training data; the consistency loss is 0.")

    soft_targets, train_rows = None, []
    if t.distill_from:
        if not 0.0 <= t.distill_weight <= 1.0:
            raise ValueError(f"train.distill_weight must lie in [0, 1], found {t.distill_weight}.")
        # The main process scores and caches; the others then read the cache.
        cache = run / "teacher_probs.npy"
        if main:
            teacher_probabilities(
                t.distill_from, train_split, stance_config.label_set, cache, device
            )
        accelerator.wait_for_everyone()
        train_rows = train_split.dataset["rows"]
        soft_targets = torch.from_numpy(
            teacher_probabilities(
                t.distill_from, train_split, stance_config.label_set, cache, device
            )
        )

    lengths = train_split.dataset["length"]
    world, rank = accelerator.num_processes, accelerator.process_index

    # The rows of each epoch, known in advance (data.article_neutral_windows draws a fixed
    # number; data.article_shift's layouts differ by a window or so), so the schedule knows
    # its steps.
    rows_of = [
        epoch_rows(
            train_split.dataset,
            config.model.other_actors,
            t.seed + e,
            config.data.article_neutral_windows,
            e,
        )
        for e in range(t.epochs)
    ]
    total_steps = t.max_steps or sum(
        math.ceil(math.ceil(len(rows) / t.batch_size) // world / t.gradient_accumulation_steps)
        for rows in rows_of
    )
    head_params = [p for n, p in model.named_parameters() if n.startswith("head.")]
    decay = [p for n, p in model.named_parameters() if n.startswith("encoder.") and p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if n.startswith("encoder.") and p.ndim <= 1]
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": t.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
            {"params": head_params, "weight_decay": t.weight_decay, "lr": t.head_learning_rate},
        ],
        lr=t.learning_rate,
    )
    from transformers import get_linear_schedule_with_warmup

    scheduler = get_linear_schedule_with_warmup(
        optimizer, int(t.warmup_ratio * total_steps), total_steps
    )
    model, optimizer = accelerator.prepare(model, optimizer)
    if state["epoch"] and (checkpoint / "optimizer.pt").is_file():
        # weights_only: the optimizer state is tensors and numbers, never arbitrary objects.
        saved = torch.load(checkpoint / "optimizer.pt", map_location=device, weights_only=True)
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])

    step = state.get("step", 0)
    train_seconds, seen = 0.0, 0
    for epoch in range(state["epoch"], t.epochs):
        if state["bad_epochs"] >= t.early_stopping_patience or (
            t.max_steps and step >= t.max_steps
        ):
            break
        model.train()
        torch.manual_seed(t.seed + epoch)
        # Each epoch reads every unit once, as model.other_actors says (training/data.py).
        chosen = rows_of[epoch]
        if t.length_grouping:
            grouped = length_grouped_batches(
                [lengths[i] for i in chosen], t.batch_size, t.seed + epoch
            )
            batches = [[chosen[i] for i in batch] for batch in grouped]
        else:
            order = list(chosen)
            random.Random(t.seed + epoch).shuffle(order)
            batches = [order[i : i + t.batch_size] for i in range(0, len(order), t.batch_size)]
        if world > 1:  # the same number of batches on every process, or DDP waits forever
            batches = batches[: len(batches) - len(batches) % world][rank::world]
        bar = tqdm(batches, desc=f"epoch {epoch + 1}/{t.epochs}", unit="batch", disable=not main)
        triangle_rng = random.Random(t.seed + epoch + 1000 * rank)
        started = time.perf_counter()
        running = 0.0
        for index, indices in enumerate(bar):
            batch, labels = make_batch(train_split.dataset, indices, pad_id)
            logits = model(**{k: v.to(device) for k, v in batch.items()})
            # Scale the loss so accumulated gradients average over the effective batch.
            loss = loss_fn(logits, labels.to(device))
            if soft_targets is not None:
                pair_rows = [r for i in indices for r in train_rows[i]]
                teacher = soft_targets[pair_rows].to(device)
                loss = (1 - t.distill_weight) * loss + t.distill_weight * distillation_loss(
                    logits, teacher
                )
            if triangles is not None and triangles.triangles:
                rows, paths = triangles.sample(t.consistency_triangles, triangle_rng)
                if paths:
                    extra, _ = make_batch(train_split.dataset, rows, pad_id)
                    extra_logits = model(**{k: v.to(device) for k, v in extra.items()})
                    edges = path_index(rows, paths, pair_counts).to(device)
                    loss = loss + t.consistency_weight * transitivity_loss(
                        extra_logits, edges, *signs
                    )
            loss = loss / t.gradient_accumulation_steps
            accelerator.backward(loss)
            seen += len(indices)
            running = (
                0.9 * running + 0.1 * loss.item() * t.gradient_accumulation_steps
                if index
                else loss.item()
            )
            if (index + 1) % t.gradient_accumulation_steps == 0 or index + 1 == len(batches):
                accelerator.clip_grad_norm_(model.parameters(), t.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                step += 1
                bar.set_postfix(loss=f"{running:.4f}", step=step)
                if t.max_steps and step >= t.max_steps:
                    break
        train_seconds += time.perf_counter() - started
        plain = accelerator.unwrap_model(model)
        logits, golds, _ = predict_logits(plain, valid_split.dataset, pad_id, device)
        score = macro_f1(logits, golds, n_labels)
        state["history"].append({"epoch": epoch + 1, "step": step, "validation_macro_f1": score})
        logger.info("epoch %d: validation macro-F1 %.4f", epoch + 1, score)
        improved = score > state["best"]
        if improved:
            state["best"], state["bad_epochs"] = score, 0
        else:
            state["bad_epochs"] += 1
        state["epoch"], state["step"] = epoch + 1, step
        if main:
            if improved:
                save_model(plain, tokenizer, run / "model")  # calibrated at the end
            save_model(plain, tokenizer, checkpoint)
            torch.save(
                {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()},
                checkpoint / "optimizer.pt",
            )
            (checkpoint / "trainer_state.json").write_text(json.dumps(state, indent=2))
        accelerator.wait_for_everyone()

    accelerator.wait_for_everyone()
    best, tokenizer = load_model(run / "model", device)
    logits, golds, _ = predict_logits(best, valid_split.dataset, pad_id, device)
    if t.calibrate:
        best.config.temperature = fit_temperature(logits, golds)
    metrics: dict[str, Any] = {
        "validation_macro_f1": macro_f1(logits, golds, n_labels),
        "best_epoch": max(state["history"], key=lambda h: h["validation_macro_f1"])["epoch"]
        if state["history"]
        else None,
        "epochs_run": len(state["history"]),
        "train_seconds": round(train_seconds, 1),
        "train_texts_per_second": round(seen / train_seconds, 2)
        if train_seconds and seen
        else None,
        "train_examples": len(train_split.examples),
        "train_texts": len(full_rows),
        "processes": world,
    }
    if config.model.mode == "all_pairs":
        # The same validation examples read as predict() reads them: each pair alone.
        alone = prepare_split("validation (two known)", config.data.validation, config,
                              tokenizer, markers, config.data.max_eval_samples, training=True,
                              two_known=True)  # fmt: skip
        two_logits, two_golds, _ = predict_logits(best, two_known_rows(alone), pad_id, device)
        metrics["validation_two_known_macro_f1"] = macro_f1(two_logits, two_golds, n_labels)
    if config.data.validation_articles:
        from stance.classifier import StanceClassifier
        from training.articles import read_jsonl
        from training.reading import candidates, choose_reading, describe

        records = read_jsonl(Path(config.data.validation_articles))
        options = candidates(config.model.max_length, tuple(config.data.reading_windows))
        logger.info("Choosing how to read an article on %d validation articles", len(records))
        choosing = time.perf_counter()
        reading, sweep = choose_reading(StanceClassifier(best, tokenizer, device), records, options)
        metrics["reading_seconds"] = round(time.perf_counter() - choosing, 1)
        best.config.reading = reading
        top = max(sweep, key=lambda r: (r["f1"], -r["seconds"]))
        metrics["reading"] = describe(reading)
        metrics["validation_articles_edge_f1"] = top["f1"]
    # Reported, never used for selection.
    for split in test_splits:
        test_logits, test_golds, _ = predict_logits(best, split.dataset, pad_id, device)
        metrics[f"{split.name}_macro_f1"] = macro_f1(test_logits, test_golds, n_labels)
    best.config.metrics = metrics
    best.config.training = {
        **config.to_dict(),
        "data": _data_summary(config, train_split, valid_split),
    }
    model_dir = run / "model"
    if main:
        save_model(best, tokenizer, model_dir)
        (run / "metrics.json").write_text(
            json.dumps({**metrics, "history": state["history"]}, indent=2)
        )
    accelerator.wait_for_everyone()
    return TrainResult(model_dir, metrics)


CHANGEABLE_ON_RESUME = {"train.device", "train.torch_threads", "train.output_dir", "data.test"}
"""Config keys a resumed run may change: where it runs and lives, and what it reports at the end."""


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat = {}
    for key, value in data.items():
        if isinstance(value, dict) and prefix == "":
            flat.update(_flatten(value, f"{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def check_resumable(run: Path, config: Config) -> None:
    """Refuse to resume ``run`` under a config other than the one that made it.

    Raises:
        ValueError: Naming every key that differs, and the two ways out.
    """
    saved_path = run / "config.yaml"
    if not saved_path.is_file():
        raise ValueError(
            f"{run} has a checkpoint but no config.yaml saying what made it, so it cannot be "
            "resumed safely. Start over with --no-resume, or set a new train.output_dir."
        )
    import yaml

    saved = _flatten(yaml.safe_load(saved_path.read_text(encoding="utf-8")) or {})
    wanted = _flatten(config.to_dict())
    differ = sorted(
        key
        for key in set(saved) | set(wanted)
        if key not in CHANGEABLE_ON_RESUME and saved.get(key) != wanted.get(key)
    )
    if differ:
        changes = "; ".join(f"{k}: {saved.get(k)!r} -> {wanted.get(k)!r}" for k in differ)
        raise ValueError(
            f"{run} was trained with another config, so its checkpoint cannot be resumed "
            f"under this one ({changes}). Start over with --no-resume, or set a new "
            "train.output_dir (e.g. --set train.output_dir=runs/NEW)."
        )


def finished_metrics(run: Path, config: Config) -> dict[str, Any] | None:
    """The metrics of a run that has already finished under this config, else ``None``."""
    state = json.loads((run / "checkpoint" / "trainer_state.json").read_text())
    t = config.train
    done = (
        state["epoch"] >= t.epochs
        or state["bad_epochs"] >= t.early_stopping_patience
        or bool(t.max_steps and state.get("step", 0) >= t.max_steps)
    )
    metrics_path = run / "metrics.json"
    if not done or not metrics_path.is_file():
        return None
    metrics = json.loads(metrics_path.read_text())
    metrics.pop("history", None)
    return dict(metrics)


def two_known_rows(split: Split) -> Any:
    """The rows of a split prepared with ``two_known`` that read every example with only
    its own pair known: the two-known readings, and the units that have two actors."""
    dataset = split.dataset
    has_alone = {u for u, full in zip(dataset["unit"], dataset["full"]) if not full}
    keep = [
        i
        for i, (u, full) in enumerate(zip(dataset["unit"], dataset["full"]))
        if not full or u not in has_alone
    ]
    return dataset.select(keep)


def _data_summary(config: Config, *splits: Split) -> str:
    parts = [f"format `{config.data.format}`"]
    parts += [f"{s.name}: `{s.path}` ({len(s.examples)} directed examples)" for s in splits]
    return "; ".join(parts)


def _write_errors(run: Path, splits: list[Split]) -> None:
    lines = [str(error) for split in splits for error in split.errors]
    path = run / "data_errors.txt"
    if lines:
        path.write_text("\n".join(lines) + "\n")
        logger.warning("%d data rows could not be used; see %s", len(lines), path)
    elif path.exists():
        path.unlink()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="YAML config (see configs/).")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="Override a config value, e.g. --set train.learning_rate=3.0e-5 (repeatable).",
    )  # fmt: skip
    parser.add_argument(
        "--no-resume", action="store_true", help="Start over even if a checkpoint exists."
    )


def run_cli(args: argparse.Namespace) -> int:
    config = load_config(args.config, args.overrides)
    result = train(config, resume=not args.no_resume)
    print(json.dumps({"model": str(result.model_dir), **result.metrics}, indent=2))
    return 0


def register_cli(subparsers: Any) -> None:
    """Plug ``stance train`` into the ``stance`` command (an entry point, see pyproject)."""
    parser = subparsers.add_parser("train", help="Fine-tune a model from a YAML config.")
    add_arguments(parser)
    parser.set_defaults(func=run_cli)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.train", description=__doc__)
    add_arguments(parser)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return run_cli(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
