"""The article corpus: its validator, the adjudication rule, and article windows for training."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT

from training.articles import ROOT as ARTICLES
from training.articles import (
    Article,
    agreement,
    article_units,
    article_windows,
    load_articles,
    read_jsonl,
    validate,
)


def test_the_bundled_article_corpus_validates():
    report = validate(ARTICLES)
    assert report.problems == []
    assert report.counts["train"] >= 140 and report.counts["validation"] >= 30
    assert report.counts["test"] >= 30 and report.counts["actors_median"] >= 8


def test_every_article_was_annotated_twice_and_every_disagreement_adjudicated():
    articles = load_articles(ARTICLES)
    assert articles and all(a.second is not None for a in articles)
    assert sum(a.gold()[1] for a in articles) == 0  # no fallback to the writer's label
    result = agreement(articles)
    assert result["articles_doubly_annotated"] == len(articles)
    card = (ROOT / "docs/articles-card.md").read_text(encoding="utf-8")
    assert f"{result['edge_f1']:.3f}" in card and f"{result['cohen_kappa']:.3f}" in card


def test_adjudication_rule():
    raw = {"id": "x", "actors": [{"name": n} for n in "ABCD"]}
    first = {
        ("A", "B"): ("oppose", ["q1"]),
        ("B", "C"): ("support", ["q2"]),
        ("C", "D"): ("oppose", ["q3"]),
    }
    second = {
        ("A", "B"): ("oppose", ["q4"]),
        ("B", "C"): ("oppose", ["q5"]),
        ("D", "A"): ("support", ["q6"]),
    }
    article = Article(raw, first, second, {("B", "C"): "neutral", ("C", "D"): "oppose"})
    gold, fallbacks = article.gold()
    # Agreed edges are gold with both sides' evidence; decisions settle the rest; an
    # undecided disagreement falls back to the writer's label (none here for D->A).
    assert gold == {("A", "B"): ("oppose", ["q1", "q4"]), ("C", "D"): ("oppose", ["q3"])}
    assert fallbacks == 1


def test_article_windows_label_a_pair_only_where_its_evidence_lies(tmp_path):
    text = "Turkey condemned Haftar. Egypt met Turkey. Rain fell. Haftar thanked Egypt."
    sentences = [[0, 24], [25, 42], [43, 53], [54, 75]]
    record = {
        "id": "t", "text": text, "sentences": sentences,
        "actors": [{"name": "Turkey", "mentions": [[0, 6], [35, 41]]},
                   {"name": "Haftar", "mentions": [[17, 23], [54, 60]]},
                   {"name": "Egypt", "mentions": [[25, 30], [69, 74]]}],
        "stances": [{"source": "Turkey", "target": "Haftar", "label": "oppose", "evidence": [0]},
                    {"source": "Haftar", "target": "Egypt", "label": "support", "evidence": [3]}],
    }  # fmt: skip
    examples, units = article_units(record, window=2, stride=None)
    assert [u.text for u in units] == [text[0:42], text[43:75]]
    labels = {(e.text, e.source, e.target): e.label for e in examples}
    assert labels[(text[0:42], "Turkey", "Haftar")] == "oppose"
    assert labels[(text[0:42], "Egypt", "Turkey")] == "neutral"  # co-mention, no stance
    assert labels[(text[43:75], "Haftar", "Egypt")] == "support"
    assert all(
        e.label == "neutral" for e in examples if (e.source, e.target) == ("Egypt", "Haftar")
    )
    assert [e.label for e in examples] == [lab for u in units for lab in u.labels]
    # Haftar -> Egypt support is shown in sentence 3 only: the first window teaches it as
    # neutral, or, with outside_evidence="ignore", not at all (its other pairs stay).
    assert labels[(text[0:42], "Haftar", "Egypt")] == "neutral"
    examples, units = article_units(record, window=2, stride=None, outside_evidence="ignore")
    ignored = {(e.text, e.source, e.target): e.label for e in examples}
    assert (text[0:42], "Haftar", "Egypt") not in ignored
    assert ignored[(text[0:42], "Turkey", "Haftar")] == "oppose"
    assert ignored[(text[0:42], "Egypt", "Haftar")] == "neutral"
    assert [len(u.pairs) for u in units] == [5, 2]
    assert [e.label for e in examples] == [lab for u in units for lab in u.labels]


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(0, [(0, 2), (2, 4), (3, 5)]), (1, [(0, 1), (1, 3), (3, 5)]), (2, [(0, 2), (2, 4), (3, 5)])],
)
def test_shifted_article_windows_cover_every_sentence(offset, expected):
    sentences = [(10 * k, 10 * k + 9) for k in range(5)]
    spans = article_windows(sentences, window=2, stride=None, offset=offset)
    # (first sentence, one past the last) of each window
    assert [(s // 10, e // 10 + 1) for s, e in spans] == expected


def test_built_records_load_as_passages_with_evidence_sentences():
    record = read_jsonl(ARTICLES / "validation.jsonl")[0]
    for stance in record["stances"]:
        for k in stance["evidence"]:
            assert 0 <= k < len(record["sentences"])
    assert json.loads(json.dumps(record)) == record
