"""The stance graph across articles: who stood where toward whom, over an archive.

:func:`aggregate_edges` reads the edge file of :func:`stance.archive.analyze_file` (or
``stance analyze --input``) and counts, for each ordered pair (and period, with ``by``),
the articles in which the source supports the target and those in which it opposes it:

- ``articles``: articles with an edge of the pair (of any label);
- ``support``, ``oppose``: articles with a support edge, with an oppose edge;
- ``mean_score``: the mean score of the pair's edges;
- ``net``: ``(support - oppose) / articles``, from -1 (always opposed) to 1, and
  ``label``: ``support`` when ``net > 0``, ``oppose`` when ``net < 0``, ``mixed`` at 0.

An article is known by its ``id``, or by its ``row`` where it has no id. Periods are
read from ISO dates (``2024-03-01``, ``2024-03``, ``2024-03-01T12:00``): ``2024-03`` by
month, ``2024`` by year, and ``undated`` for an edge without a date.

Example:
    >>> table = aggregate_edges("edges.parquet", by="month")  # doctest: +SKIP
    >>> write_json(table, "graph.json"); plot_pair(table, "Turkey", "Haftar", "pair.png")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any

import pandas as pd

from stance.graph import COLOURS, OTHER_COLOUR, draw_graph

PERIODS = ("month", "year")
UNDATED = "undated"
KEYS = ("source", "target")
COUNTS = ("articles", "support", "oppose", "mean_score", "net", "label")
_ISO = re.compile(r"^(\d{4})(?:-(\d{2}))?")


def read_edges(path: str | os.PathLike[str]) -> pd.DataFrame:
    """An edge file (JSONL, CSV or Parquet, by extension) as a DataFrame, dates and ids
    left as written."""
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".json"):
        return pd.read_json(path, lines=True, convert_dates=False, dtype=False)
    if suffix == ".csv":
        return pd.read_csv(path, dtype={"id": str, "date": str})
    if suffix == ".parquet":
        return pd.read_parquet(path)
    raise ValueError(f"{path}: read edges from .jsonl, .csv or .parquet, not {suffix!r}.")


def period_of(value: Any, by: str) -> str:
    """The period (``YYYY-MM`` by month, ``YYYY`` by year) of an ISO date.

    Raises:
        ValueError: ``value`` is not an ISO date, or a month is asked of a bare year.
    """
    if value is None or value == "" or (isinstance(value, float) and pd.isna(value)):
        return UNDATED
    if value is pd.NaT:
        return UNDATED
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        value = value.isoformat()
    match = _ISO.match(str(value).strip())
    if not match or (by == "month" and not match.group(2)):
        raise ValueError(
            f"the date {value!r} is not an ISO date such as 2024-03-01"
            + (" (a month needs YYYY-MM)" if match else "")
            + "; fix the input's date column or aggregate without --by."
        )
    return match.group(1) if by == "year" else f"{match.group(1)}-{match.group(2)}"


def aggregate_edges(
    edges: pd.DataFrame | str | os.PathLike[str],
    by: str | None = None,
    min_articles: int = 1,
) -> pd.DataFrame:
    """Count each ordered pair's stances over the articles (see the module docstring).

    Args:
        edges: Edge rows with ``source``, ``target``, ``label``, ``score`` and ``id``
            (or ``row``), and ``date`` with ``by``; or the path of an edge file.
        by: ``None`` for one graph over the whole archive, ``"month"`` or ``"year"`` for
            one per period (a ``period`` column).
        min_articles: Keep the pairs (per period) seen in at least this many articles.

    Returns:
        One row per pair (and period): ``source``, ``target``, [``period``], ``articles``,
        ``support``, ``oppose``, ``mean_score``, ``net``, ``label``; sorted by pair, then
        period.

    Raises:
        ValueError: An unknown ``by``, a missing column, or a date that is not ISO.

    Example:
        >>> aggregate_edges(edges, by="year")  # doctest: +SKIP
          source  target period  articles  support  oppose  mean_score   net   label
        0 Turkey  Haftar   2020         3        0       3        0.81  -1.0  oppose
    """
    if by not in (None, *PERIODS):
        raise ValueError(f"by={by!r}: aggregate by None, 'month' or 'year'.")
    if min_articles < 1:
        raise ValueError(f"min_articles must be at least 1, got {min_articles}.")
    frame = edges.copy() if isinstance(edges, pd.DataFrame) else read_edges(edges)
    needed = ["source", "target", "label", "score"] + (["date"] if by else [])
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(
            f"the edges have no column(s) {missing}; they have {list(frame.columns)}. "
            "Give the edge file of stance analyze --input."
        )
    keys = list(KEYS) + (["period"] if by else [])
    columns = [*keys, *COUNTS]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame["article"] = _articles(frame)
    if by:
        frame["period"] = [period_of(v, by) for v in frame["date"]]
    frame["is_support"] = frame["label"] == "support"
    frame["is_oppose"] = frame["label"] == "oppose"
    grouped = frame.groupby(keys, sort=True)
    table = pd.DataFrame(
        {
            "articles": grouped["article"].nunique(),
            "support": grouped.apply(_count("is_support"), include_groups=False),
            "oppose": grouped.apply(_count("is_oppose"), include_groups=False),
            "mean_score": grouped["score"].mean(),
        }
    ).reset_index()
    table = table[table["articles"] >= min_articles].reset_index(drop=True)
    table["net"] = (table["support"] - table["oppose"]) / table["articles"]
    table["label"] = ["support" if n > 0 else "oppose" if n < 0 else "mixed" for n in table["net"]]
    for column in ("articles", "support", "oppose"):
        table[column] = table[column].astype(int)
    return table[columns]


def _count(flag: str) -> Any:
    """Articles of a group with the flag set (an article counts once, however many rows)."""
    return lambda group: int(group.loc[group[flag], "article"].nunique())


def _articles(frame: pd.DataFrame) -> list[str]:
    """A key per article: its id, else its row, else its own edge row."""
    ids = frame["id"] if "id" in frame.columns else pd.Series([None] * len(frame))
    rows = frame["row"] if "row" in frame.columns else pd.Series([None] * len(frame))
    keys = []
    for index, (ident, row) in enumerate(zip(ids, rows)):
        if ident is not None and not (isinstance(ident, float) and pd.isna(ident)):
            keys.append(f"id:{ident}")
        elif row is not None and not pd.isna(row):
            keys.append(f"row:{int(row)}")
        else:
            keys.append(f"edge:{index}")
    return keys


# --- writers ------------------------------------------------------------------------------


def to_dict(table: pd.DataFrame) -> dict[str, Any]:
    """``{"periods", "nodes", "edges"}``: whether the rows are per period, the actors, and
    one object per row of the table."""
    nodes = sorted(set(table["source"]) | set(table["target"])) if len(table) else []
    records = json.loads(table.to_json(orient="records"))
    return {"periods": "period" in table.columns, "nodes": nodes, "edges": records}


def write_json(table: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write :func:`to_dict` of an aggregated table as JSON (UTF-8)."""
    Path(path).write_text(
        json.dumps(to_dict(table), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def to_networkx(table: pd.DataFrame) -> Any:
    """A ``networkx.DiGraph`` of an aggregated table (a ``MultiDiGraph`` keyed by period
    when the table has periods); each edge carries the table's counts."""
    import networkx as nx

    periods = "period" in table.columns
    graph = nx.MultiDiGraph() if periods else nx.DiGraph()
    for record in table.to_dict("records"):
        data = {k: _plain(record[k]) for k in COUNTS}
        if periods:
            graph.add_edge(
                record["source"],
                record["target"],
                key=record["period"],
                period=record["period"],
                **data,
            )
        else:
            graph.add_edge(record["source"], record["target"], **data)
    return graph


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def write_graphml(table: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write :func:`to_networkx` of an aggregated table as GraphML."""
    import networkx as nx

    nx.write_graphml(to_networkx(table), path)


def plot_graph(table: pd.DataFrame, path: str | os.PathLike[str], title: str | None = None) -> None:
    """Draw the graph of an aggregated table (without periods) to a PNG: edges coloured by
    their net label, wider the more articles they rest on, marked with the net stance.

    Raises:
        ValueError: The table has periods; draw one aggregated without ``by``.
    """
    if "period" in table.columns:
        raise ValueError("plot_graph draws one graph; aggregate the edges without by= first.")
    graph = to_networkx(table)
    edges = list(graph.edges(data=True))
    most = max((d["articles"] for _, _, d in edges), default=1)
    draw_graph(
        graph,
        path,
        node_labels=None,
        widths=[0.8 + 5.0 * d["articles"] / most for _, _, d in edges],
        edge_labels={(u, v): f"{d['net']:+.2f} ({d['articles']})" for u, v, d in edges},
        legend=("support", "oppose", "mixed"),
        legend_title="net stance (articles)",
        title=title or "Stance across articles (arrow: source → target)",
    )


def plot_pair(table: pd.DataFrame, source: str, target: str, path: str | os.PathLike[str]) -> None:
    """Plot one pair's net stance period by period to a PNG (undated edges left out).

    Raises:
        ValueError: The table has no periods, or no dated row of the pair.
    """
    if "period" not in table.columns:
        raise ValueError("plot_pair needs periods; aggregate the edges with by='month' or 'year'.")
    rows = table[(table["source"] == source) & (table["target"] == target)]
    rows = rows[rows["period"] != UNDATED].sort_values("period")
    if rows.empty:
        raise ValueError(
            f"no dated stance of {source!r} toward {target!r}; the pairs are "
            f"{sorted(set(zip(table['source'], table['target'])))[:10]}."
        )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4.5), dpi=110)
    periods = list(rows["period"])
    ax.axhline(0, color="#999999", lw=0.8)
    ax.plot(periods, rows["net"], color="#444444", lw=1.2, zorder=1)
    ax.scatter(
        periods,
        rows["net"],
        s=[30 + 10 * a for a in rows["articles"]],
        zorder=2,
        c=[COLOURS.get(lab, OTHER_COLOUR) for lab in rows["label"]],
    )
    for period, net, articles in zip(periods, rows["net"], rows["articles"]):
        ax.annotate(
            str(articles),
            (period, net),
            textcoords="offset points",
            xytext=(0, 8),
            ha="center",
            fontsize=7,
        )
    ax.set_ylim(-1.15, 1.15)
    ax.set_ylabel("net stance (support - oppose) / articles")
    ax.set_title(f"{source} → {target} (number: articles)")
    ax.tick_params(axis="x", labelrotation=45)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def to_stance_graph(edges: pd.DataFrame | str | os.PathLike[str], min_articles: int = 1) -> Any:
    """The graph across articles as a :class:`~stance.graph.StanceGraph`, for the HTML
    report: one edge per ordered pair whose net stance is support or oppose, scored by
    the share of its articles that agree with that stance, and whose evidence lists the
    articles behind it (``"id (date): label score"``, best first).

    Args:
        edges: The edge rows of ``stance analyze --input`` (or the file's path).
        min_articles: Keep the pairs seen in at least this many articles.
    """
    from stance.graph import ActorNode, Evidence, StanceEdge, StanceGraph

    frame = edges.copy() if isinstance(edges, pd.DataFrame) else read_edges(edges)
    table = aggregate_edges(frame, None, min_articles)
    if not frame.empty:
        frame["article"] = _articles(frame)
    result = []
    for row in table.itertuples(index=False):
        if row.label not in ("support", "oppose"):
            continue
        rows = frame[(frame["source"] == row.source) & (frame["target"] == row.target)]
        agreeing = int(getattr(row, str(row.label)))
        evidence = []
        for item in rows.sort_values("score", ascending=False).itertuples(index=False):
            date = getattr(item, "date", None)
            when = f" ({date})" if isinstance(date, str) and date else ""
            kind, _, key = str(item.article).partition(":")
            name = key if kind == "id" else f"{kind} {key}"
            line = f"{name}{when}: {item.label} {float(item.score):.2f}"
            evidence.append(Evidence(line, 0, len(line), float(item.score)))
        share = agreeing / int(row.articles)
        scores = {"support": int(row.support) / int(row.articles),
                  "oppose": int(row.oppose) / int(row.articles)}  # fmt: skip
        result.append(
            StanceEdge(row.source, row.target, str(row.label), share, scores, tuple(evidence))
        )
    names = sorted({e.source for e in result} | {e.target for e in result})
    counts = {n: int(((table["source"] == n) | (table["target"] == n)).sum()) for n in names}
    nodes = tuple(ActorNode(n, counts[n]) for n in names)
    return StanceGraph(nodes, tuple(sorted(result, key=lambda e: -e.score)), 0.0)
