"""Archive throughput: articles/s of ``analyze`` beside the raw encoder over the same tokens.

    python -m training.benchmarks.throughput --model runs/default/model [--articles 32]

On a fixed set of our articles (the article corpus's test split, gold actor lists), it
times in one run:

* the raw float32 encoder forward over each article's tokens, each token once (the
  article cut into pieces of at most the model's maximum length, batched as ``analyze``
  batches): the arithmetic limit of any float32 reading;
* ``analyze`` (mention finding, reading, scoring, aggregation) under each option: the
  model as it loads by default (bfloat16 on a CPU with native bfloat16, else float32)
  with its own reading; the old reading (3-sentence windows sliding
  by one sentence, float32); the model's windows sliding by their own size, so that each
  token is read about once (rule and threshold chosen for it on the validation articles);
  float32 with every attention layer eager (as context pooling used to force); float32;
  int8 per output channel (``--precision int8``); int8 with
  one scale per weight matrix, torch's default and this library's before; and
  windows sliding by all but one sentence (each token read about 1.5 times by 3-sentence
  windows, every two adjacent sentences still read together; rule and threshold chosen
  on validation). The edge F1 on the validation articles stands beside the options that
  change what is read or how exactly it is computed.

Each option also gives the tokens its reading passes to the encoder (markers included)
per article token: a float32 reading's ratio below can hardly exceed its inverse; a
bfloat16 or int8 one can, since the raw encoder it is set beside is float32 (the issue's
measure: the encoder's float32 arithmetic limit on this machine).

The ratio is ``analyze``'s tokens/s (each article token counted once) over the raw
encoder's; machines vary up to 2x from day to day, the ratio much less. The raw encoder
and every option are timed in ``--repeats`` interleaved rounds and each keeps its fastest
round (as ``timeit`` does), since on a shared virtual machine a neighbour's load can
halve the speed of one timing and not the next; every round is in the JSON.
"""

from __future__ import annotations

import argparse
import copy
import time
from dataclasses import replace
from typing import Any

import torch

from stance.classifier import StanceClassifier
from stance.document import read_document
from stance.schema import ReadingSettings
from training.articles import ROOT as ARTICLES
from training.articles import article_actors, read_jsonl
from training.benchmarks import machine, provenance, table, today, write_results
from training.reading import choose_reading, describe, evaluate, score_split

OLD = ReadingSettings(window=3, stride=1, rule="max", threshold=0.5)
SPEECH = "Turkey says Haftar can no longer be trusted."


def token_pieces(clf: StanceClassifier, text: str) -> list[list[int]]:
    ids = clf.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]
    width = clf.config.max_length - 2
    cls, sep = clf.tokenizer.cls_token_id, clf.tokenizer.sep_token_id
    return [[cls, *ids[k : k + width], sep] for k in range(0, len(ids), width)]


@torch.inference_mode()
def raw_encoder(clf: StanceClassifier, texts: list[str], batch_size: int = 32) -> tuple[float, int]:
    """Seconds for the bare encoder forward over every token of ``texts`` once, and the
    number of tokens."""
    pieces = sorted((p for t in texts for p in token_pieces(clf, t)), key=len)
    pad = clf.tokenizer.pad_token_id or 0
    started = time.perf_counter()
    for begin in range(0, len(pieces), batch_size):
        chunk = pieces[begin : begin + batch_size]
        width = max(len(p) for p in chunk)
        ids = torch.full((len(chunk), width), pad, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for row, piece in enumerate(chunk):
            ids[row, : len(piece)] = torch.tensor(piece)
            mask[row, : len(piece)] = 1
        clf.model.encoder(input_ids=ids.to(clf.device), attention_mask=mask.to(clf.device))
    return time.perf_counter() - started, sum(len(p) for p in pieces)


def encoded_share(
    clf: StanceClassifier, records: list[dict[str, Any]], reading: ReadingSettings, tokens: int
) -> float:
    """Tokens the reading passes to the encoder (markers included) per article token: the
    reading's own ceiling on the ratio to the raw encoder is about its inverse."""
    encoded = sum(
        len(p.input.input_ids)
        for r in records
        for p in read_document(r["text"], article_actors(r), clf.input_encoder, reading).passes
    )
    return encoded / tokens


def time_analyze(
    clf: StanceClassifier, records: list[dict[str, Any]], reading: ReadingSettings
) -> float:
    started = time.perf_counter()
    for record in records:
        clf.analyze(record["text"], article_actors(record), reading=reading)
    return time.perf_counter() - started


def all_eager(clf: StanceClassifier) -> StanceClassifier:
    model = copy.deepcopy(clf.model)
    model._pool_attention = None
    model.encoder.set_attn_implementation("eager")
    return StanceClassifier(model, clf.tokenizer, clf.device)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="runs/default/model")
    parser.add_argument("--articles", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3, help="Interleaved timing rounds.")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    clf = StanceClassifier.from_pretrained(args.model)  # as users get it
    exact = StanceClassifier.from_pretrained(args.model, precision="float32")
    loaded = clf.precision
    records = read_jsonl(ARTICLES / "test.jsonl")[: args.articles]
    valid = read_jsonl(ARTICLES / "validation.jsonl")
    texts = [r["text"] for r in records]
    words = sum(len(t.split()) for t in texts) / len(texts)
    time_analyze(clf, records[:2], clf.config.reading)  # warm-up
    reading = clf.config.reading
    # (name, classifier, reading, whether its validation edge F1 is reported)
    options: list[tuple[str, StanceClassifier, ReadingSettings, bool]] = [
        (f"the model as it loads ({loaded}), its reading: {describe(reading)}", clf, reading, True),
        (f"old reading, float32: {describe(OLD)}", exact, OLD, False),
    ]

    def sliding(stride: int) -> ReadingSettings:
        """The model's windows at ``stride``, rule and threshold chosen on validation."""
        fresh = replace(reading, stride=stride, calibration=None, aggregator=None)
        return choose_reading(clf, valid, [fresh])[0]

    # Each token read about once: the model's windows sliding by their own size.
    window = reading.window
    once = sliding(window)
    options.append((f"windows sliding by their size ({loaded}): {describe(once)}, stride "
                    f"{once.stride}", clf, once, True))  # fmt: skip
    if exact.config.context_pooling:
        options.append(("the model's reading, float32, every attention layer eager",
                        all_eager(exact), reading, False))  # fmt: skip
    # Always listed, so that the options keep their places whatever the machine's default.
    options.append(("the model's reading, float32", exact, reading, True))
    if exact.device.type == "cpu":
        options.append(("the model's reading, int8 per channel (`--precision int8`)",
                        exact.quantized(), reading, True))  # fmt: skip
        options.append(("the model's reading, int8 per tensor (the quantisation before)",
                        exact.quantized(per_channel=False), reading, True))  # fmt: skip
    if not reading.chunk_tokens and window > 2:
        # Between the two: windows that share one sentence with the next, so every two
        # adjacent sentences are still read together (last, so the indices above hold).
        overlap = sliding(window - 1)
        name = (f"windows sliding by all but one sentence ({loaded}): {describe(overlap)}, "
                f"stride {window - 1}")  # fmt: skip
        options.append((name, clf, overlap, True))
    probe = clf.predict(SPEECH, "Turkey", "Haftar")
    raw_rounds: list[float] = []
    rounds: list[list[float]] = [[] for _ in options]
    for _ in range(args.repeats):
        raw_seconds, tokens = raw_encoder(exact, texts)
        raw_rounds.append(raw_seconds)
        for k, (_, model, settings, _) in enumerate(options):
            rounds[k].append(time_analyze(model, records, settings))
    raw_seconds = min(raw_rounds)
    raw_rate = tokens / raw_seconds
    rows, results = [], []
    for (name, model, settings, scored_on_validation), timings in zip(options, rounds):
        seconds = min(timings)
        rate = tokens / seconds
        share = encoded_share(model, records, settings, tokens)
        f1 = None
        if scored_on_validation:
            scored, _ = score_split(model, valid, settings)
            f1 = evaluate(scored, valid, model.labels, settings)["f1"]
        results.append({"option": name, "seconds": seconds, "rounds": timings,
                        "articles_per_second": len(records) / seconds, "encoded_per_article_token": share,
                        "tokens_per_second": rate, "ratio_to_raw_encoder": rate / raw_rate,
                        "validation_edge_f1": f1})  # fmt: skip
        rows.append([name, f"{len(records) / seconds:.2f}", f"{rate:.0f}", f"{share:.2f}", f"{rate / raw_rate:.2f}",
                     "–" if f1 is None else f"{f1:.3f}"])  # fmt: skip
    markdown = "\n".join([
        "## Archive throughput: `analyze` beside the raw encoder",
        "",
        *provenance(),
        f"- Run: model `{args.model}`; {len(records)} test articles of the article corpus "
        f"({words:.0f} words and {tokens / len(records):.0f} tokens each on average, gold actor lists)",
        f"- Raw encoder forward over the same tokens, each once: {len(records) / raw_seconds:.2f} articles/s, "
        f"{raw_rate:.0f} tokens/s",
        f"- Timings: the fastest of {args.repeats} interleaved rounds for the raw encoder and each option "
        f"(raw encoder rounds: {', '.join(f'{t:.1f}' for t in raw_rounds)} s)",
        "",
        table(["option", "articles/s", "article tokens/s", "encoded tokens per article token",
               "ratio to raw encoder", "validation edge F1"], rows),
        "",
        f"Bare reported speech, `predict({SPEECH!r}, 'Turkey', 'Haftar')`: {probe.label} "
        f"({', '.join(f'{k} {v:.2f}' for k, v in probe.scores.items())})",
    ])  # fmt: skip
    print(markdown)
    write_results("throughput", markdown, {"model": args.model, "articles": len(records), "tokens": tokens,
                                           "raw_encoder_seconds": raw_seconds, "raw_encoder_rounds": raw_rounds,
                                           "repeats": args.repeats, "options": results, "loaded": loaded,
                                           "reported_speech": probe.to_dict(),
                                           "machine": machine(), "date": today()})  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
