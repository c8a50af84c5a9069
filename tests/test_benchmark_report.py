"""The benchmark table: a run of some modules replaces their rows and keeps the others'."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.common import Figure
from benchmarks.report import PAGE_MARKERS, Results, Run, write_pages

ORDER = ("cpu", "latency")
OLD = Run("2026-12-01T07:40:53+00:00", "8dd4477", "0.7 / 1.3 / 1.0", "1.3 / 0.9 / 0.8")
NEW = Run("2026-12-04T16:20:00+00:00", "abc1234", "2.0 / 1.5 / 1.2", "2.4 / 1.8 / 1.3")


def _results(path: Path) -> Results:
    results = Results({}, {}, {"cpus": "2"})
    results.replace("cpu", OLD, [Figure("CPU", "rtd-tui -b, idle", "0.9 %", "≤ 0.5 %", False)])
    results.replace("latency", OLD, [Figure("latency", "key t, p95", "284 ms")])
    results.write(ORDER, path)
    return Results.read(path)


def test_a_partial_run_replaces_only_its_modules_rows(tmp_path: Path) -> None:
    results = _results(tmp_path / "results.json")
    results.replace("latency", NEW, [Figure("latency", "key t, p95", "90 ms", "≤ 100 ms", True)])
    results.write(ORDER, tmp_path / "results.json")
    text = Results.read(tmp_path / "results.json").markdown(ORDER)
    assert "284 ms" not in text and "90 ms" in text and "PASS" in text
    assert "0.9 %" in text and "MISS" in text  # the cpu row stays, with its verdict
    assert "| cpu " in text and "8dd4477" in text and "abc1234" in text
    assert "2.0 / 1.5 / 1.2" in text and "2.4 / 1.8 / 1.3" in text  # the new run's loads


def test_the_page_gets_the_table_between_its_markers(tmp_path: Path) -> None:
    start, end = PAGE_MARKERS
    page = tmp_path / "performance.md"
    page.write_text(f"# Performance\n\nMethod.\n\n{start}\nold table\n{end}\n\nAfter.\n",
                    encoding="utf-8")
    write_pages(_results(tmp_path / "results.json"), ORDER, tmp_path / "RESULTS.md", page)
    text = page.read_text(encoding="utf-8")
    assert "old table" not in text and "Method." in text and text.endswith("After.\n")
    assert "284 ms" in text and "284 ms" in (tmp_path / "RESULTS.md").read_text(encoding="utf-8")


def test_a_page_without_markers_is_an_error(tmp_path: Path) -> None:
    page = tmp_path / "performance.md"
    page.write_text("# Performance\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="lacks the benchmark markers"):
        write_pages(_results(tmp_path / "results.json"), ORDER, tmp_path / "RESULTS.md", page)
