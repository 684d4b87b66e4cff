"""DSE benchmark: train from a config, evaluate on valid_dedup, test_dedup and test, and
compare with a TF-IDF + logistic-regression baseline measured in the same run.

    python -m training.benchmarks.dse --config configs/dse-minilm.yaml [--set train.epochs=3]
    python -m training.benchmarks.dse --config configs/dse-minilm.yaml --set model.mode=pair --name dse-pair

Selection is on valid_dedup only; test_dedup is the honest headline, and test.tsv (24.6%
of it copied from train) is reported only to compare with published numbers.

Two TF-IDF baselines, and why they differ. Both use 1-2 grams and logistic regression
on the same text (the sentence with typed p/q markers). The project's own
(``TF-IDF + LR``: min_df 2, sublinear tf) scores 75.6 / 26.5 5-way micro / macro-F1 on
test_dedup; ../shared/data/dse/README.md reports 70.07 / 35.30 for "TF-IDF (1-2 grams) +
logistic regression". The difference is class weighting: unweighted, the model predicts
neutral (65% of train) for 1,151 of the 1,223 test_dedup rows and never the rare q->p
labels 2 and 4 (265 and 387 training rows), so micro-F1 is high and macro-F1 low. With
``class_weight="balanced"`` and the vectorizer's defaults
(``TF-IDF + LR, balanced (data README)``) it gives 69.0 / 35.0 on test_dedup and
75.9 / 60.4 on test, within about a point of the data README's 70.07 / 35.30 and
77.08 / 60.85 (its exact settings are not given). Neither the features nor the n-grams
explain the gap: without class weights the vectorizer's defaults give 75.1 / 25.9, and
the raw bracketed sentence instead of the markers moves balanced macro-F1 by half a
point (34.6). (Balanced weights with the project's min_df 2 and sublinear tf score
higher still, 68.4 / 39.8, and 34.7 against 31.1 on valid_dedup; the row kept is the
data README's recipe, to compare with its number.)
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

from stance.classifier import StanceClassifier
from stance.encoding import mark
from stance.io import DSE_LABELS, load_examples, parse_dse_sentence
from training.benchmarks import machine, provenance, table, today, write_results
from training.config import load_config
from training.evaluate import dse_scores, evaluate, scores
from training.train import train

logger = logging.getLogger(__name__)

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def _dse_rows(path: str) -> tuple[list[str], list[str]]:
    """Marked sentences (typed p/q markers, so direction is visible to n-grams) and labels."""
    texts, labels = [], []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        sentence, _, _, label = line.split("\t")
        text, p, q = parse_dse_sentence(sentence)
        marked, _ = mark(text, [[p], [q]], [("PSTART", "PEND"), ("QSTART", "QEND")])
        texts.append(marked)
        labels.append(DSE_LABELS[int(label)])
    return texts, labels


def tfidf_baseline(
    train_path: str, tests: dict[str, str], balanced: bool = False
) -> dict[str, Any]:
    """TF-IDF (1-2 grams) + logistic regression on the 5-way labels.

    ``balanced=False`` is the project's baseline (min_df 2, sublinear tf, every class
    weighted alike); ``balanced=True`` the data README's (the vectorizer's defaults and
    ``class_weight="balanced"``). See the module docstring for why they differ.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    x, y = _dse_rows(train_path)
    if balanced:
        vectorizer = TfidfVectorizer(ngram_range=(1, 2))
        classifier = LogisticRegression(max_iter=2000, class_weight="balanced")
    else:
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        classifier = LogisticRegression(max_iter=2000)
    model = make_pipeline(vectorizer, classifier)
    model.fit(x, y)
    results = {}
    for name, path in tests.items():
        tx, ty = _dse_rows(path)
        results[name] = scores(ty, list(model.predict(tx)), DSE_LABELS)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", default="configs/dse-minilm.yaml")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--name", default="dse", help="Section and JSON name in docs/.")
    parser.add_argument(
        "--skip-train", action="store_true", help="Evaluate the run's existing model."
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    config = load_config(args.config, args.overrides)
    if not any(o.startswith("train.output_dir=") for o in args.overrides):
        # Each benchmark run trains in its own directory, so two names never share a model.
        config.train.output_dir = str(Path("runs") / args.name)
    tests = {"valid_dedup": config.data.validation, **config.data.test}
    started = time.perf_counter()
    baseline = tfidf_baseline(config.data.train, tests)
    baseline_seconds = time.perf_counter() - started
    started = time.perf_counter()
    balanced = tfidf_baseline(config.data.train, tests, balanced=True)
    balanced_seconds = time.perf_counter() - started

    model_dir = Path(config.train.output_dir) / "model"
    if not args.skip_train:
        train(config)
    clf = StanceClassifier.from_pretrained(model_dir, precision="float32")
    training = clf.config.metrics
    results: dict[str, Any] = {}
    predictions: dict[str, Any] = {}
    for name, path in tests.items():
        started = time.perf_counter()
        examples = list(load_examples(path))
        predictions[name] = (examples, clf.predict_batch(examples, batch_size=64, progress=True))
        results[name] = evaluate(clf, path, predictions=predictions[name][1])
        results[name]["seconds"] = round(time.perf_counter() - started, 1)
    # The non-neutral threshold of the 5-way rule, chosen on valid_dedup only.
    valid_examples, valid_predictions = predictions["valid_dedup"]
    sweep: dict[float | None, float] = {
        t: dse_scores(valid_examples, valid_predictions, threshold=t)["macro_f1"]
        for t in THRESHOLDS
    }
    sweep[None] = results["valid_dedup"]["dse5"]["macro_f1"]  # the argmax rule
    chosen = max(sweep, key=lambda t: sweep[t])
    tuned = {
        name: dse_scores(predictions[name][0], predictions[name][1], threshold=chosen)
        for name in tests
    }

    rows_per_second = (
        training["train_examples"] / 2 * training["epochs_run"] / training["train_seconds"]
        if training.get("train_seconds")
        else 0.0
    )
    header = ["data", "system", "5-way micro-F1", "5-way macro-F1", "directed 3-way macro-F1"]
    system = f"stance ({clf.config.encoder}, {clf.config.mode})"
    rows = []
    for name in tests:
        b, w, r, t = baseline[name], balanced[name], results[name], tuned[name]
        rows += [
            [name, "TF-IDF + LR", f"{100 * b['micro_f1']:.1f}", f"{100 * b['macro_f1']:.1f}", "–"],
            [name, "TF-IDF + LR, balanced (data README)", f"{100 * w['micro_f1']:.1f}",
             f"{100 * w['macro_f1']:.1f}", "–"],
            [name, f"{system}, argmax rule", f"{100 * r['dse5']['micro_f1']:.1f}",
             f"{100 * r['dse5']['macro_f1']:.1f}", f"{100 * r['directed']['macro_f1']:.1f}"],
            [name, f"{system}, rule chosen on valid_dedup ({chosen or 'argmax'})", f"{100 * t['micro_f1']:.1f}",
             f"{100 * t['macro_f1']:.1f}", f"{100 * r['directed']['macro_f1']:.1f}"],
        ]  # fmt: skip
    history = json.loads((Path(config.train.output_dir) / "metrics.json").read_text()).get(
        "history", []
    )
    markdown = "\n".join([
        f"## DSE `{args.name}`: {clf.config.encoder}, {clf.config.mode} mode"
        + (", context pooling" if clf.config.context_pooling else "")
        + (f", distilled from `{config.train.distill_from}`" if config.train.distill_from else ""),
        "",
        *provenance(),
        f"- Training: {training.get('train_examples', 0) // 2} DSE rows, {training.get('epochs_run')} epochs in "
        f"{training.get('train_seconds')} s of training steps (best epoch {training.get('best_epoch')}, "
        f"selected on valid_dedup): {rows_per_second:.1f} DSE rows/s "
        f"({training.get('train_texts_per_second')} encoder passes/s; "
        + ("one pass gives both directions of a row)" if clf.config.mode == "all_pairs" else "one pass per direction)"),
        f"- TF-IDF + LR baseline fitted in {baseline_seconds:.0f} s, its balanced variant "
        f"(the data README's) in {balanced_seconds:.0f} s",
        "",
        table(header, rows),
        "",
        "5-way labels are recovered from the two directed predictions of each row: a "
        "direction counts when its argmax is non-neutral (argmax rule) or when its "
        f"non-neutral probability reaches a threshold; the rule is chosen on valid_dedup ({chosen or 'argmax'}; "
        "valid_dedup 5-way macro-F1 by threshold: "
        + ", ".join(f"{t or 'argmax'}: {100 * v:.1f}" for t, v in sweep.items())
        + "); when both directions count, the more probable wins. "
        "`test` shares 24.6% of its rows with train, so only `test_dedup` is an honest test.",
    ])  # fmt: skip
    print(markdown)
    data = {"config": config.to_dict(), "training": training, "history": history, "baseline": baseline,
            "baseline_balanced": balanced, "results": results, "threshold_sweep": {str(k): v for k, v in sweep.items()}, "threshold": chosen, "tuned": tuned,
            "machine": machine(),
            "date": today()}  # fmt: skip
    write_results(args.name, markdown, data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
