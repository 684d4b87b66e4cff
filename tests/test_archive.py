"""Analysing an archive: status per article, formats, resume after a kill, Ray = local,
and the graph across articles."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from stance.across import aggregate_edges, plot_graph, plot_pair, write_graphml, write_json
from stance.actors import Actors
from stance.archive import EDGE_COLUMNS, analyze_file, edge_rows, status_path
from stance.cli import main
from stance.graph import ActorNode, Evidence, StanceEdge, StanceGraph

SHARED = Actors.coerce({"Turkey": ["Ankara"], "Khalifa Haftar": ["Haftar"], "Egypt": ["Cairo"]})
TEXT = (
    "Turkey says Haftar can no longer be trusted. Egypt backed Haftar, and Ankara condemned Cairo."
)
ARTICLES = [
    {"id": 1, "date": "2024-03-02", "text": TEXT, "actors": ["Turkey", "Haftar", "Egypt"]},
    '{"id": 2, "text": "unterminated',
    {"id": 3, "date": "2024-03-09", "text": "   "},
    {"id": 4, "date": "2024-04-01", "text": "Turkey condemned the strikes on Libya."},
    {"id": 5, "body": "Russia praised Qatar."},
    {"id": 6, "date": "2024-04-20", "text": TEXT},  # the shared actors
    {"id": 7, "text": "Russia praised Qatar after Egypt condemned Libya.",
     "actors": {"Russia": ["Moscow"], "Qatar": [], "Egypt": None, "Libya": ["Tripoli"]}},
]  # fmt: skip


def write_articles(path: Path, articles: list) -> Path:
    lines = [a if isinstance(a, str) else json.dumps(a) for a in articles]
    path.write_text("\n".join(lines) + "\n")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_article_gets_its_status_and_the_rest_their_edges(tiny_classifier, tmp_path):
    source = write_articles(tmp_path / "articles.jsonl", ARTICLES)
    out = tmp_path / "edges.jsonl"
    state = analyze_file(
        tiny_classifier, source, out, actors=SHARED, chunk_size=3, threshold=0.0, progress=False
    )
    status = read_jsonl(status_path(out))
    assert [s["row"] for s in status] == list(range(1, 8)) and state.rows == 7
    assert [s["status"] for s in status] == ["ok", "error", "error", "ok", "error", "ok", "ok"]
    assert "malformed JSON" in status[1]["error"] and status[1]["id"] is None
    assert "text is empty" in status[2]["error"]
    assert (
        "missing column 'text'" in status[4]["error"] and "--column body=text" in status[4]["error"]
    )
    assert status[3]["edges"] == 0 and "fewer than two actors" in status[3]["note"]
    assert status[0]["note"] is None and status[0]["error"] is None
    assert state.errors == 3

    edges = read_jsonl(out)
    assert all(list(e) == list(EDGE_COLUMNS) for e in edges)
    expected = []
    for row, article in ((1, ARTICLES[0]), (6, ARTICLES[5]), (7, ARTICLES[6])):
        graph = tiny_classifier.analyze(
            article["text"], article.get("actors", SHARED), threshold=0.0
        )
        expected += edge_rows(graph, row, article["id"], article.get("date"))
        assert status[row - 1]["edges"] == len(graph.edges) > 0
    assert edges == expected and state.edges == len(expected)
    # JSONL: scores an object, evidence a list of objects, the integer id an integer.
    first = edges[0]
    assert isinstance(first["scores"], dict) and set(first["scores"]) == set(tiny_classifier.labels)
    assert isinstance(first["evidence"], list) and set(first["evidence"][0]) == {
        "text", "start", "end", "score"
    }  # fmt: skip
    assert first["id"] == 1 and isinstance(first["id"], int) and first["date"] == "2024-03-02"
    ev = first["evidence"][0]
    assert TEXT[ev["start"] : ev["end"]] == ev["text"]

    with pytest.raises(FileExistsError, match="--overwrite"):
        analyze_file(tiny_classifier, source, out, actors=SHARED, progress=False)


def test_parquet_has_structs_and_csv_has_json_text(tiny_classifier, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = write_articles(tmp_path / "articles.jsonl", ARTICLES)
    kwargs = {"actors": SHARED, "chunk_size": 2, "threshold": 0.0, "progress": False}
    analyze_file(tiny_classifier, source, tmp_path / "edges.jsonl", **kwargs)
    analyze_file(tiny_classifier, source, tmp_path / "edges.parquet", **kwargs)
    analyze_file(tiny_classifier, source, tmp_path / "edges.csv", **kwargs)
    table = pq.read_table(tmp_path / "edges.parquet")
    assert pa.types.is_struct(table.schema.field("scores").type)
    assert pa.types.is_list(table.schema.field("evidence").type)
    assert pa.types.is_struct(table.schema.field("evidence").type.value_type)
    assert table.schema.field("id").type == pa.int64()
    assert table.to_pylist() == read_jsonl(tmp_path / "edges.jsonl")
    assert not (tmp_path / "edges.parquet.parts").exists()

    csv_rows = pd.read_csv(tmp_path / "edges.csv").to_dict("records")
    assert len(csv_rows) == table.num_rows
    assert json.loads(csv_rows[0]["scores"]) == table.to_pylist()[0]["scores"]
    assert json.loads(csv_rows[0]["evidence"]) == table.to_pylist()[0]["evidence"]


def test_parquet_and_csv_input_with_a_column_mapping(tiny_classifier, tmp_path):
    records = [
        {"doc": "a", "body": TEXT, "who": json.dumps(["Turkey", "Haftar"])},
        {"doc": "b", "body": "", "who": ""},
    ]
    pd.DataFrame(records).to_parquet(tmp_path / "in.parquet")
    pd.DataFrame(records).to_csv(tmp_path / "in.csv", index=False)
    columns = {"doc": "id", "body": "text", "who": "actors"}
    for suffix in (".parquet", ".csv"):
        out = tmp_path / f"out{suffix}.jsonl"
        analyze_file(tiny_classifier, tmp_path / f"in{suffix}", out, columns=columns,
                     threshold=0.0, progress=False)  # fmt: skip
        status = read_jsonl(status_path(out))
        assert [(s["id"], s["status"]) for s in status] == [("a", "ok"), ("b", "error")]
        edges = read_jsonl(out)
        assert {(e["source"], e["target"], e["id"]) for e in edges} == {
            ("Turkey", "Haftar", "a"), ("Haftar", "Turkey", "a")
        }  # fmt: skip
    with pytest.raises(ValueError, match="no field 'body'"):
        analyze_file(tiny_classifier, tmp_path / "in.csv", tmp_path / "x.jsonl",
                     columns={"text": "body"}, progress=False)  # fmt: skip


def fixed_graph(n: int) -> StanceGraph:
    """Two edges whose scores tell the articles apart."""
    scores = {"neutral": 0.1, "support": 0.8, "oppose": 0.1}
    ev = (Evidence("A backs B", 0, 9, 0.8),)
    return StanceGraph(
        (ActorNode("A", 1), ActorNode("B", 1)),
        (StanceEdge("A", "B", "support", 0.8, scores, ev),
         StanceEdge("B", "A", "oppose", n / 1000, scores, ev)),
    )  # fmt: skip


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet", ".csv"])
def test_killed_job_resumes_with_every_article_exactly_once(
    tiny_classifier, tmp_path, monkeypatch, suffix
):
    n, chunk = 50, 8
    articles = [{"id": i, "text": f"A backs B, article {i}."} for i in range(n)]
    articles[13] = '{"broken'
    source = write_articles(tmp_path / "articles.jsonl", articles)
    out = tmp_path / f"edges{suffix}"
    calls = []

    def analyze(text, actors=None, **options):
        calls.append(text)
        if kill and len(calls) > chunk + 3:  # part-way through the second chunk
            raise RuntimeError("killed")
        return fixed_graph(int(text.rsplit(" ", 1)[1].rstrip(".")))

    monkeypatch.setattr(tiny_classifier, "analyze", analyze)
    kill = True
    with pytest.raises(RuntimeError, match="killed"):
        analyze_file(tiny_classifier, source, out, actors=["A", "B"], chunk_size=chunk,
                     progress=False)  # fmt: skip
    assert len(read_jsonl(status_path(out))) == chunk  # the first chunk, and no more
    with pytest.raises(FileExistsError, match="--resume"):
        analyze_file(tiny_classifier, source, out, actors=["A", "B"], progress=False)
    kill = False
    state = analyze_file(tiny_classifier, source, out, actors=["A", "B"], chunk_size=chunk,
                         resume=True, progress=False)  # fmt: skip
    assert state.complete and state.rows == n and state.errors == 1
    status = read_jsonl(status_path(out))
    assert [s["row"] for s in status] == list(range(1, n + 1))
    assert [s["status"] for s in status].count("error") == 1 and status[13]["status"] == "error"
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        edges = pq.read_table(out).to_pylist()
    elif suffix == ".csv":
        edges = pd.read_csv(out).to_dict("records")
    else:
        edges = read_jsonl(out)
    assert len(edges) == 2 * (n - 1) == state.edges
    assert len({(e["row"], e["source"], e["target"]) for e in edges}) == len(edges)
    assert [e["row"] for e in edges] == sorted(e["row"] for e in edges)
    # Resuming a complete job does nothing.
    assert analyze_file(tiny_classifier, source, out, resume=True, progress=False).rows == n


def test_ray_engine_gives_the_local_engine_s_files(local_ray, tiny_classifier, tmp_path):
    from stance.classifier import StanceClassifier
    from stance.distributed import analyze_file_ray

    model = tmp_path / "model"
    tiny_classifier.save_pretrained(model)
    clf = StanceClassifier.from_pretrained(model, device="cpu")
    articles = [
        ARTICLES[i % len(ARTICLES)] if isinstance(ARTICLES[i % len(ARTICLES)], str)
        else {**ARTICLES[i % len(ARTICLES)], "id": i}
        for i in range(40)
    ]  # fmt: skip
    source = write_articles(tmp_path / "articles.jsonl", articles)
    kwargs = {"actors": SHARED, "chunk_size": 8, "threshold": 0.0}
    analyze_file(clf, source, tmp_path / "local.jsonl", progress=False, **kwargs)
    assert analyze_file_ray(str(model), str(source), tmp_path / "ray.jsonl", device="cpu",
                            **kwargs) == 40  # fmt: skip
    local, remote = (tmp_path / "local.jsonl").read_bytes(), (tmp_path / "ray.jsonl").read_bytes()
    assert local == remote and len(local.splitlines()) > 20
    assert (
        status_path(tmp_path / "local.jsonl").read_bytes()
        == status_path(tmp_path / "ray.jsonl").read_bytes()
    )
    with pytest.raises(FileExistsError, match="--overwrite"):
        analyze_file_ray(str(model), str(source), tmp_path / "ray.jsonl", **kwargs)

    # Parquet in (with integer ids and list actors), Parquet out.
    import pyarrow.parquet as pq

    good = [a for a in articles if not isinstance(a, str)]
    frame = pd.DataFrame(
        [{"id": a["id"], "text": a.get("text", ""), "actors": a.get("actors")
          if isinstance(a.get("actors"), list) else None} for a in good]
    )  # fmt: skip
    frame.to_parquet(tmp_path / "articles.parquet")
    analyze_file(clf, tmp_path / "articles.parquet", tmp_path / "local.parquet", progress=False,
                 **kwargs)  # fmt: skip
    analyze_file_ray(str(model), str(tmp_path / "articles.parquet"), tmp_path / "ray.parquet",
                     device="cpu", **kwargs)  # fmt: skip
    mine, theirs = (
        pq.read_table(tmp_path / "local.parquet"),
        pq.read_table(tmp_path / "ray.parquet"),
    )
    assert mine.schema == theirs.schema and mine.to_pylist() == theirs.to_pylist()
    assert mine.num_rows > 0

    # int8 on the Ray workers as on the local engine, with the same file.
    quantised = StanceClassifier.from_pretrained(model, device="cpu", precision="int8")
    analyze_file(quantised, source, tmp_path / "local8.jsonl", progress=False, **kwargs)
    analyze_file_ray(str(model), str(source), tmp_path / "ray8.jsonl", device="cpu",
                     precision="int8", **kwargs)  # fmt: skip
    local8 = (tmp_path / "local8.jsonl").read_bytes()
    assert local8 == (tmp_path / "ray8.jsonl").read_bytes() and local8 != local


@pytest.fixture
def local_ray():
    """A local Ray for one test, shut down right after (as in tests/test_scaling.py)."""
    ray = pytest.importorskip("ray")
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    yield ray
    ray.shutdown()


EDGES = pd.DataFrame(
    [
        # id, date, source, target, label, score
        ("a1", "2024-01-05", "Turkey", "Haftar", "oppose", 0.9),
        ("a1", "2024-01-05", "Haftar", "Turkey", "oppose", 0.7),
        ("a2", "2024-01-20", "Turkey", "Haftar", "oppose", 0.6),
        ("a3", "2024-02-01", "Turkey", "Haftar", "support", 0.8),
        ("a4", None, "Turkey", "Haftar", "oppose", 0.5),
        ("a5", "2024-02-11T08:00:00", "Egypt", "Haftar", "support", 0.75),
    ],
    columns=["id", "date", "source", "target", "label", "score"],
)


def test_aggregate_edges_counts_articles_per_pair():
    table = aggregate_edges(EDGES)
    got = {(r.source, r.target): r for r in table.itertuples()}
    th = got[("Turkey", "Haftar")]
    assert (th.articles, th.support, th.oppose) == (4, 1, 3)
    assert th.mean_score == pytest.approx((0.9 + 0.6 + 0.8 + 0.5) / 4)
    assert th.net == pytest.approx(-0.5) and th.label == "oppose"
    assert (got[("Egypt", "Haftar")].net, got[("Egypt", "Haftar")].label) == (1.0, "support")
    assert len(table) == 3
    kept = aggregate_edges(EDGES, min_articles=2)
    assert list(zip(kept["source"], kept["target"])) == [("Turkey", "Haftar")]


def test_aggregate_edges_by_month_and_year():
    table = aggregate_edges(EDGES, by="month")
    rows = {(r.source, r.target, r.period): (r.articles, r.support, r.oppose, r.label)
            for r in table.itertuples()}  # fmt: skip
    assert rows == {
        ("Egypt", "Haftar", "2024-02"): (1, 1, 0, "support"),
        ("Haftar", "Turkey", "2024-01"): (1, 0, 1, "oppose"),
        ("Turkey", "Haftar", "2024-01"): (2, 0, 2, "oppose"),
        ("Turkey", "Haftar", "2024-02"): (1, 1, 0, "support"),
        ("Turkey", "Haftar", "undated"): (1, 0, 1, "oppose"),
    }
    years = aggregate_edges(EDGES, by="year")
    assert set(years["period"]) == {"2024", "undated"}
    mixed = aggregate_edges(EDGES[EDGES["id"].isin(["a2", "a3"])], by="year")
    assert (mixed["net"].tolist(), mixed["label"].tolist()) == ([0.0], ["mixed"])
    with pytest.raises(ValueError, match="not an ISO date"):
        aggregate_edges(EDGES.assign(date="March 2024"), by="month")


def test_across_writers(tmp_path):
    table = aggregate_edges(EDGES)
    write_json(table, tmp_path / "graph.json")
    data = json.loads((tmp_path / "graph.json").read_text())
    assert data["nodes"] == ["Egypt", "Haftar", "Turkey"] and len(data["edges"]) == 3
    import networkx as nx

    write_graphml(aggregate_edges(EDGES, by="month"), tmp_path / "g.graphml")
    graph = nx.read_graphml(tmp_path / "g.graphml")
    assert graph.number_of_edges() == 5
    plot_graph(table, tmp_path / "g.png")
    plot_pair(aggregate_edges(EDGES, by="month"), "Turkey", "Haftar", tmp_path / "pair.png")
    assert (tmp_path / "g.png").stat().st_size > 1000
    assert (tmp_path / "pair.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="no dated stance"):
        plot_pair(aggregate_edges(EDGES, by="month"), "Haftar", "Egypt", tmp_path / "x.png")


def test_cli_analyze_archive_then_aggregate(tiny_classifier, tmp_path, capsys):
    model = tmp_path / "model"
    tiny_classifier.save_pretrained(model)
    source = write_articles(tmp_path / "articles.jsonl", ARTICLES)
    actors = tmp_path / "actors.yaml"
    SHARED.save(actors)
    edges = tmp_path / "edges.parquet"
    base = ["analyze", "--model", str(model), "--device", "cpu"]
    assert main([*base, "--input", str(source), "--output", str(edges), "--actors", str(actors),
                 "--threshold", "0"]) == 0  # fmt: skip
    assert len(read_jsonl(status_path(edges))) == len(ARTICLES)
    assert main([*base, "--input", str(source), "--output", str(edges)]) == 2  # exists
    assert main([*base, "--output", str(edges)]) == 2
    assert "not neither" in capsys.readouterr().err
    assert main([*base, str(source), "--input", str(source), "--output", str(edges)]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["aggregate", str(edges), "--by", "month", "--output", str(tmp_path / "g.json"),
                 "--graphml", str(tmp_path / "g.graphml"), "--plot", str(tmp_path / "g.png"),
                 "--pair", "Turkey", "Khalifa Haftar", "--pair-plot", str(tmp_path / "p.png")]) == 0  # fmt: skip
    data = json.loads((tmp_path / "g.json").read_text())
    assert data["periods"] and {"period", "net", "support", "oppose"} <= set(data["edges"][0])
    assert (tmp_path / "p.png").exists() and (tmp_path / "g.png").exists()
