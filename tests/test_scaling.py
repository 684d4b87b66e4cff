"""Scaling out: the Ray Data engine and the Accelerate training path, on this machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

from stance.batch import predict_file
from stance.classifier import StanceClassifier


@pytest.fixture
def local_ray():
    """A local Ray for one test, shut down right after so it holds no CPU for the rest."""
    ray = pytest.importorskip("ray")
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_ray_engine_matches_the_local_engine_byte_for_byte(local_ray, tiny_classifier, tmp_path):
    from stance.distributed import predict_file_ray

    model = tmp_path / "model"
    tiny_classifier.save_pretrained(model)
    texts = [
        "Turkey says Haftar can no longer be trusted, Egypt said.",
        "Russia praised Qatar after Egypt condemned Libya.",
    ]
    actors = [
        ("Turkey", "Haftar"),
        ("Egypt", "Turkey"),
        ("Haftar", "Egypt"),
        ("Qatar", "Russia"),
        ("Egypt", "Libya"),
    ]
    lines = []
    for i in range(1000):
        if i % 100 == 3:
            lines.append('{"text": "unterminated')
        elif i % 100 == 5:
            lines.append(
                json.dumps(
                    {"text": texts[0], "source": "Turkey", "target": "Brazil", "id": f"r{i}"}
                )
            )
        else:
            source, target = actors[i % 5]
            lines.append(
                json.dumps(
                    {"text": texts[i % 5 // 3], "source": source, "target": target, "id": f"r{i}"}
                )
            )
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    clf = StanceClassifier.from_pretrained(model, device="cpu")
    predict_file(clf, source, tmp_path / "local.jsonl", chunk_size=128, progress=False)
    written = predict_file_ray(
        str(model), str(source), tmp_path / "ray.jsonl", chunk_size=128, device="cpu"
    )
    assert written == 1000
    local, remote = (tmp_path / "local.jsonl").read_bytes(), (tmp_path / "ray.jsonl").read_bytes()
    assert local == remote
    errors = [
        json.loads(line) for line in remote.decode().splitlines() if json.loads(line)["error"]
    ]
    assert len(errors) == 20
    # An existing output is refused unless --overwrite says to replace it.
    with pytest.raises(FileExistsError, match="--overwrite"):
        predict_file_ray(str(model), str(source), tmp_path / "ray.jsonl", chunk_size=128)
    assert (tmp_path / "ray.jsonl").read_bytes() == remote
    assert predict_file_ray(str(model), str(source), tmp_path / "ray.jsonl", chunk_size=128,
                            overwrite=True, device="cpu") == 1000  # fmt: skip
    # Parquet: the same table, scores a struct of the labels, on both engines.
    import pyarrow as pa
    import pyarrow.parquet as pq

    predict_file(clf, source, tmp_path / "local.parquet", chunk_size=128, progress=False)
    predict_file_ray(
        str(model), str(source), tmp_path / "ray.parquet", chunk_size=128, device="cpu"
    )
    local_table, ray_table = (
        pq.read_table(tmp_path / "local.parquet"),
        pq.read_table(tmp_path / "ray.parquet"),
    )
    assert ray_table.equals(local_table)
    assert pa.types.is_struct(ray_table.schema.field("predicted_scores").type)


def accelerate_launch(tiny_encoder_dir, tmp_path, processes):
    """`accelerate launch` for one process; for two CPU processes torchrun, since
    `accelerate launch --cpu` starts one process only (the Accelerator inside is the same)."""
    run = tmp_path / f"run{processes}"
    if processes == 1:
        launcher = [sys.executable, "-m", "accelerate.commands.launch", "--cpu", "--num_processes", "1",
                    "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"]  # fmt: skip
    else:
        launcher = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node",
            str(processes),
        ]
    command = [
        *launcher,
        "-m", "training.train", "--config", str(ROOT / "configs/tiny.yaml"),
        "--set", f"model.encoder={tiny_encoder_dir}", "--set", f"train.output_dir={run}",
        "--set", f"data.train={ROOT / 'data/corpus/train.jsonl'}",
        "--set", f"data.validation={ROOT / 'data/corpus/validation.jsonl'}",
        "--set", "train.max_steps=4", "--set", "train.device=cpu",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    return run


THREADS_PROBE = """
import sys
if sys.argv[1] == "stance":
    import stance
import torch
g = torch.Generator().manual_seed(0)
differ = 0
for k in (1152, 1536):
    w, b = torch.randn(384, k, generator=g), torch.randn(384, generator=g)
    for m in range(1, 400, 37):
        x = torch.randn(m, k, generator=g)
        out = []
        for threads in (1, 2):
            torch.set_num_threads(threads)
            out.append(torch.nn.functional.linear(x, w, b))
        differ += not torch.equal(*out)
print(differ)
"""


def test_scores_do_not_depend_on_the_thread_count():
    """A Ray worker with one CPU and a local job with two must sum in the same order:
    importing stance asks MKL for that (MKL_CBWR), before torch's first product."""

    def differing(mode: str) -> int:
        env = {k: v for k, v in os.environ.items() if k != "MKL_CBWR"}
        run = subprocess.run([sys.executable, "-c", THREADS_PROBE, mode], env=env,
                             capture_output=True, text=True, check=True)  # fmt: skip
        return int(run.stdout.split()[-1])

    assert differing("stance") == 0
    if differing("torch alone") == 0:
        pytest.skip("this machine's MKL gives the same sums at any thread count anyway")


def test_accelerate_one_process_trains_and_the_checkpoint_loads(tiny_encoder_dir, tmp_path):
    run = accelerate_launch(tiny_encoder_dir, tmp_path, 1)
    clf = StanceClassifier.from_pretrained(run / "model", device="cpu")
    assert clf.config.metrics["processes"] == 1
    assert clf.predict("Turkey says Haftar can no longer be trusted.", "Turkey", "Haftar").label


def test_accelerate_one_process_matches_the_plain_path(tiny_encoder_dir, tmp_path):
    from training.config import load_config
    from training.train import train

    run = accelerate_launch(tiny_encoder_dir, tmp_path, 1)
    config = load_config(ROOT / "configs/tiny.yaml", [
        f"model.encoder={tiny_encoder_dir}", f"train.output_dir={tmp_path / 'plain'}",
        f"data.train={ROOT / 'data/corpus/train.jsonl'}", f"data.validation={ROOT / 'data/corpus/validation.jsonl'}",
        "train.max_steps=4", "train.device=cpu",
    ])  # fmt: skip
    plain = train(config)
    launched = json.loads((run / "metrics.json").read_text())
    assert launched["validation_macro_f1"] == pytest.approx(
        plain.metrics["validation_macro_f1"], abs=1e-6
    )


def test_accelerate_two_processes_train_data_parallel(tiny_encoder_dir, tmp_path):
    run = accelerate_launch(tiny_encoder_dir, tmp_path, 2)
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["processes"] == 2
    assert metrics["history"][-1]["step"] == 4  # the processes stepped together, 4 times
    import torch

    from stance.modeling import StanceConfig, build_model

    clf = StanceClassifier.from_pretrained(run / "model", device="cpu")
    trained = clf.model
    torch.manual_seed(clf.config.training["train"]["seed"])  # as train() seeds before building
    fresh, _ = build_model(StanceConfig.from_dict({**clf.config.to_dict(), "temperature": 1.0}))
    # The averaged gradients moved the weights away from where they started.
    assert not all(a.equal(b) for a, b in zip(trained.head.parameters(), fresh.head.parameters()))
