"""The HTML report: every edge and passage embedded, nothing fetched from outside, the
CLI's ``--html``, and (slow) a headless Chromium that clicks an edge and finds its
evidence lit in the article."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from stance.cli import main
from stance.graph import ActorNode, Evidence, StanceEdge, StanceGraph
from stance.mentions import find_mentions
from stance.report import render_html

ROOT = Path(__file__).resolve().parents[1]

# A code point outside the BMP (🙂) before the passages checks that offsets count code
# points in the page as they do in Python; "</script>" and "<!--" must not break out.
ARTICLE = (
    "Ankara 🙂 DESK\n\n"
    "Turkey says Haftar can no longer be trusted. Egypt backed Haftar on Monday.\n\n"
    "Qatar condemned the strikes by Haftar, the Libyan side said. "
    "Haftar called Turkey an occupier. </script><!-- quoted --> Nothing more."
)


def _span(sentence: str) -> tuple[int, int]:
    start = ARTICLE.index(sentence)
    return start, start + len(sentence)


def _evidence(sentence: str, score: float) -> Evidence:
    start, end = _span(sentence)
    return Evidence(ARTICLE[start:end], start, end, score)


S1 = "Turkey says Haftar can no longer be trusted."
S2 = "Egypt backed Haftar on Monday."
S3 = "Qatar condemned the strikes by Haftar, the Libyan side said."
S4 = "Haftar called Turkey an occupier."
S12 = S1 + " " + S2


@pytest.fixture
def graph() -> StanceGraph:
    nodes = (ActorNode("Turkey", 2), ActorNode("Haftar", 5), ActorNode("Egypt", 1),
             ActorNode("Qatar", 1))  # fmt: skip
    edges = (
        StanceEdge("Turkey", "Haftar", "oppose", 0.9,
                   {"neutral": 0.05, "support": 0.05, "oppose": 0.9},
                   (_evidence(S1, 0.9), _evidence(S12, 0.7))),
        StanceEdge("Egypt", "Haftar", "support", 0.8,
                   {"neutral": 0.1, "support": 0.8, "oppose": 0.1}, (_evidence(S2, 0.8),)),
        StanceEdge("Haftar", "Turkey", "oppose", 0.65,
                   {"neutral": 0.3, "support": 0.05, "oppose": 0.65}, (_evidence(S4, 0.65),)),
        StanceEdge("Qatar", "Haftar", "oppose", 0.55,
                   {"neutral": 0.4, "support": 0.05, "oppose": 0.55}, (_evidence(S3, 0.55),)),
    )  # fmt: skip
    start, end = _span("Libyan")
    ambiguous = ({"start": start, "end": end, "text": "Libyan",
                  "candidates": ("Libya", "Libyan National Army")},)  # fmt: skip
    skipped = ("window 9 [200:400]: too long for the encoder",)
    return StanceGraph(nodes, edges, 0.5, ambiguous, skipped)


def _data(page: str) -> dict:
    found = re.findall(
        r'<script type="application/json" id="stance-data">(.*?)</script>', page, re.S
    )
    assert len(found) == 1
    return json.loads(found[0])


def test_report_embeds_every_edge_and_every_passage(graph):
    data = _data(render_html(graph, ARTICLE))
    assert data["text"] == ARTICLE
    assert data["threshold"] == 0.5
    assert [(n["name"], n["mentions"]) for n in data["nodes"]] == [
        (n.name, n.mentions) for n in graph.nodes
    ]
    assert [(e["source"], e["target"], e["label"], e["score"], e["scores"]) for e in data["edges"]] == [
        (e.source, e.target, e.label, e.score, dict(e.scores)) for e in graph.edges
    ]  # fmt: skip
    assert [[(v["start"], v["end"], v["score"]) for v in e["evidence"]] for e in data["edges"]] == [
        [(v.start, v.end, v.score) for v in e.evidence] for e in graph.edges
    ]  # fmt: skip
    assert data["skipped"] == list(graph.skipped)
    assert data["ambiguous"][0]["text"] == "Libyan"
    assert data["ambiguous_spans"] == [
        {"start": ARTICLE.index("Libyan"), "end": ARTICLE.index("Libyan") + 6,
         "candidates": ["Libya", "Libyan National Army"]}
    ]  # fmt: skip
    # every actor is coloured, in a colour of its own
    colours = [a["colour"] for a in data["actors"].values()]
    assert set(data["actors"]) == {"Turkey", "Haftar", "Egypt", "Qatar"}
    assert len(set(colours)) == len(colours)


def test_report_marks_mentions_found_under_the_actors_names(graph):
    data = _data(render_html(graph, ARTICLE))
    spans = find_mentions(ARTICLE, ["Turkey", "Haftar", "Egypt", "Qatar"]).spans()
    expected = sorted((s, e, actor) for actor, found in spans.items() for s, e in found)
    assert sorted((m["start"], m["end"], m["actor"]) for m in data["mentions"]) == expected
    assert any(ARTICLE[m["start"] : m["end"]] == "Haftar" for m in data["mentions"])


def test_given_mentions_are_used_and_checked(graph):
    turkey = _span("Turkey says")[0]
    mentions = {"Turkey": [(turkey, turkey + 6), (0, 6)], "Haftar": [(turkey + 2, turkey + 9)]}
    marks = _data(render_html(graph, ARTICLE, mentions=mentions))["mentions"]
    # sorted by start; the overlapping Haftar span loses to the earlier Turkey one
    assert marks == [{"actor": "Turkey", "start": 0, "end": 6},
                     {"actor": "Turkey", "start": turkey, "end": turkey + 6}]  # fmt: skip
    with pytest.raises(ValueError, match="does not fit a text"):
        render_html(graph, ARTICLE, mentions={"Turkey": [(0, len(ARTICLE) + 1)]})
    with pytest.raises(ValueError, match="without the text"):
        render_html(graph, mentions={"Turkey": [(0, 6)]})


def test_report_references_nothing_outside_the_page(graph):
    page = render_html(graph, ARTICLE)
    assert re.search(r"https?://", page) is None
    assert re.search(r"\b(src|href)\s*=", page) is None
    assert re.search(r"url\((?!#)", page) is None
    assert "@import" not in page
    assert len(page) < 100_000


def test_article_text_cannot_break_out_of_the_data_tag(graph):
    page = render_html(graph, ARTICLE, title="<b>Turkey</b> & Haftar")
    # the data tag and the code tag close, and nothing else does
    assert page.count("</script>") == 2
    blob = page.split('id="stance-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in blob and ">" not in blob
    assert json.loads(blob)["text"] == ARTICLE
    assert "<title>&lt;b&gt;Turkey&lt;/b&gt; &amp; Haftar</title>" in page


def test_placeholders_in_the_article_are_left_alone(graph):
    text = ARTICLE + " __JS__ __TITLE__ __CSS__ __DATA__"
    page = render_html(graph, text, title="T")
    assert _data(page)["text"] == text
    assert page.count("<title>T</title>") == 1


def test_title_defaults_to_a_short_first_line(graph):
    assert "<title>Ankara 🙂 DESK</title>" in render_html(graph, ARTICLE)
    assert "<title>Stance report</title>" in render_html(graph)


def test_evidence_must_point_into_the_text(graph):
    with pytest.raises(ValueError, match="Pass the text the graph was built from"):
        render_html(graph, ARTICLE.upper())


def test_without_the_article_each_passage_carries_its_text(graph):
    data = _data(render_html(graph))
    assert data["text"] is None and data["mentions"] == []
    assert [v["text"] for v in data["edges"][0]["evidence"]] == [S1, S12]


def test_edge_ends_missing_from_the_nodes_are_drawn(graph):
    lone = StanceGraph(graph.nodes[:1], graph.edges[:1])
    names = [n["name"] for n in _data(render_html(lone, ARTICLE))["nodes"]]
    assert names == ["Turkey", "Haftar"]


def test_to_html_writes_utf8(graph, tmp_path):
    path = tmp_path / "report.html"
    graph.to_html(path, text=ARTICLE, title="Kalın")
    page = path.read_text(encoding="utf-8")
    assert "<title>Kalın</title>" in page
    assert _data(page)["text"] == ARTICLE


def test_cli_writes_the_report(tiny_classifier, tmp_path, capsys):
    model = tmp_path / "m"
    tiny_classifier.save_pretrained(model)
    out, js = tmp_path / "report.html", tmp_path / "graph.json"
    code = main(["analyze", "--model", str(model), "--actors", str(ROOT / "examples/libya_actors.yaml"),
                 str(ROOT / "examples/libya_article.txt"), "--device", "cpu", "--threshold", "0.0",
                 "--format", "json", "--output", str(js), "--html", str(out)])  # fmt: skip
    assert code == 0
    assert f"report written to {out}" in capsys.readouterr().err
    data = _data(out.read_text(encoding="utf-8"))
    graph = json.loads(js.read_text(encoding="utf-8"))
    assert data["text"] == (ROOT / "examples/libya_article.txt").read_text(encoding="utf-8")
    assert data["edges"] and len(data["edges"]) == len(graph["edges"])
    assert [(e["source"], e["target"], [(v["start"], v["end"]) for v in e["evidence"]])
            for e in data["edges"]] == [
        (e["source"], e["target"], [(v["start"], v["end"]) for v in e["evidence"]])
        for e in graph["edges"]
    ]  # fmt: skip
    assert data["mentions"]


# --------------------------------------------------------------------------------------
# In a real browser
# --------------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, installed with apt-get when it is missing and we may."""
    found = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if found:
        return found
    if getattr(os, "geteuid", lambda: -1)() != 0 or not shutil.which("apt-get"):
        pytest.skip(f"needs Debian's chromium ({CHROMIUM}); it is missing, and installing "
                    "it (apt-get install -y chromium) needs root and apt-get")  # fmt: skip
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
            subprocess.run(command, check=True, capture_output=True, timeout=900, env=env)
    except (OSError, subprocess.SubprocessError) as err:
        pytest.skip(f"needs Debian's chromium ({CHROMIUM}); installing it failed: {err}")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"apt-get installed chromium, but {CHROMIUM} is not there")
    return CHROMIUM


# Run after the page's own script: click the strongest edge, raise the slider past the
# weakest edges, then hover Egypt; the test reads the resulting DOM.
HOOK = """<script>
window.addEventListener("load", () => {
  document.querySelector('#graph .edge[data-id="0"] .hit')
    .dispatchEvent(new MouseEvent("click", {bubbles: true}));
  const slider = document.getElementById("threshold");
  slider.value = "0.7";
  slider.dispatchEvent(new Event("input"));
  const egypt = [...document.querySelectorAll("#graph .node")]
    .find((g) => g.textContent.startsWith("Egypt"));
  egypt.dispatchEvent(new MouseEvent("mouseenter"));
  document.body.dataset.hook = "ran";
});
</script>
</body>"""


class _Dom(HTMLParser):
    """The article's segments, and the classes of table rows, passages and edges."""

    def __init__(self) -> None:
        super().__init__()
        self.segments: list[dict] = []
        self.rows: list[dict[str, str]] = []
        self.passages: list[str] = []
        self.edges: list[dict[str, str]] = []
        self.svg_class = ""
        self.hook = ""
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if tag == "span" and "seg" in classes and "data-s" in a:
            self._open = {"s": int(a["data-s"]), "e": int(a["data-e"]), "classes": classes,
                          "text": ""}  # fmt: skip
            self.segments.append(self._open)
        elif tag == "tr" and "data-id" in a:
            self.rows.append(a)
        elif tag == "li" and "passage" in classes:
            self.passages.append(a.get("class", ""))
        elif tag == "g" and "edge" in classes:
            self.edges.append(a)
        elif tag == "svg" and a.get("id") == "graph":
            self.svg_class = a.get("class", "")
        elif tag == "body":
            self.hook = a.get("data-hook", "")

    def handle_endtag(self, tag):
        if tag == "span":
            self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._open["text"] += data


def _ranges(pairs) -> list[tuple[int, int]]:
    """Merge ``(start, end)`` pairs into disjoint, sorted ranges."""
    merged: list[list[int]] = []
    for s, e in sorted(pairs):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


@pytest.mark.slow
def test_clicking_an_edge_lights_its_evidence_in_the_article(graph, chromium, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render_html(graph, ARTICLE).replace("</body>", HOOK, 1), encoding="utf-8")
    run = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    dom = _Dom()
    dom.feed(run.stdout)
    assert dom.hook == "ran", "the test hook did not run: " + run.stderr[-2000:]

    # the article is all there, cut into segments whose offsets count code points
    assert "".join(s["text"] for s in dom.segments) == ARTICLE
    assert all(ARTICLE[s["s"] : s["e"]] == s["text"] for s in dom.segments)
    edge = graph.edges[0]
    lit = [(s["s"], s["e"]) for s in dom.segments if "ev" in s["classes"]]
    assert _ranges(lit) == _ranges((v.start, v.end) for v in edge.evidence)
    active = "".join(s["text"] for s in dom.segments if "ev-on" in s["classes"])
    assert active == edge.evidence[0].text  # the best passage is the one shown first
    ends = {s["text"] for s in dom.segments if "end" in s["classes"]}
    assert ends == {"Turkey", "Ankara", "Haftar"}  # Ankara: a variant of Turkey

    assert len(dom.passages) == len(edge.evidence) and "on" in dom.passages[0].split()
    selected = [r["data-id"] for r in dom.rows if "sel" in r.get("class", "").split()]
    assert selected == ["0"]
    # the slider at 0.7 hid the weaker edges in the table and the graph
    hidden = {r["data-id"] for r in dom.rows if "off" in r.get("class", "").split()}
    weak = {str(i) for i, e in enumerate(graph.edges) if e.score < 0.7}
    assert hidden == weak
    assert {g["data-id"] for g in dom.edges if "off" in g["class"].split()} == weak
    # hovering Egypt lights Egypt's edges
    assert "hovering" in dom.svg_class.split()
    assert [g["data-id"] for g in dom.edges if "hl" in g["class"].split()] == ["1"]


def test_the_graph_across_articles_lists_the_articles_behind_each_edge(tmp_path):
    import pandas as pd

    from stance.across import to_stance_graph
    from stance.cli import main

    edges = pd.DataFrame(
        [
            {"id": "a1", "date": "2024-01-03", "source": "Turkey", "target": "Haftar", "label": "oppose", "score": 0.9},
            {"id": "a2", "date": "2024-02-10", "source": "Turkey", "target": "Haftar", "label": "oppose", "score": 0.7},
            {"id": "a3", "date": "2024-02-11", "source": "Turkey", "target": "Haftar", "label": "support", "score": 0.6},
            {"id": "a3", "date": "2024-02-11", "source": "Egypt", "target": "Haftar", "label": "support", "score": 0.8},
        ]
    )  # fmt: skip
    graph = to_stance_graph(edges)
    turkey = next(e for e in graph.edges if e.source == "Turkey")
    assert (turkey.label, round(turkey.score, 3)) == ("oppose", round(2 / 3, 3))
    assert [ev.text for ev in turkey.evidence] == [
        "a1 (2024-01-03): oppose 0.90",
        "a2 (2024-02-10): oppose 0.70",
        "a3 (2024-02-11): support 0.60",
    ]
    path = tmp_path / "edges.jsonl"
    edges.to_json(path, orient="records", lines=True)
    out = tmp_path / "across.html"
    assert (
        main(["aggregate", str(path), "--output", str(tmp_path / "g.json"), "--html", str(out)])
        == 0
    )
    page = out.read_text(encoding="utf-8")
    assert (
        "a2 (2024-02-10): oppose 0.70" in page and "http://" not in page and "https://" not in page
    )
