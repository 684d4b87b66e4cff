"""Whole-article analysis on the tiny model: windows, aggregation, exports."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from stance.actors import Actors
from stance.document import Pass, Reading, split_sentences, windows
from stance.encoding import Group, ModelInput
from stance.graph import StanceGraph, aggregate
from stance.mentions import MentionSearch
from stance.schema import LabelSet, ReadingSettings

ARTICLE = (
    "Turkey says Haftar can no longer be trusted. Egypt backed Haftar on Monday. "
    "Russia praised the ceasefire. Qatar condemned the strikes by Haftar, Ankara said."
)


def test_sentences_and_windows():
    sentences = split_sentences(ARTICLE)
    assert len(sentences) == 4
    assert ARTICLE[slice(*sentences[1])] == "Egypt backed Haftar on Monday."
    assert windows(sentences, 2) == [(sentences[i][0], sentences[i + 1][1]) for i in range(3)]
    assert windows(sentences[:1], 3) == [sentences[0]]
    with pytest.raises(ValueError, match="at least 1 sentence"):
        windows(sentences, 0)


@pytest.mark.parametrize(
    "text",
    [
        ARTICLE,
        "Yes. Yes.  Yes.\n\nYes.",  # the same sentence again: each found after the one before
        'Mr. Obama met Dr. Smith in the U.S. on Monday. He left at 5 p.m. and said: "No."',
        "  Leading space. Trailing space.   ",
        "",
    ],
)
def test_sentence_spans_are_pysbds_own(text):
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
    theirs = []
    for s in segmenter.segment(text):
        start = s.start + len(s.sent) - len(s.sent.lstrip())
        end = s.end - (len(s.sent) - len(s.sent.rstrip()))
        if end > start:
            theirs.append((start, end))
    assert split_sentences(text) == theirs


def _reading() -> tuple[Reading, list[np.ndarray]]:
    text = "A hit B. B and A met. A praised C."
    groups = [Group(text[0:8], ["A", "B"], [((0, 1),), ((6, 7),)], [(0, 1), (1, 0)]),
              Group(text[9:21], ["B", "A"], [((0, 1),), ((6, 7),)], [(0, 1), (1, 0)])]  # fmt: skip
    passes = [Pass(0, 8, groups[0], ModelInput([], [])), Pass(9, 21, groups[1], ModelInput([], []))]
    reading = Reading(text, Actors.coerce(["A", "B"]), MentionSearch(()), passes)
    probs = [
        np.array([[0.1, 0.1, 0.8], [0.9, 0.05, 0.05]]),  # A->B oppose 0.8; B->A neutral
        np.array([[0.7, 0.2, 0.1], [0.4, 0.0, 0.6]]),  # B->A neutral 0.7; A->B oppose 0.6
    ]
    return reading, probs


def test_aggregation_rule_takes_the_max_and_keeps_evidence():
    reading, probs = _reading()
    edges = aggregate(reading, probs, LabelSet(), ReadingSettings(threshold=0.5))
    assert [(e.source, e.target, e.label) for e in edges] == [("A", "B", "oppose")]
    edge = edges[0]
    assert edge.score == pytest.approx(0.8)
    # Every label's probability, neutral included, from the pass that gave the label its max.
    assert edge.scores == pytest.approx({"neutral": 0.1, "support": 0.1, "oppose": 0.8})
    assert [(ev.start, ev.end) for ev in edge.evidence] == [(0, 8), (9, 21)]
    assert edge.evidence[0].text == reading.text[0:8]


def test_threshold_drops_weak_edges_and_their_weak_evidence():
    reading, probs = _reading()
    (edge,) = aggregate(reading, probs, LabelSet(), ReadingSettings(threshold=0.7))
    assert [(ev.start, ev.end) for ev in edge.evidence] == [(0, 8)]  # 0.6 < 0.7 is not evidence
    assert aggregate(reading, probs, LabelSet(), ReadingSettings(threshold=0.85)) == ()


def test_labels_left_out_within_a_side_leave_its_pairs_their_other_label():
    reading, probs = _reading()
    # A is B's spokesman: one side. A -> B oppose (0.8) and B -> A oppose (0.6) are left
    # out; their support scores (0.1 and 0.2) are all that remains.
    sided = Reading(reading.text, Actors.coerce({"A": {"affiliation": "B"}, "B": None}),
                    reading.mentions, reading.passes)  # fmt: skip
    settings = ReadingSettings(threshold=0.5, exclude_within_side=["oppose"])
    assert settings.exclude_within_side == ("oppose",)
    assert ReadingSettings(**settings.to_dict()) == settings
    assert aggregate(sided, probs, LabelSet(), settings) == ()
    (edge,) = aggregate(sided, probs, LabelSet(), ReadingSettings(threshold=0.15,
                                                                  exclude_within_side=("oppose",)))  # fmt: skip
    assert (edge.source, edge.target, edge.label, edge.score) == ("B", "A", "support", 0.2)
    # Its probabilities are those of the pass that shows support best, not oppose's pass.
    assert edge.scores == pytest.approx({"neutral": 0.7, "support": 0.2, "oppose": 0.1})
    # Actors on two sides keep every label.
    (edge,) = aggregate(reading, probs, LabelSet(), settings)
    assert edge.label == "oppose"
    with pytest.raises(ValueError, match="list of labels"):
        ReadingSettings(exclude_within_side="oppose")  # type: ignore[arg-type]
    # A null in a hand-edited stance_config.json leaves nothing out.
    assert ReadingSettings(exclude_within_side=None).exclude_within_side == ()  # type: ignore[arg-type]


def test_analyze_can_read_every_label_within_a_side(tiny_classifier):
    from dataclasses import replace

    from stance.actors import Actor, Actors

    actors = Actors([Actor("Turkey", (), "country"), Actor("İbrahim Kalın", (), "person", "Turkey"),
                     Actor("Khalifa Haftar", (), "person")])  # fmt: skip
    text = "Kalın said Turkey had lost patience with Haftar."
    reading = replace(tiny_classifier.config.reading, exclude_within_side=("support", "oppose"))
    pairs = {frozenset({"Turkey", "İbrahim Kalın"})}
    sided = tiny_classifier.analyze(text, actors, threshold=0.0, reading=reading)
    assert not {frozenset((e.source, e.target)) for e in sided.edges} & pairs
    every = tiny_classifier.analyze(text, actors, threshold=0.0, reading=reading,
                                    exclude_within_side=[])  # fmt: skip
    assert {frozenset((e.source, e.target)) for e in every.edges} & pairs
    with pytest.raises(ValueError, match="not stance labels of this model"):
        tiny_classifier.analyze(text, actors, exclude_within_side=["opose"])
    with pytest.raises(ValueError, match="not stance labels"):
        tiny_classifier.analyze(text, actors, exclude_within_side=["neutral"])
    assert tiny_classifier.within_side_labels(n for n in ["oppose"]) == ("oppose",)
    with pytest.raises(ValueError, match="list of labels"):
        tiny_classifier.analyze(text, actors, exclude_within_side="oppose")


def test_evidence_is_shown_as_the_sentences_that_name_both_actors():
    from stance.mentions import Mention

    text = "A spoke. B hit C. C left. A met C."
    sentences = [(0, 8), (9, 17), (18, 25), (26, 34)]
    mentions = tuple(Mention(n, i, i + 1, n) for i, n in enumerate(text) if n in "ABC")
    # Two 3-sentence windows; both name B and C, in one sentence of each.
    group = Group("", ["B", "C"], [((0, 1),), ((2, 3),)], [(0, 1), (1, 0)])
    passes = [Pass(0, 25, group, ModelInput([], [])), Pass(9, 34, group, ModelInput([], []))]
    reading = Reading(text, Actors.coerce(["A", "B", "C"]), MentionSearch(mentions), passes,
                      sentences=sentences)  # fmt: skip
    probs = [np.array([[0.1, 0.1, 0.8], [0.9, 0.05, 0.05]]),
             np.array([[0.2, 0.1, 0.7], [0.9, 0.05, 0.05]])]  # fmt: skip
    (edge,) = aggregate(reading, probs, LabelSet(), ReadingSettings(threshold=0.5))
    # Both windows show "B hit C.": one piece of evidence, with the higher score.
    assert [(ev.text, ev.score) for ev in edge.evidence] == [("B hit C.", pytest.approx(0.8))]
    assert reading.focus(0, 34, "A", "C") == (26, 34)  # the shortest run: "A met C."
    assert reading.focus(0, 17, "A", "C") == (0, 17)  # two sentences apart: both shown
    assert reading.focus(3, 12, "A", "B") == (3, 12)  # cut to the pass


def test_evidence_holds_a_name_that_the_sentence_splitter_cut():
    from stance.mentions import find_mentions

    text = "Toyota sued General Motors Co. Inc. on Monday. GM said nothing."
    search = find_mentions(text, {"Toyota": [], "GM": ["General Motors Co. Inc."]})
    reading = Reading(text, Actors.coerce(["Toyota", "GM"]), search,
                      sentences=split_sentences(text))  # fmt: skip
    assert text[slice(*reading.focus(0, len(text), "Toyota", "GM"))] == (
        "Toyota sued General Motors Co. Inc. on Monday."
    )


def test_other_rules_score_a_pair_over_its_passes():
    reading, probs = _reading()
    (noisy,) = aggregate(reading, probs, LabelSet(), ReadingSettings(rule="noisy_or"))
    assert noisy.score == pytest.approx(1 - 0.2 * 0.4)
    (top2,) = aggregate(reading, probs, LabelSet(), ReadingSettings(rule="top2"))
    assert top2.score == pytest.approx(0.7)
    # vote: B->A is neutral by argmax in both passes, so its 0.6 oppose never counts.
    assert [
        (e.source, e.target)
        for e in aggregate(reading, probs, LabelSet(), ReadingSettings(rule="vote"))
    ] == [("A", "B")]
    with pytest.raises(ValueError, match="Unknown aggregation rule"):
        aggregate(reading, probs, LabelSet(), ReadingSettings(rule="mean"))


def test_analyze_gives_a_graph_with_every_export(tiny_classifier, tmp_path):
    graph = tiny_classifier.analyze(ARTICLE, {"Turkey": ["Ankara"], "Khalifa Haftar": [], "Egypt": [], "Qatar": []},
                                    threshold=0.0)  # fmt: skip
    assert isinstance(graph, StanceGraph)
    counts = {n.name: n.mentions for n in graph.nodes}
    assert counts == {"Turkey": 2, "Khalifa Haftar": 3, "Egypt": 1, "Qatar": 1}
    assert graph.edges, "threshold 0 keeps every scored pair"
    for edge in graph.edges:
        for ev in edge.evidence:
            assert ARTICLE[ev.start : ev.end] == ev.text
    data = json.loads(graph.to_json())
    assert {"nodes", "edges", "threshold"} <= set(data)
    assert graph.to_networkx().number_of_nodes() == 4
    graph.to_graphml(tmp_path / "g.graphml")
    assert "<graphml" in (tmp_path / "g.graphml").read_text()
    frame = graph.to_pandas()
    assert list(frame.columns)[:4] == ["source", "target", "label", "score"] and len(frame) == len(
        graph.edges
    )
    graph.plot(tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "source" in graph.to_table()


def test_fewer_than_two_actors_gives_an_empty_graph(tiny_classifier):
    graph = tiny_classifier.analyze("Turkey held talks in the capital.", ["Turkey", "Brazil"])
    assert graph.edges == ()
    assert {n.name: n.mentions for n in graph.nodes} == {"Turkey": 1, "Brazil": 0}
    assert "No stance edges" in graph.to_table()


def test_roll_up_merges_a_spokesman_into_his_country(tiny_classifier):
    from stance.actors import Actor, Actors

    actors = Actors([Actor("Turkey", ("Ankara",), "country"), Actor("İbrahim Kalın", (), "person", "Turkey"),
                     Actor("Khalifa Haftar", (), "person")])  # fmt: skip
    text = "Kalin said Haftar had lost all credibility. Ankara demanded Haftar withdraw."
    graph = tiny_classifier.analyze(text, actors, threshold=0.0, roll_up=True)
    assert {n.name for n in graph.nodes} == {"Turkey", "Khalifa Haftar"}
    assert {n.name: n.mentions for n in graph.nodes}["Turkey"] == 2  # Kalin's mention counts
    # Kalın's stance toward Haftar (sentence 1) becomes Turkey's; at threshold 0 every pair
    # is an edge, so both directions between the two sides are there and nothing else.
    assert {(e.source, e.target) for e in graph.edges} == {
        ("Turkey", "Khalifa Haftar"),
        ("Khalifa Haftar", "Turkey"),
    }
    plain = tiny_classifier.analyze(text, actors, threshold=0.0)
    kalin = [e for e in plain.edges if (e.source, e.target) == ("İbrahim Kalın", "Khalifa Haftar")]
    turkey = [e for e in plain.edges if (e.source, e.target) == ("Turkey", "Khalifa Haftar")]
    merged = next(e for e in graph.edges if e.source == "Turkey")
    assert merged.score == pytest.approx(max(e.score for e in kalin + turkey))


def test_empty_text_is_refused(tiny_classifier):
    with pytest.raises(ValueError, match="text is empty"):
        tiny_classifier.analyze("  ", ["Turkey", "Egypt"])


def test_analyze_without_actors_discovers_them_on_the_example_article(tiny_classifier):
    pytest.importorskip("spacy")
    from conftest import ROOT

    article = (ROOT / "examples/libya_article.txt").read_text(encoding="utf-8")
    graph = tiny_classifier.analyze(article)
    names = {n.name for n in graph.nodes}
    assert {"Turkey", "Russia", "Egypt", "United Nations", "European Union"} <= names
    assert any("Haftar" in n for n in names)


def test_cli_analyze_writes_table_json_graphml_and_png(tiny_classifier, tmp_path, capsys):
    from conftest import ROOT

    from stance.cli import main

    tiny_classifier.save_pretrained(tmp_path / "m")
    args = ["analyze", "--model", str(tmp_path / "m"), "--actors", str(ROOT / "examples/libya_actors.yaml"),
            str(ROOT / "examples/libya_article.txt"), "--device", "cpu", "--threshold", "0.0"]  # fmt: skip
    assert (
        main([*args, "--plot", str(tmp_path / "g.png"), "--output", str(tmp_path / "g.json")]) == 0
    )
    assert capsys.readouterr().out.startswith("source")
    assert json.loads((tmp_path / "g.json").read_text())["edges"]
    assert (tmp_path / "g.png").stat().st_size > 10_000
    assert main([*args, "--format", "graphml", "--output", str(tmp_path / "g.graphml")]) == 0
    assert "<graphml" in (tmp_path / "g.graphml").read_text()
    assert (
        main(
            ["analyze", "--model", str(tmp_path / "nope"), str(ROOT / "examples/libya_article.txt")]
        )
        == 2
    )
    assert "is not a saved stance model" in capsys.readouterr().err


def test_analyze_in_pair_mode_scores_each_pair_on_its_own(tiny_encoder_dir):
    from stance.classifier import StanceClassifier
    from stance.modeling import StanceConfig, build_model

    model, tokenizer = build_model(
        StanceConfig(encoder=str(tiny_encoder_dir), mode="pair", max_length=128)
    )
    graph = StanceClassifier(model, tokenizer, "cpu").analyze(
        ARTICLE, ["Turkey", "Haftar", "Egypt"], threshold=0.0
    )
    assert {(e.source, e.target) for e in graph.edges} <= {
        (s, t)
        for s in ("Turkey", "Haftar", "Egypt")
        for t in ("Turkey", "Haftar", "Egypt")
        if s != t
    }
    assert graph.edges


def test_long_text_with_no_sentence_break_is_read_not_skipped(tiny_classifier):
    # A 5,000-word article whose middle is one 2,000-character "sentence": the window
    # falls back to its sentences, the long one is cut at white space until it fits.
    filler = "the talks were held in the capital and the army met the troops on monday"
    run_on = " ".join(["Turkey condemned Haftar and Egypt backed Haftar"] + [filler] * 30)
    assert len(run_on) > 2000 and "." not in run_on
    sentences = [f"Russia praised Qatar {filler} {k}." for k in range(330)]
    text = " ".join([*sentences[:150], run_on + ".", *sentences[150:]])
    assert len(text.split()) > 5000
    graph = tiny_classifier.analyze(text, ["Turkey", "Haftar", "Egypt", "Russia", "Qatar"],
                                    threshold=0.0)  # fmt: skip
    assert graph.skipped == ()
    pairs = {(e.source, e.target) for e in graph.edges}
    assert {("Turkey", "Haftar"), ("Egypt", "Haftar")} <= pairs
    inside = [ev for e in graph.edges if (e.source, e.target) == ("Turkey", "Haftar")
              for ev in e.evidence]  # fmt: skip
    assert inside and all(text[ev.start : ev.end] == ev.text for ev in inside)


def test_a_calibrated_reading_maps_scores_and_its_threshold_through_platt_scaling():
    reading, probs = _reading()
    plain = aggregate(reading, probs, LabelSet(), ReadingSettings(threshold=0.5))
    a, b = 2.0, -1.0
    settings = ReadingSettings(threshold=1 / (1 + math.exp(-(a * 0.5 + b))), calibration=(a, b))
    (edge,) = aggregate(reading, probs, LabelSet(), settings)
    assert [(e.source, e.target) for e in plain] == [(edge.source, edge.target)]
    assert edge.score == pytest.approx(1 / (1 + math.exp(-(a * 0.8 + b))))
    assert ReadingSettings(**settings.to_dict()) == settings  # survives stance_config.json
    # Evidence is cut on the rule's own scale: the same passes as without the calibration.
    assert edge.evidence == plain[0].evidence
    # A reading saved before calibration_input existed reads its scale as the score itself.
    saved = {k: v for k, v in settings.to_dict().items() if k != "calibration_input"}
    assert ReadingSettings(**saved).calibration_input == "score"
    assert ReadingSettings(**{**saved, "calibration_input": None}).calibration_input == "score"


def test_a_calibration_on_log_odds_keeps_scores_near_one_apart():
    from stance.graph import log_odds, platt

    on_score = ReadingSettings(calibration=(5.0, -4.0))
    on_odds = ReadingSettings(calibration=(1.0, -0.5), calibration_input="log_odds")
    assert ReadingSettings(**on_odds.to_dict()) == on_odds
    assert ReadingSettings(**{**on_odds.to_dict(), "calibration_input": "score"}) != on_odds
    near_one = [0.99, 0.999, 0.9999]
    # On the score itself all three land just under the ceiling 1 / (1 + e^-(a + b)); on
    # the log-odds they keep their order and their distance, and the ceiling is 1.
    assert max(platt(s, on_score) for s in near_one) < 1 / (1 + math.exp(-1.0))
    spread = [platt(s, on_odds) for s in near_one]
    assert spread == sorted(spread) and spread[-1] - spread[0] > 0.01 and spread[-1] > 0.99
    assert platt(0.5, on_odds) == pytest.approx(1 / (1 + math.exp(0.5)))
    assert log_odds(1.0) == pytest.approx(math.log((1 - 1e-12) / 1e-12))  # finite at 1
    assert platt(1 - 1e-9, on_odds) < platt(1 - 1e-10, on_odds)
    with pytest.raises(ValueError, match="calibration_input"):
        ReadingSettings(calibration_input="logit")
