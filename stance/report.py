"""A self-contained HTML report of a stance graph, with the evidence beside every edge.

:func:`render_html` writes one page that needs no network: the graph drawn as inline SVG
(actors on a circle, support and oppose edges in the colours of :data:`stance.graph.COLOURS`,
width by score, the two directions of a pair curved apart), the article with every
mention marked in its actor's colour, a sortable table of the edges, and the forms and
windows the analysis left out (``graph.ambiguous``, ``graph.skipped``). A slider hides
the edges below a score; hovering an actor lights its edges; clicking an edge, in the
graph or the table, lists its evidence passages with their scores and highlights them in
the article; clicking a passage scrolls the article to it. Opening the page with
``#edge=N`` in its address selects the ``N``-th edge (strongest first).

All the data sits in one ``<script type="application/json" id="stance-data">`` tag,
escaped so that no article text can close it; a small inline script draws the page from
it. Offsets in that data count code points, as Python does.

Example:
    >>> from stance.graph import ActorNode, Evidence, StanceEdge, StanceGraph
    >>> text = "Turkey condemned Haftar."
    >>> edge = StanceEdge("Turkey", "Haftar", "oppose", 0.9, {"oppose": 0.9},
    ...                   (Evidence(text, 0, len(text), 0.9),))
    >>> graph = StanceGraph((ActorNode("Turkey", 1), ActorNode("Haftar", 1)), (edge,))
    >>> page = render_html(graph, text)
    >>> page.startswith("<!DOCTYPE html>")
    True
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from stance.graph import COLOURS, OTHER_COLOUR, StanceGraph
from stance.mentions import MentionSearch, find_mentions

logger = logging.getLogger(__name__)

__all__ = ["render_html"]

# Categorical colours for actors, kept clear of the support green and the oppose red of
# the edges so that an actor is never read as a stance.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#9467bd", "#17becf", "#8c564b", "#e377c2",
    "#bcbd22", "#7f7f7f", "#393b79", "#e6a700", "#6b6ecf", "#ad494a",
)  # fmt: skip

MentionsLike = MentionSearch | Mapping[str, Sequence[tuple[int, int]]]


def render_html(
    graph: StanceGraph,
    text: str | None = None,
    title: str | None = None,
    mentions: MentionsLike | None = None,
) -> str:
    """The HTML report of ``graph``: one page, with no reference to anything outside it.

    Args:
        graph: The stance graph to show.
        text: The article the graph was built from. Without it, the page lists each
            edge's passages but shows no article.
        title: The page's title; by default the article's first line when it is short (a
            headline), else "Stance report".
        mentions: Where each actor is mentioned in ``text``: a
            :class:`~stance.mentions.MentionSearch` or ``{actor: [(start, end), ...]}``.
            By default they are the spans the graph's nodes carry (``analyze`` records
            every mention it found, aliases included); for a graph without them they
            are found again with :func:`~stance.mentions.find_mentions` under the
            actors' names and their variants.

    Returns:
        The page, as a string (write it as UTF-8).

    Raises:
        ValueError: when an evidence passage or a mention does not fit ``text`` (the
            graph was built from another text), or ``mentions`` is given without ``text``.

    Example:
        >>> from stance.graph import ActorNode, StanceGraph
        >>> "Stance report" in render_html(StanceGraph((ActorNode("Turkey", 0),), ()))
        True
    """
    data = _payload(graph, text, title, mentions)
    values = {"TITLE": html.escape(data["title"]), "CSS": _CSS, "DATA": _embed_json(data),
              "JS": _JS}  # fmt: skip
    # one pass, so that nothing inserted (an article quoting "__JS__") is replaced again
    return re.sub(r"__(TITLE|CSS|DATA|JS)__", lambda m: values[m.group(1)], _PAGE)


def _embed_json(data: Mapping[str, Any]) -> str:
    """JSON that is safe inside ``<script>``: ASCII only, and no ``<``, ``>`` or ``&``, so
    neither ``</script>`` nor ``<!--`` in the article can end or bend the tag."""
    blob = json.dumps(data, ensure_ascii=True, separators=(",", ":"), default=str)
    return blob.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _payload(
    graph: StanceGraph, text: str | None, title: str | None, mentions: MentionsLike | None
) -> dict[str, Any]:
    if text is not None and not isinstance(text, str):
        raise ValueError(f"text must be the article as a string, got {type(text).__name__}.")
    if mentions is not None and text is None:
        raise ValueError("mentions were given without the text they point into; pass text=.")
    nodes = [{"name": n.name, "mentions": n.mentions} for n in graph.nodes]
    known = {n.name for n in graph.nodes}
    for e in graph.edges:  # an edge always has its two ends drawn
        for name in (e.source, e.target):
            if name not in known:
                known.add(name)
                nodes.append({"name": name, "mentions": 0})
    edges = []
    for e in graph.edges:
        evidence = []
        for ev in e.evidence:
            item: dict[str, Any] = {"start": ev.start, "end": ev.end, "score": float(ev.score)}
            if text is None:
                item["text"] = ev.text
            elif not (0 <= ev.start <= ev.end <= len(text)) or text[ev.start : ev.end] != ev.text:
                raise ValueError(
                    f"The evidence of edge {e.source} → {e.target} at [{ev.start}:{ev.end}] "
                    f"reads {ev.text[:40]!r}, but the text there reads "
                    f"{text[ev.start : ev.end][:40]!r}. Pass the text the graph was built "
                    "from, or text=None."
                )
            evidence.append(item)
        edges.append(
            {
                "source": e.source,
                "target": e.target,
                "label": e.label,
                "score": float(e.score),
                "scores": {k: float(v) for k, v in e.scores.items()},
                "evidence": evidence,
            }
        )
    marks = _mention_marks(graph, text, mentions) if text is not None else []
    names = [n["name"] for n in nodes]
    names += sorted({m["actor"] for m in marks} - set(names))
    colours = {name: _colour(k) for k, name in enumerate(names)}
    return {
        "title": title or _default_title(text),
        "threshold": float(graph.threshold),
        "text": text,
        "nodes": nodes,
        "actors": {name: {"colour": c, "tint": _tint(c)} for name, c in colours.items()},
        "edges": edges,
        "mentions": marks,
        "ambiguous": list(graph.ambiguous),
        "ambiguous_spans": _ambiguous_spans(graph, text),
        "skipped": [str(s) for s in graph.skipped],
        "colours": dict(COLOURS),
        "other_colour": OTHER_COLOUR,
    }


def _mention_marks(
    graph: StanceGraph, text: str, mentions: MentionsLike | None
) -> list[dict[str, Any]]:
    """Non-overlapping mention spans ``{actor, start, end}``, sorted by start."""
    if mentions is None and any(n.spans for n in graph.nodes):
        # The graph knows where each actor was found, aliases included.
        spans = {n.name: n.spans for n in graph.nodes}
    elif mentions is None:
        names = [n.name for n in graph.nodes]
        spans = find_mentions(text, names).spans() if names else {}
        for node in graph.nodes:
            found = len(spans.get(node.name, ()))
            if found != node.mentions:
                logger.debug("%s: %d mentions marked under its name and variants, %d counted "
                             "by the graph; pass mentions= to mark its aliases.",
                             node.name, found, node.mentions)  # fmt: skip
    elif isinstance(mentions, MentionSearch):
        spans = mentions.spans()
    elif isinstance(mentions, Mapping):
        spans = {str(actor): tuple(found) for actor, found in mentions.items()}
    else:
        raise ValueError(
            "mentions must be a MentionSearch or {actor: [(start, end), ...]}, "
            f"got {type(mentions).__name__}."
        )
    found_spans = []
    for actor, actor_spans in spans.items():
        for span in actor_spans:
            start, end = (int(x) for x in span)
            if not 0 <= start < end <= len(text):
                raise ValueError(
                    f"The mention of {actor} at [{start}:{end}] does not fit a text of "
                    f"{len(text)} characters; the mentions must point into this text."
                )
            found_spans.append((start, -end, actor))
    marks: list[dict[str, Any]] = []
    for start, neg_end, actor in sorted(found_spans):
        if marks and start < marks[-1]["end"]:
            continue  # overlapping spans from a hand-made mapping: the earlier one wins
        marks.append({"actor": actor, "start": start, "end": -neg_end})
    return marks


def _ambiguous_spans(graph: StanceGraph, text: str | None) -> list[dict[str, Any]]:
    """The ambiguous forms that can be marked in ``text``: ``{start, end, candidates}``."""
    if text is None:
        return []
    spans = []
    for item in graph.ambiguous:
        start, end = item.get("start"), item.get("end")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
            candidates = [str(c) for c in item.get("candidates", ())]
            spans.append({"start": start, "end": end, "candidates": candidates})
    return spans


def _default_title(text: str | None) -> str:
    first = next((line.strip() for line in (text or "").splitlines() if line.strip()), "")
    return first if 0 < len(first) <= 120 else "Stance report"


def _colour(k: int) -> str:
    if k < len(PALETTE):
        return PALETTE[k]
    import colorsys

    # past the palette, hues a golden angle apart stay distinct for a long while
    r, g, b = colorsys.hls_to_rgb((k * 0.381966) % 1.0, 0.45, 0.55)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def _tint(colour: str, white: float = 0.75) -> str:
    """``colour`` mixed with white: a background light enough to read black text on."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * white):02x}" for c in rgb)


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<style>__CSS__</style>
</head>
<body>
<main>
<div class="left">
  <header><h1>__TITLE__</h1><div class="sub" id="summary"></div></header>
  <section class="card">
    <svg id="graph" role="img" aria-label="Stance graph"></svg>
    <div class="controls">
      <label for="threshold">Show edges with score &ge; <b id="threshold-value"></b></label>
      <input type="range" id="threshold">
      <span class="sub" id="shown"></span>
    </div>
    <div class="legend" id="legend"></div>
  </section>
  <section class="card">
    <h2>Edges</h2>
    <table id="edges">
      <thead><tr><th data-key="source">Source</th><th data-key="target">Target</th>
      <th data-key="label">Label</th><th data-key="score" class="num">Score</th>
      <th data-key="evidence" class="num">Evidence</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section class="card" id="extras" hidden></section>
</div>
<div class="right">
  <section class="card article-card">
    <h2>Article</h2>
    <div class="chips" id="chips"></div>
    <div id="article"></div>
  </section>
  <section class="card evidence-card">
    <h2>Evidence</h2>
    <div id="evidence"></div>
  </section>
</div>
</main>
<noscript><p>This report draws itself with an inline script; its data is in the
stance-data tag of this file.</p></noscript>
<script type="application/json" id="stance-data">__DATA__</script>
<script>__JS__</script>
</body>
</html>
"""

_CSS = """
:root{--ink:#1f2328;--muted:#656d76;--line:#d8dee4;--bg:#f3f5f7;--ev:#ffeeb0;--ev-on:#ffd45c}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
 color:var(--ink);background:var(--bg)}
main{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px;padding:0 18px;
 align-items:start}
.left{padding:14px 0;display:flex;flex-direction:column;gap:12px;min-width:0}
.right{position:sticky;top:0;height:100vh;padding:14px 0;display:flex;flex-direction:column;
 gap:12px;min-width:0}
header h1{font-size:19px;margin:0 0 2px;line-height:1.25}
.sub{color:var(--muted);font-size:13px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.card h2{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);
 margin:0 0 6px}
#graph{width:100%;height:auto;display:block;user-select:none}
.controls{display:flex;align-items:center;gap:10px;flex-wrap:wrap;margin-top:4px}
.controls input{flex:1;min-width:120px}
.legend{display:flex;gap:16px;flex-wrap:wrap;color:var(--muted);font-size:12px;margin-top:4px}
.legend i{display:inline-block;width:22px;height:0;border-top:3px solid;vertical-align:middle;
 margin-right:5px}
.edge .line{fill:none;opacity:.72;pointer-events:none;transition:opacity .12s}
.edge .hit{fill:none;stroke:transparent;stroke-width:11;pointer-events:stroke;cursor:pointer}
.edge.off,tr.off{display:none}
#graph.picked .edge .line{opacity:.3}
#graph.hovering .edge .line{opacity:.08}
#graph .edge.hl .line,#graph .edge.sel .line{opacity:1}
#graph .edge.sel .line{filter:drop-shadow(0 0 2px rgba(0,0,0,.55))}
.node{cursor:default}
.node circle{stroke:#fff;stroke-width:2}
.node text{font-size:14px;font-weight:600;fill:#24292f;paint-order:stroke;stroke:#fff;
 stroke-width:3.5px;stroke-linejoin:round}
.node .count{font-weight:400;fill:var(--muted)}
#graph.hovering .node{opacity:.35}
#graph.hovering .node.hl{opacity:1}
#graph.picked .node.hl text{fill:#000;font-weight:700}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:4px 8px;border-bottom:1px solid #eef1f4;text-align:left;white-space:nowrap}
td:first-child,td:nth-child(2){white-space:normal}
th{cursor:pointer;position:sticky;top:0;background:#fff;color:var(--muted);font-weight:600;
 user-select:none}
th.asc::after{content:" \\25B2";font-size:9px}
th.desc::after{content:" \\25BC";font-size:9px}
.num{text-align:right;font-variant-numeric:tabular-nums}
tbody tr{cursor:pointer}
tbody tr:hover{background:#f6f8fa}
tbody tr.sel{background:#fff6d6}
.chip{display:inline-block;color:#fff;border-radius:9px;padding:0 8px;font-size:12px;
 line-height:18px}
.chips{display:flex;flex-wrap:wrap;gap:4px 10px;font-size:12px;margin-bottom:6px}
.chips span{white-space:nowrap;cursor:default}
.chips i{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:4px;
 vertical-align:-1px}
.article-card{flex:3 1 0;min-height:0;display:flex;flex-direction:column}
.evidence-card{flex:2 1 0;min-height:0;display:flex;flex-direction:column}
#article{flex:1;min-height:0;overflow:auto;position:relative;white-space:pre-wrap;
 font:15px/1.6 Georgia,"Times New Roman",serif;padding-right:6px}
#evidence{flex:1;min-height:0;overflow:auto}
.seg.ev{background:var(--ev)}
.seg.ev-on{background:var(--ev-on)}
.m{background:var(--t);box-shadow:inset 0 -2px var(--c);border-radius:2px}
.m.end{background:var(--c);color:#fff;box-shadow:none}
.amb{border-bottom:2px dotted #8c959f}
.hint{color:var(--muted);margin:4px 0}
.edge-head{font-weight:600;margin-bottom:2px}
.edge-scores{color:var(--muted);font-size:12px;margin-bottom:6px}
.passages{list-style:none;margin:0;padding:0}
.passage{display:flex;gap:10px;padding:6px 8px;border-left:3px solid transparent;cursor:pointer;
 border-radius:0 4px 4px 0;font:13.5px/1.5 Georgia,"Times New Roman",serif}
.passage:hover{background:#f6f8fa}
.passage.on{border-left-color:var(--ev-on);background:#fffaea}
.passage .score{font:600 12px/1.9 system-ui,sans-serif;color:var(--muted);
 font-variant-numeric:tabular-nums}
#extras ul{margin:0;padding-left:18px;font-size:13px}
@media (max-width:900px){main{grid-template-columns:1fr}.right{position:static;height:auto}
 #article{max-height:60vh}#evidence{max-height:50vh}}
"""

_JS = r"""
(() => {
  "use strict";
  const D = JSON.parse(document.getElementById("stance-data").textContent);
  const $ = (sel) => document.querySelector(sel);
  const svg = $("#graph");
  const NS = svg.namespaceURI;
  const svgEl = (tag, attrs, parent) => {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (parent) parent.appendChild(node);
    return node;
  };
  const htmlEl = (tag, cls, parent, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  };
  const fmt = (x) => Number(x).toFixed(2);
  const colourOf = (label) => D.colours[label] || D.other_colour;
  const labels = [...new Set(D.edges.map((e) => e.label))];
  const arrow = (e) => `${e.source} \u2192 ${e.target}`;

  // The article, cut at every mention and evidence boundary, so that any passage can be
  // lit by classes on whole segments. Offsets count code points, as Python does.
  const chars = D.text === null ? null : Array.from(D.text);
  const box = $("#article");
  const segs = [];
  const segAt = new Map();
  const span = (s, e) => {
    const out = [];
    for (let k = segAt.get(s); k < segAt.get(e); k++) out.push(segs[k]);
    return out;
  };
  if (chars) {
    const marks = D.mentions.concat(D.ambiguous_spans);
    const cuts = new Set([0, chars.length]);
    for (const m of marks) { cuts.add(m.start); cuts.add(m.end); }
    for (const e of D.edges) for (const v of e.evidence) { cuts.add(v.start); cuts.add(v.end); }
    const points = [...cuts].sort((a, b) => a - b);
    points.forEach((p, i) => segAt.set(p, i));
    for (let i = 0; i + 1 < points.length; i++) {
      const seg = htmlEl("span", "seg", box, chars.slice(points[i], points[i + 1]).join(""));
      seg.dataset.s = points[i];
      seg.dataset.e = points[i + 1];
      segs.push(seg);
    }
    for (const m of marks) {
      for (const seg of span(m.start, m.end)) {
        if (seg.dataset.actor || seg.classList.contains("amb")) continue;
        if (m.actor === undefined) {
          seg.classList.add("amb");
          seg.title = "ambiguous: " + m.candidates.join(" or ");
        } else {
          const a = D.actors[m.actor];
          seg.classList.add("m");
          seg.dataset.actor = m.actor;
          seg.style.setProperty("--c", a.colour);
          seg.style.setProperty("--t", a.tint);
          seg.title = m.actor;
        }
      }
    }
  } else {
    htmlEl("p", "hint", box, "The article was not given; each edge's passages are listed below.");
  }

  // The graph: actors on a circle, each edge a curve bent to its right, so that the two
  // directions of a pair never lie on top of each other.
  const W = 800, H = 590, CX = W / 2, CY = H / 2, R = 212;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const defs = svgEl("defs", {}, svg);
  labels.forEach((label, i) => {
    const mk = svgEl("marker", {id: "arrow" + i, viewBox: "0 0 10 10", refX: 9, refY: 5,
      markerWidth: 9, markerHeight: 9, markerUnits: "userSpaceOnUse", orient: "auto"}, defs);
    svgEl("path", {d: "M0,0.5 L10,5 L0,9.5 z", fill: colourOf(label)}, mk);
  });
  const background = svgEl("rect", {width: W, height: H, fill: "transparent"}, svg);
  const gEdges = svgEl("g", {}, svg), gNodes = svgEl("g", {}, svg);
  const n = D.nodes.length;
  const pos = new Map();
  D.nodes.forEach((node, i) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(n, 1);
    const r = Math.min(24, 7 + 2.6 * Math.sqrt(node.mentions));
    const [x, y] = n === 1 ? [CX, CY] : [CX + R * Math.cos(a), CY + R * Math.sin(a)];
    pos.set(node.name, {x, y, a, r});
  });
  const edgeEls = [];
  const order = D.edges.map((_, i) => i).sort((a, b) => D.edges[a].score - D.edges[b].score);
  for (const i of order) {
    const e = D.edges[i], s = pos.get(e.source), t = pos.get(e.target);
    const dx = t.x - s.x, dy = t.y - s.y;
    const qx = (s.x + t.x) / 2 + 0.2 * dy, qy = (s.y + t.y) / 2 - 0.2 * dx;
    const toward = (p, r) => {
      const vx = qx - p.x, vy = qy - p.y, l = Math.hypot(vx, vy) || 1;
      return `${(p.x + (vx / l) * r).toFixed(1)},${(p.y + (vy / l) * r).toFixed(1)}`;
    };
    const d = `M${toward(s, s.r + 1)} Q${qx.toFixed(1)},${qy.toFixed(1)} ${toward(t, t.r + 2)}`;
    const g = svgEl("g", {class: "edge", "data-id": i}, gEdges);
    svgEl("path", {d, class: "line", stroke: colourOf(e.label),
      "stroke-width": (0.6 + 4.5 * e.score * e.score).toFixed(2),
      "marker-end": `url(#arrow${labels.indexOf(e.label)})`}, g);
    svgEl("path", {d, class: "hit"}, g);
    const k = e.evidence.length;
    svgEl("title", {}, g).textContent =
      `${arrow(e)}: ${e.label} ${fmt(e.score)} (${k} passage${k === 1 ? "" : "s"})`;
    g.addEventListener("click", (ev) => { ev.stopPropagation(); select(i, "smooth"); });
    edgeEls[i] = g;
  }
  const wrap = (name, width) => {
    const lines = [];
    for (const word of name.split(/\s+/)) {
      const last = lines.length - 1;
      if (last >= 0 && (lines[last] + " " + word).length <= width) lines[last] += " " + word;
      else lines.push(word);
    }
    return lines;
  };
  const nodeEls = new Map();
  let hover = null, selected = null;
  for (const node of D.nodes) {
    const p = pos.get(node.name);
    const g = svgEl("g", {class: "node", transform: `translate(${p.x.toFixed(1)},${p.y.toFixed(1)})`}, gNodes);
    svgEl("circle", {r: p.r.toFixed(1), fill: D.actors[node.name].colour}, g);
    svgEl("title", {}, g).textContent = `${node.name}: ${node.mentions} mentions`;
    const c = n === 1 ? 0 : Math.cos(p.a), s = n === 1 ? 1 : Math.sin(p.a);
    const lx = (p.r + 7) * c, ly = (p.r + 7) * s;
    const anchor = c > 0.3 ? "start" : c < -0.3 ? "end" : "middle";
    const lines = wrap(node.name, 16), lh = 16;
    let y0 = ly + 4.5 - ((lines.length - 1) * lh) / 2;
    if (anchor === "middle") y0 = s < 0 ? ly - 3 - (lines.length - 1) * lh : ly + 11;
    const text = svgEl("text", {"text-anchor": anchor}, g);
    lines.forEach((line, j) => {
      svgEl("tspan", {x: lx.toFixed(1), y: (y0 + j * lh).toFixed(1)}, text).textContent = line;
    });
    svgEl("tspan", {class: "count"}, text).textContent = ` (${node.mentions})`;
    g.addEventListener("mouseenter", () => { hover = node.name; focus(); });
    g.addEventListener("mouseleave", () => { hover = null; focus(); });
    nodeEls.set(node.name, g);
  }
  background.addEventListener("click", () => select(null));
  document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") select(null); });

  const hidden = D.edges.map(() => false);
  function focus() {
    svg.classList.toggle("hovering", hover !== null);
    svg.classList.toggle("picked", hover === null && selected !== null);
    const lit = new Set(hover === null ? [] : [hover]);
    D.edges.forEach((e, i) => {
      const on = !hidden[i] && (hover === null ? i === selected : e.source === hover || e.target === hover);
      edgeEls[i].classList.toggle("hl", on);
      if (on) { lit.add(e.source); lit.add(e.target); }
    });
    for (const [name, g] of nodeEls) g.classList.toggle("hl", lit.has(name));
  }

  const legend = $("#legend");
  for (const label of labels.length ? labels : Object.keys(D.colours)) {
    const item = htmlEl("span", "", legend);
    htmlEl("i", "", item).style.borderColor = colourOf(label);
    item.append(label);
  }
  htmlEl("span", "", legend, "arrow: source \u2192 target \u00b7 width: score \u00b7 (n): mentions");
  const chips = $("#chips");
  for (const [name, a] of Object.entries(D.actors)) {
    const chip = htmlEl("span", "", chips);
    htmlEl("i", "", chip).style.background = a.colour;
    chip.append(name);
    if (nodeEls.has(name)) {
      chip.addEventListener("mouseenter", () => { hover = name; focus(); });
      chip.addEventListener("mouseleave", () => { hover = null; focus(); });
    }
  }

  // The table of edges, sortable by any column.
  const tbody = $("#edges tbody");
  const rows = D.edges.map((e, i) => {
    const tr = htmlEl("tr", "", tbody);
    tr.dataset.id = i;
    htmlEl("td", "", tr, e.source);
    htmlEl("td", "", tr, e.target);
    htmlEl("span", "chip", htmlEl("td", "", tr), e.label).style.background = colourOf(e.label);
    htmlEl("td", "num", tr, fmt(e.score));
    htmlEl("td", "num", tr, String(e.evidence.length));
    tr.addEventListener("click", () => select(i, "smooth"));
    return tr;
  });
  if (!D.edges.length) htmlEl("td", "hint", htmlEl("tr", "", tbody), "No stance edges.").colSpan = 5;
  const keys = {source: (e) => e.source, target: (e) => e.target, label: (e) => e.label,
    score: (e) => e.score, evidence: (e) => e.evidence.length};
  let sortKey = "score", sortDir = -1;
  function sortTable() {
    const get = keys[sortKey];
    const cmp = (x, y) => (typeof x === "string" ? x.localeCompare(y) : x - y);
    const idx = D.edges.map((_, i) => i);
    idx.sort((a, b) => sortDir * cmp(get(D.edges[a]), get(D.edges[b])));
    for (const i of idx) tbody.appendChild(rows[i]);
    for (const th of document.querySelectorAll("#edges th")) {
      th.classList.toggle("asc", th.dataset.key === sortKey && sortDir > 0);
      th.classList.toggle("desc", th.dataset.key === sortKey && sortDir < 0);
    }
  }
  for (const th of document.querySelectorAll("#edges th")) {
    th.addEventListener("click", () => {
      if (th.dataset.key === sortKey) sortDir = -sortDir;
      else { sortKey = th.dataset.key; sortDir = sortKey === "score" || sortKey === "evidence" ? -1 : 1; }
      sortTable();
    });
  }
  sortTable();

  // The threshold slider hides the weaker edges, in the graph and in the table.
  const thr = $("#threshold");
  const lowest = Math.min(D.threshold, ...D.edges.map((e) => e.score));
  thr.min = String(Math.max(0, Math.floor(lowest * 100) / 100));
  thr.max = "1";
  thr.step = "0.01";
  thr.value = thr.min;
  function applyThreshold() {
    const cut = Number(thr.value);
    $("#threshold-value").textContent = fmt(cut);
    let shown = 0;
    D.edges.forEach((e, i) => {
      hidden[i] = e.score < cut - 1e-9;
      edgeEls[i].classList.toggle("off", hidden[i]);
      rows[i].classList.toggle("off", hidden[i]);
      if (!hidden[i]) shown++;
    });
    $("#shown").textContent = `${shown} of ${D.edges.length} edges`;
    if (selected !== null && hidden[selected]) select(null);
    focus();
  }
  thr.addEventListener("input", applyThreshold);

  // Selecting an edge lists its passages and lights them in the article.
  const panel = $("#evidence");
  let lit = [], active = [];
  function select(i, behavior) {
    if (selected !== null) {
      edgeEls[selected].classList.remove("sel");
      rows[selected].classList.remove("sel");
    }
    for (const seg of lit) seg.classList.remove("ev", "ev-on", "end");
    lit = [];
    active = [];
    selected = i;
    panel.replaceChildren();
    focus();
    if (i === null) {
      htmlEl("p", "hint", panel, "Click an edge in the graph or the table to see the passages behind it.");
      return;
    }
    const e = D.edges[i];
    edgeEls[i].classList.add("sel");
    rows[i].classList.add("sel");
    const head = htmlEl("div", "edge-head", panel, arrow(e) + " ");
    htmlEl("span", "chip", head, `${e.label} ${fmt(e.score)}`).style.background = colourOf(e.label);
    htmlEl("div", "edge-scores", panel, "probabilities in its best passage: " +
      Object.entries(e.scores).map(([k, v]) => `${k} ${fmt(v)}`).join(" \u00b7 "));
    const ends = new Set([e.source, e.target]);
    for (const seg of segs) {
      if (ends.has(seg.dataset.actor)) { seg.classList.add("end"); lit.push(seg); }
    }
    const list = htmlEl("ol", "passages", panel);
    e.evidence.forEach((v, k) => {
      const parts = chars ? span(v.start, v.end) : [];
      for (const seg of parts) { seg.classList.add("ev"); lit.push(seg); }
      const li = htmlEl("li", "passage", list);
      li.dataset.k = k;
      htmlEl("span", "score", li, fmt(v.score));
      const body = htmlEl("span", "ptext", li, chars ? null : v.text);
      for (const seg of parts) {
        const copy = htmlEl("span", seg.dataset.actor ? "m" : "", body, seg.textContent);
        if (seg.dataset.actor) {
          copy.style.cssText = seg.style.cssText;
          if (ends.has(seg.dataset.actor)) copy.classList.add("end");
        }
      }
      li.addEventListener("click", () => activate(k, "smooth"));
    });
    if (!e.evidence.length) htmlEl("p", "hint", panel, "No passage of this edge reached the threshold.");
    else activate(0, behavior);
  }
  function activate(k, behavior) {
    for (const seg of active) seg.classList.remove("ev-on");
    for (const li of panel.querySelectorAll(".passage")) li.classList.toggle("on", Number(li.dataset.k) === k);
    const v = D.edges[selected].evidence[k];
    active = chars ? span(v.start, v.end) : [];
    for (const seg of active) seg.classList.add("ev-on");
    if (active.length && behavior) box.scrollTo({top: Math.max(0, active[0].offsetTop - 40), behavior});
  }

  const extras = $("#extras");
  const section = (heading, items) => {
    if (!items.length) return;
    extras.hidden = false;
    htmlEl("h2", "", extras, heading);
    const ul = htmlEl("ul", "", extras);
    for (const item of items) htmlEl("li", "", ul, item);
  };
  section("Ambiguous forms (not assigned to an actor)", D.ambiguous.map((a) =>
    a && a.text !== undefined
      ? `\u201c${a.text}\u201d at ${a.start}\u2013${a.end}: ${(a.candidates || []).join(" or ")}`
      : JSON.stringify(a)));
  section("Skipped windows", D.skipped);

  $("#summary").textContent = `${D.nodes.length} actors \u00b7 ${D.edges.length} edges \u00b7 ` +
    `built at threshold ${fmt(D.threshold)} \u00b7 click an edge for its evidence`;
  applyThreshold();
  const wanted = /^#edge=(\d+)$/.exec(location.hash);
  if (wanted && Number(wanted[1]) < D.edges.length) select(Number(wanted[1]), "auto");
  else select(null);
})();
"""
