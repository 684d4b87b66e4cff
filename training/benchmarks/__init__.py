"""Benchmark scripts. Each prints a table, writes JSON under docs/benchmarks/, and rewrites
its own section of docs/benchmarks.md (between ``<!-- BEGIN name -->`` and ``<!-- END name -->``)."""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[2] / "docs"


def machine() -> str:
    """A one-line description of where a benchmark ran."""
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        cpu = model
    except (OSError, StopIteration):
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{os.cpu_count()} CPU cores ({cpu}), {gpu}, torch {torch.__version__}, Python {platform.python_version()}"


def today() -> str:
    return datetime.date.today().isoformat()


def command() -> str:
    """The command line that ran this benchmark, as ``python -m module args``."""
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    name = spec.name if spec else sys.argv[0]
    return " ".join(["python", "-m", name, *sys.argv[1:]])


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def provenance() -> list[str]:
    """The Markdown lines that say how, where and when a benchmark ran."""
    return [
        f"- Command: `{command()}`",
        f"- Machine: {machine()}",
        f"- Date: {today()}, commit {git_commit()}",
    ]


def table(header: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table, which also reads well printed."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_results(name: str, markdown: str, data: dict[str, Any]) -> Path:
    """Write ``docs/benchmarks/<name>.json`` and replace the ``name`` section of docs/benchmarks.md."""
    DOCS.mkdir(exist_ok=True)
    out = DOCS / "benchmarks" / f"{name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    page = DOCS / "benchmarks.md"
    text = (
        page.read_text()
        if page.exists()
        else "# Benchmarks\n\nEach section is written by the script it names.\n"
    )
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    block = f"{begin}\n{markdown.strip()}\n{end}"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    page.write_text(text)
    return out
