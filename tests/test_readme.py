"""Every figure in the README's results table matches the record its row names."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import ROOT

NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")


def lookup(record: dict, path: str) -> float:
    value: object = record
    for key in path.split("."):
        value = value[int(key)] if isinstance(value, list) else value[key]  # type: ignore[index]
    return float(value)  # type: ignore[arg-type]


def table_rows(readme: str) -> list[list[str]]:
    """The cells of the rows of the results table (the one with a `record` column)."""
    lines = readme.split("## Results", 1)[1].splitlines()
    rows, header = [], None
    for line in lines:
        if not line.startswith("|"):
            if header:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif not set(line) <= set("|-: "):
            rows.append(dict(zip(header, cells)))
    assert header and "record" in header and "result" in header, "no results table with records"
    return rows


def problems(readme: str, docs: Path) -> list[str]:
    """Each ``file#path[*scale]`` of a row's record cell must equal, rounded as printed, the
    row's result figure in the same position."""
    found = []
    for row in table_rows(readme):
        specs = [s.strip(" `") for s in row["record"].split(";") if s.strip(" `")]
        figures = NUMBER.findall(row["result"])
        if len(figures) < len(specs):
            found.append(f"{row['what']}: {len(specs)} records but {len(figures)} figures")
            continue
        for spec, figure in zip(specs, figures):
            name, _, path = spec.partition("#")
            path, _, scale = path.partition("*")
            value = lookup(json.loads((docs / name).read_text()), path) * float(scale or 1)
            decimals = len(figure.split(".")[1]) if "." in figure else 0
            if round(value, decimals) != float(figure.replace(",", "")):
                found.append(
                    f"{row['what']}: README says {figure}, {spec} gives {value:.{decimals + 2}f}"
                )
    return found


def test_every_result_in_the_readme_matches_its_record():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert problems(readme, ROOT / "docs" / "benchmarks") == []
    assert len(table_rows(readme)) >= 5


def test_a_number_edited_by_hand_is_caught():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    row = next(r for r in table_rows(readme) if r["record"])
    figure = NUMBER.findall(row["result"])[0]
    wrong = str(float(figure.replace(",", "")) + 1)
    edited = readme.replace(
        f"| {row['result']} |", f"| {row['result'].replace(figure, wrong, 1)} |", 1
    )
    assert edited != readme
    assert problems(edited, ROOT / "docs" / "benchmarks")
