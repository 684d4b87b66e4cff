"""`stance predict`: streaming batch prediction, error rows, and resume after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stance.batch import COLUMNS, predict_file

GOOD = {
    "text": "Turkey says Haftar can no longer be trusted.",
    "source": "Turkey",
    "target": "Haftar",
}


def write_input(path: Path, n: int, bad_every: int = 0) -> list[str]:
    lines = []
    for i in range(n):
        if bad_every and i % bad_every == 3:
            lines.append('{"text": broken json')
        elif bad_every and i % bad_every == 5:
            lines.append(json.dumps({**GOOD, "target": "Brazil", "id": f"r{i}"}))
        elif bad_every and i % bad_every == 7:
            lines.append(json.dumps({"text": GOOD["text"], "id": f"r{i}"}))
        else:
            lines.append(json.dumps({**GOOD, "id": f"r{i}"}))
    path.write_text("\n".join(lines) + "\n")
    return lines


def read_output(path: Path) -> list[dict]:
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text().splitlines()]
    if path.suffix == ".csv":
        import csv

        with path.open() as handle:
            return list(csv.DictReader(handle))
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_one_output_row_per_input_row_with_error_rows(tiny_classifier, tmp_path, suffix):
    source = tmp_path / "in.jsonl"
    write_input(source, 40, bad_every=10)
    out = tmp_path / f"out{suffix}"
    state = predict_file(tiny_classifier, source, out, chunk_size=7, progress=False)
    rows = read_output(out)
    assert state.rows == 40 and len(rows) == 40
    assert [int(r["row"]) for r in rows] == list(range(1, 41))
    assert list(rows[0]) == list(COLUMNS)
    errors = {int(r["row"]): r["error"] for r in rows if r["error"]}
    assert "malformed JSON" in errors[4] and "'Brazil' is not mentioned" in errors[6]
    assert "missing column(s) ['source', 'target']" in errors[8]
    assert all(
        r["predicted_label"] in {"neutral", "support", "oppose"} for r in rows if not r["error"]
    )


def test_existing_output_is_not_overwritten_by_accident(tiny_classifier, tmp_path):
    source = tmp_path / "in.jsonl"
    write_input(source, 3)
    predict_file(tiny_classifier, source, tmp_path / "out.jsonl", progress=False)
    with pytest.raises(FileExistsError, match="--resume"):
        predict_file(tiny_classifier, source, tmp_path / "out.jsonl", progress=False)
    assert (
        predict_file(
            tiny_classifier, source, tmp_path / "out.jsonl", overwrite=True, progress=False
        ).rows
        == 3
    )


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_killed_job_resumes_with_every_row_exactly_once(tiny_classifier, tmp_path, suffix):
    model = tmp_path / "model"
    tiny_classifier.save_pretrained(model)
    source = tmp_path / "in.jsonl"
    n = 6000
    write_input(source, n, bad_every=97)
    out = tmp_path / f"out{suffix}"
    progress = out.with_name(out.name + ".progress.json")
    command = [sys.executable, "-m", "stance.cli", "predict", "--model", str(model), "--input", str(source),
               "--output", str(out), "--chunk-size", "64", "--device", "cpu"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    job = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        if progress.exists() and json.loads(progress.read_text())["rows"] >= 128:
            break
        time.sleep(0.05)
    job.send_signal(signal.SIGKILL)
    job.wait()
    done = json.loads(progress.read_text())
    assert 0 < done["rows"] < n, "the job should have been killed part-way"
    assert (
        subprocess.run([*command, "--resume"], env=env, stderr=subprocess.DEVNULL).returncode == 0
    )
    rows = read_output(out)
    assert [int(r["row"]) for r in rows] == list(range(1, n + 1))
    assert sum(1 for r in rows if r["error"]) == sum(1 for i in range(n) if i % 97 in (3, 5, 7))
    assert json.loads(progress.read_text())["complete"] is True


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet", ".csv"])
def test_scores_are_an_object_and_ids_keep_their_type(tiny_classifier, tmp_path, suffix):
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({**GOOD, "id": 17}) + "\n" + json.dumps({**GOOD, "target": "Brazil", "id": 18})
        + "\n" + json.dumps(GOOD) + "\n"
    )  # fmt: skip
    out = tmp_path / f"out{suffix}"
    predict_file(tiny_classifier, source, out, chunk_size=2, progress=False)
    rows = read_output(out)
    labels = {"neutral", "support", "oppose"}
    if suffix == ".csv":  # CSV has no types: scores are JSON text, ids text
        assert [r["id"] for r in rows] == ["17", "18", ""]
        assert set(json.loads(rows[0]["predicted_scores"])) == labels
        return
    assert [r["id"] for r in rows] == [17, 18, None]  # integers, not "17"
    assert set(rows[0]["predicted_scores"]) == labels
    assert abs(sum(rows[0]["predicted_scores"].values()) - 1) < 1e-4
    assert rows[1]["predicted_scores"] is None and rows[1]["error"]  # the bad row
    if suffix == ".parquet":
        schema = pq.read_schema(out)
        assert schema.field("id").type == pa.int64()
        assert pa.types.is_struct(schema.field("predicted_scores").type)


def test_text_ids_in_one_part_make_the_whole_parquet_id_column_text(tiny_classifier, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({**GOOD, "id": 1}) + "\n" + json.dumps({**GOOD, "id": "b-2"}) + "\n"
    )
    out = tmp_path / "out.parquet"
    predict_file(tiny_classifier, source, out, chunk_size=1, progress=False)
    assert pq.read_schema(out).field("id").type == pa.string()
    assert [r["id"] for r in read_output(out)] == ["1", "b-2"]
