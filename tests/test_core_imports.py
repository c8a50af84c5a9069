"""The core modules never import Textual (checked in a fresh interpreter, as harlequin does)."""

from __future__ import annotations

import json
import subprocess
import sys

CORE = (
    "config", "reference", "records", "generator", "decode", "store", "producer", "consumer",
    "broker", "pipeline", "ingest", "publish", "tail", "filters", "export", "headless",
    "kafka_jars", "kafka_config", "kafka_engine", "broker_command",
    "control", "tab", "lag", "lag_watch", "groups", "aggregates", "aggregates.pipeline",
)

PROBE = f"""
import json, sys
for name in {CORE!r}:
    __import__("rtd_tui." + name)
print(json.dumps({{
    "core": sorted(m for m in sys.modules if m.startswith("rtd_tui")),
    "textual": sorted(m for m in sys.modules if m == "textual" or m.startswith("textual.")),
    "plotext": sorted(m for m in sys.modules if m.startswith(("plotext", "textual_plotext"))),
}}))
"""


def test_core_does_not_import_textual() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert {f"rtd_tui.{name}" for name in CORE} <= set(loaded["core"])
    assert loaded["textual"] == []
    assert loaded["plotext"] == []


def test_generator_helper_imports_neither_polars_nor_textual() -> None:
    """The generator's helper process must start fast: Faker only, no polars, no UI."""
    code = (
        "import sys, rtd_tui.generator; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('polars', 'textual')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_probe_detects_textual() -> None:
    """The probe itself works: importing Textual does show up in sys.modules."""
    code = "import sys, textual.app; print('textual.app' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "True"
