from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import DSE_DIR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stance.io import (
    DataError,
    dse_label,
    from_dataset,
    load_dse,
    load_examples,
    load_passages,
    parse_dse_sentence,
    to_dataset,
)
from stance.schema import LabelSet

ROWS = [
    {"text": "Turkey says Haftar can no longer be trusted.", "source": "Turkey", "target": "Haftar", "label": "oppose", "id": "a"},
    {"text": "Egypt backed Haftar.", "source": "Egypt", "target": "Haftar", "label": "support", "id": "b"},
]  # fmt: skip


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def write_csv(path: Path, rows) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize("suffix", ["jsonl", "csv", "parquet"])
def test_formats_load_the_same_examples(tmp_path, suffix):
    path = tmp_path / f"data.{suffix}"
    if suffix == "jsonl":
        write_jsonl(path, ROWS)
    elif suffix == "csv":
        write_csv(path, ROWS)
    else:
        import pandas as pd

        pd.DataFrame(ROWS).to_parquet(path)
    loaded = load_examples(path)
    assert [(e.source, e.target, e.label, e.id) for e in loaded] == [
        ("Turkey", "Haftar", "oppose", "a"),
        ("Egypt", "Haftar", "support", "b"),
    ]


def test_column_mapping(tmp_path):
    rows = [
        {"sentence": r["text"], "holder": r["source"], "about": r["target"], "y": r["label"]}
        for r in ROWS
    ]
    loaded = load_examples(write_jsonl(tmp_path / "d.jsonl", rows),
                           columns={"sentence": "text", "holder": "source", "about": "target", "y": "label"})  # fmt: skip
    assert loaded[0].text.startswith("Turkey") and loaded[1].label == "support"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            {"text": "Turkey and Egypt", "source": "Turkey"},
            r"line 1: missing column\(s\) \['target'\].*column mapping",
        ),
        ({**ROWS[0], "label": "against"}, r"line 1: unknown label 'against'; expected one of"),
        ({**ROWS[0], "text": "   "}, r"line 1: The text is empty"),
        ({**ROWS[0], "target": "Turkey"}, r"line 1: The source and target are the same actor"),
        (
            {**ROWS[0], "source_spans": [[0, 99]]},
            r"line 1: Source span \(0, 99\) does not fit the text",
        ),
        ('{"text": "broken', r"line 1: malformed JSON"),
        ("[1, 2]", r"line 1: expected a JSON object"),
    ],
)
def test_bad_rows_raise_with_file_line_and_fix(tmp_path, row, message):
    path = write_jsonl(tmp_path / "bad.jsonl", [row])
    with pytest.raises(DataError, match=message) as info:
        load_examples(path, labels=LabelSet())
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_csv_wrong_cell_count_names_the_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text,source,target\nTurkey and Egypt,Turkey,Egypt\nonly,two\n")
    with pytest.raises(DataError, match=r"bad.csv, line 3: expected 3 cells"):
        load_examples(path)


def test_lenient_mode_keeps_good_rows_and_reports_bad_ones(tmp_path):
    path = write_jsonl(
        tmp_path / "mixed.jsonl", [ROWS[0], '{"oops', {**ROWS[1], "label": "x"}, ROWS[1]]
    )
    loaded = load_examples(path, labels=LabelSet(), lenient=True)
    assert len(loaded) == 2
    assert [e.row for e in loaded.errors] == [2, 3]
    assert "malformed JSON" in loaded.report() and "unknown label 'x'" in loaded.report()


def test_unknown_extension_is_refused(tmp_path):
    with pytest.raises(DataError, match=r"unknown file type '\.txt'"):
        load_examples(tmp_path / "data.txt")


def test_passages_load_and_reject_bad_spans(tmp_path, passages_file):
    passages = load_passages(passages_file)
    assert len(passages) == 2 and len(passages[0].examples()) == 6
    bad = json.loads(passages_file.read_text().splitlines()[0])
    bad["actors"][0]["mentions"] = [[0, 500]]
    path = write_jsonl(tmp_path / "bad.jsonl", [bad])
    with pytest.raises(DataError, match=r"line 1: Actor 'Turkey' span \(0, 500\) does not fit"):
        load_passages(path)


def test_dataset_round_trip():
    from stance.schema import StanceExample

    examples = [
        StanceExample(r["text"], r["source"], r["target"], r["label"], r["id"]) for r in ROWS
    ]
    dataset = to_dataset(examples)
    assert dataset.num_rows == 2
    assert from_dataset(dataset) == examples


def test_from_dataset_rejects_a_dataset_dict():
    from datasets import Dataset, DatasetDict

    with pytest.raises(
        ValueError, match=r"DatasetDict with splits \['train'\]. Did you mean dataset\['train'\]"
    ):
        from_dataset(DatasetDict({"train": Dataset.from_dict({"text": ["x"]})}))


# --- DSE ------------------------------------------------------------------------------


def test_dse_truncated_brackets_extend_to_the_end_of_the_word():
    text, p, q = parse_dse_sentence("[Breitbart New]s said [Jeff Session]s was wrong.")
    assert text == "Breitbart News said Jeff Sessions was wrong."
    assert text[slice(*p)] == "Breitbart News" and text[slice(*q)] == "Jeff Sessions"
    text, p, q = parse_dse_sentence("[Trump]'s aide met [Kasich].")
    assert text[slice(*p)] == "Trump" and text[slice(*q)] == "Kasich"


def test_dse_rows_become_two_directed_examples(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text(
        "[Turkey] condemned [Haftar].\tTurkey\tHaftar\t3\n[Egypt] was praised by [Russia].\tEgypt\tRussia\t2\n"
    )
    loaded = load_dse(path)
    assert [(e.source, e.target, e.label, e.id) for e in loaded] == [
        ("Turkey", "Haftar", "oppose", "1:pq"), ("Haftar", "Turkey", "neutral", "1:qp"),
        ("Egypt", "Russia", "neutral", "2:pq"), ("Russia", "Egypt", "support", "2:qp"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("[Turkey] condemned Haftar.\tTurkey\tHaftar\t3", "expected two bracketed entities"),
        ("[Turkey] condemned [Haftar].\tTurkey\tHaftar\t7", "unknown label '7'"),
        ("[Turkey] condemned [Haftar].\tTurkey", "expected 4 tab-separated cells"),
    ],
)
def test_dse_bad_lines(tmp_path, line, message):
    path = tmp_path / "bad.tsv"
    path.write_text(line + "\n")
    with pytest.raises(DataError, match=rf"bad.tsv, line 1: {message}"):
        load_dse(path)


def test_dse_label_recovery_rule():
    neutral = {"neutral": 0.8, "support": 0.1, "oppose": 0.1}
    assert dse_label(neutral, neutral) == 0
    assert dse_label({"neutral": 0.2, "support": 0.7, "oppose": 0.1}, neutral) == 1
    assert dse_label(neutral, {"neutral": 0.3, "support": 0.1, "oppose": 0.6}) == 4
    both = dse_label(
        {"neutral": 0.4, "support": 0.1, "oppose": 0.5},
        {"neutral": 0.1, "support": 0.85, "oppose": 0.05},
    )
    assert both == 2
    # With a threshold, a direction needs that much non-neutral probability.
    weak = {"neutral": 0.4, "support": 0.1, "oppose": 0.5}
    assert dse_label(weak, neutral) == 3
    assert dse_label(weak, neutral, threshold=0.6) == 0
    assert dse_label({"neutral": 0.6, "support": 0.35, "oppose": 0.05}, neutral, threshold=0.3) == 1


@pytest.mark.skipif(not DSE_DIR.exists(), reason="DSE data not present")
def test_real_dse_counts_and_every_bracket_repaired():
    train = load_dse(DSE_DIR / "train.tsv")
    assert len(train) == 26_288 and not train.errors
    assert len(load_dse(DSE_DIR / "test_dedup.tsv")) == 2_446
    for example in train:
        for _, end in example.source_spans + example.target_spans:
            after = example.text[end : end + 1]
            assert not (after.isalnum() and example.text[end - 1].isalnum()), example.text
    names = {e.source for e in train}
    assert "Breitbart News" in names or any(n.startswith("Breitbart News") for n in names)


# --- properties -------------------------------------------------------------------------

safe_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)
lines = st.one_of(
    safe_text,
    st.builds(json.dumps, st.dictionaries(st.sampled_from(["text", "source", "target", "label", "id", "x"]),
                                          st.one_of(st.text(max_size=20), st.integers(), st.none()), max_size=6)),
)  # fmt: skip


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(lines, max_size=5))
def test_arbitrary_jsonl_loads_or_raises_data_error(tmp_path, rows):
    path = tmp_path / "fuzz.jsonl"
    path.write_text(
        "".join(r.replace("\n", " ").replace("\r", " ") + "\n" for r in rows), encoding="utf-8"
    )
    try:
        loaded = load_examples(path, labels=LabelSet())
    except DataError as err:
        assert str(path) in str(err)
    else:
        assert all(e.text.strip() for e in loaded)
    lenient = load_examples(path, labels=LabelSet(), lenient=True)
    assert len(lenient) + len(lenient.errors) == len(rows)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.text(
            alphabet=st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)),
            max_size=60,
        ),
        max_size=5,
    )
)
def test_arbitrary_dse_lines_load_or_raise_data_error(tmp_path, rows):
    path = tmp_path / "fuzz.tsv"
    path.write_text("".join(r + "\n" for r in rows), encoding="utf-8")
    lenient = load_dse(path, lenient=True)
    assert len(lenient) + 2 * len(lenient.errors) == 2 * len(rows)
    for example in lenient:
        assert example.text[slice(*example.source_spans[0])].strip()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=200), st.sampled_from(["jsonl", "csv", "tsv"]))
def test_arbitrary_bytes_load_or_raise_data_error(tmp_path, data, suffix):
    """Broken encodings and control characters: load, or a DataError naming the file."""
    path = tmp_path / f"bytes.{suffix}"
    path.write_bytes(data)
    try:
        load_examples(path, labels=LabelSet())
    except DataError as err:
        assert str(path) in str(err)
    load_examples(path, labels=LabelSet(), lenient=True)


def test_non_utf8_line_names_the_line(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(
        json.dumps(ROWS[0]).encode() + b"\n" + '{"text": "Bogotá"}'.encode("latin-1") + b"\n"
    )
    with pytest.raises(DataError, match=r"latin1.jsonl, line 2: not UTF-8"):
        load_examples(path)
