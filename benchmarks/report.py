"""The benchmark table: figures kept per benchmark module, written as Markdown.

``results.json`` holds every module's latest rows with the run that made them (date,
commit, load average at its start and end). A run of some modules replaces only their
rows, so ``python -m benchmarks cpu latency`` refreshes two modules without the full
run, and the table says which figure comes from which run. ``RESULTS.md`` and the
table in ``docs/performance.md`` are written from it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from benchmarks.common import Figure

ROOT = Path(__file__).resolve().parents[1]
RESULTS_JSON = Path(__file__).with_name("results.json")
RESULTS_MD = Path(__file__).with_name("RESULTS.md")
PAGE = ROOT / "docs" / "performance.md"
#: docs/performance.md shows the table between these two lines.
PAGE_MARKERS = ("<!-- benchmark results: written by `python -m benchmarks` -->",
                "<!-- end of benchmark results -->")


@dataclasses.dataclass(frozen=True, slots=True)
class Run:
    """When and on what one benchmark module last ran."""

    date: str
    commit: str
    load_start: str
    load_end: str


def load_now() -> str:
    """The 1/5/15-minute load averages, as the table shows them."""
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def commit() -> str:
    """The short commit the code was measured on, ``+changes`` when the tree differs."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                              check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "rtd_tui", "benchmarks", "pyproject.toml")
    return f"{head}+changes" if dirty else head


def markdown_table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """A Markdown table with padded columns (readable as plain text too)."""
    cells = [head, *rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(head))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
             for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def table(figures: list[Figure]) -> str:
    """The figures of one run, as printed when it ends."""
    return markdown_table(("section", "figure", "value", "target", ""),
                          [(f.section, f.name, f.value, f.target, f.verdict) for f in figures])


class Results:
    """Every module's latest figures and runs, read from and written to ``results.json``."""

    def __init__(self, runs: dict[str, Run], figures: dict[str, list[Figure]],
                 machine: dict[str, str]) -> None:
        self.runs, self.figures, self.machine = runs, figures, machine

    @classmethod
    def read(cls, path: Path = RESULTS_JSON) -> Results:
        if not path.exists():
            return cls({}, {}, {})
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return cls({name: Run(**run) for name, run in data["runs"].items()},
                   {name: [Figure(**f) for f in rows] for name, rows in data["figures"].items()},
                   data["machine"])

    def replace(self, name: str, run: Run, figures: list[Figure]) -> None:
        """``name``'s rows and run become these; the other modules' stay as they were."""
        self.runs[name] = run
        self.figures[name] = figures

    def write(self, order: tuple[str, ...], path: Path = RESULTS_JSON) -> None:
        data = {
            "machine": self.machine,
            "runs": {n: dataclasses.asdict(self.runs[n]) for n in order if n in self.runs},
            "figures": {n: [dataclasses.asdict(f) for f in self.figures[n]]
                        for n in order if n in self.figures},
        }
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")

    def markdown(self, order: tuple[str, ...]) -> str:
        """The machine, each module's run, and one table of every row."""
        names = [n for n in order if n in self.runs]
        runs = markdown_table(
            ("benchmark", "date", "commit", "load at start", "load at end"),
            [(n, r.date, r.commit, r.load_start, r.load_end)
             for n in names for r in [self.runs[n]]],
        )
        rows = markdown_table(
            ("benchmark", "section", "figure", "value", "target", ""),
            [(n, f.section, f.name, f.value, f.target, f.verdict)
             for n in names for f in self.figures[n]],
        )
        return "\n".join([
            "`uv run python -m benchmarks [MODULE…]`: each module's rows come from its latest "
            "run, listed first. CPU figures are each process's own CPU time from /proc (one "
            "core = 100 %); the machine may be shared, so each run gives the load average "
            "(1/5/15 min) at its start and end.", "",
            *[f"- **{k}**: {v}" for k, v in self.machine.items()], "",
            runs, "", rows,
        ])


def write_pages(results: Results, order: tuple[str, ...], results_md: Path = RESULTS_MD,
                page: Path = PAGE) -> None:
    """RESULTS.md, and the table between docs/performance.md's markers."""
    body = results.markdown(order)
    results_md.write_text(f"# rtd-tui benchmark results\n\n{body}\n", encoding="utf-8")
    start, end = PAGE_MARKERS
    text = page.read_text(encoding="utf-8")
    head, found, rest = text.partition(start)
    _, found_end, tail = rest.partition(end)
    if not (found and found_end):
        raise RuntimeError(f"{page} lacks the benchmark markers")
    page.write_text(f"{head}{start}\n{body}\n{end}{tail}", encoding="utf-8")
