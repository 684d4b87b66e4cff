from __future__ import annotations

import pytest

from stance.schema import ActorMentions, LabelSet, Passage, StanceExample


def test_label_set_ids_and_errors():
    labels = LabelSet()
    assert labels.id("oppose") == 2 and labels.name(1) == "support" and labels.neutral_id == 0
    with pytest.raises(ValueError, match="Unknown label 'against'; expected one of"):
        labels.id("against")
    with pytest.raises(ValueError, match="neutral label 'none' is not among"):
        LabelSet(("a", "b"), neutral="none")
    with pytest.raises(ValueError, match="unique"):
        LabelSet(("a", "a"), neutral="a")
    four = LabelSet(("none", "pro", "anti", "mixed"), neutral="none")
    assert len(four) == 4 and "mixed" in four


def test_example_validation_messages():
    with pytest.raises(ValueError, match="text is empty"):
        StanceExample("  ", "A", "B")
    with pytest.raises(ValueError, match="same actor"):
        StanceExample("A met A.", "A", "A")
    with pytest.raises(ValueError, match="does not fit the text"):
        StanceExample("Turkey and Egypt", "Turkey", "Egypt", source_spans=((0, 60),))
    with pytest.raises(ValueError, match="only whitespace"):
        StanceExample("Turkey  and Egypt", "Turkey", "Egypt", source_spans=((6, 8),))
    ok = StanceExample(
        "Turkey and Egypt", "Turkey", "Egypt", "neutral", "1", ((0, 6),), ((11, 16),)
    )
    assert ok.source_spans == ((0, 6),)


def test_passage_gives_every_ordered_pair_with_neutral_default():
    text = "Turkey backed the GNA against Haftar."
    passage = Passage(
        text,
        (
            ActorMentions("Turkey", ((0, 6),)),
            ActorMentions("GNA", ((18, 21),)),
            ActorMentions("Haftar", ((30, 36),)),
        ),
        {("Turkey", "GNA"): "support"},
        id="p1",
    )
    examples = passage.examples()
    assert len(examples) == 6
    labels = {(e.source, e.target): e.label for e in examples}
    assert labels[("Turkey", "GNA")] == "support"
    assert labels[("GNA", "Turkey")] == "neutral"


def test_passage_rejects_unknown_actor_in_stance_and_missing_mentions():
    with pytest.raises(ValueError, match="not listed"):
        Passage(
            "Turkey and Egypt.",
            (ActorMentions("Turkey", ((0, 6),)),),
            {("Turkey", "Egypt"): "oppose"},
        )
    with pytest.raises(ValueError, match="has no mention"):
        Passage("Turkey and Egypt.", (ActorMentions("Turkey", ()),))
