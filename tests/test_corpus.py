"""The bundled corpus is valid, big enough, and its splits are built from the raw passages."""

from __future__ import annotations

import json
import shutil

from conftest import ROOT

from training.corpus import build, near_duplicates, raw_to_passage, validate


def test_bundled_corpus_passes_the_validator():
    report = validate()
    assert report.problems == []
    counts = report.counts
    assert counts["passages"] >= 800
    assert counts["labels"]["support"] + counts["labels"]["oppose"] >= 3000
    assert len(counts["topics"]) >= 6
    assert min(counts["phenomena"].values()) >= 100


def test_splits_are_up_to_date_with_the_raw_passages(tmp_path):
    shutil.copytree(ROOT / "data/corpus/raw", tmp_path / "raw")
    build(tmp_path)
    for name in ("train", "validation", "test"):
        assert (tmp_path / f"{name}.jsonl").read_text() == (
            ROOT / f"data/corpus/{name}.jsonl"
        ).read_text(), name


def test_raw_surface_strings_become_longest_match_spans():
    try:
        raw_to_passage(
            {
                "id": "x",
                "text": "The LNA attacked.",
                "actors": {"LNA": ["LNA"], "UN": ["UN"]},
                "stances": [],
            }
        )
    except ValueError as err:
        assert "actor 'UN' has no surface string" in str(err)
    else:
        raise AssertionError("an actor absent from the text must be refused")
    passage = raw_to_passage({
        "id": "y", "text": "The Libyan National Army shelled Libya's capital; the LNA denied it.",
        "actors": {"Libyan National Army": ["Libyan National Army", "LNA"], "Libya": ["Libya"]},
        "stances": [["Libyan National Army", "Libya", "oppose"]],
    })  # fmt: skip
    spans = {a.name: [passage.text[s:e] for s, e in a.spans] for a in passage.actors}
    assert spans == {"Libyan National Army": ["Libyan National Army", "LNA"], "Libya": ["Libya"]}


def test_near_duplicate_detection():
    from stance.schema import ActorMentions, Passage

    text = "Turkey accused Egypt of arming the LNA near Sirte on Tuesday, officials said."
    a = Passage(text, (ActorMentions("Turkey", ((0, 6),)),), id="a")
    b = Passage(text.replace("Tuesday", "Monday"), (ActorMentions("Turkey", ((0, 6),)),), id="b")
    assert [(x, y) for x, y, _ in near_duplicates([a, b], threshold=0.3)] == [("a", "b")]
    assert json.dumps(near_duplicates([a], 0.3)) == "[]"
