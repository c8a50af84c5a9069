"""The allocator options are set before polars loads, and a user's own are kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from rtd_tui.allocator import ENV, MALLOC_CONF, configure


def test_configure_sets_the_options_unless_the_user_set_their_own() -> None:
    for env in ({}, {ENV: ""}):
        assert configure(env) == MALLOC_CONF and env[ENV] == MALLOC_CONF
    mine = {ENV: "dirty_decay_ms:0"}
    assert configure(mine) == "dirty_decay_ms:0" and mine[ENV] == "dirty_decay_ms:0"


def test_entry_point_configures_before_polars_is_loaded() -> None:
    """jemalloc reads its options once, when polars loads: importing the entry point must
    not load polars, and ``main`` sets the options first (``--help`` exits right after)."""
    code = (
        "import json, os, sys\n"
        "import rtd_tui.cli\n"
        "before = 'polars' in sys.modules\n"
        "try:\n"
        "    rtd_tui.cli.main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(json.dumps([before, os.environ.get({ENV!r})]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != ENV}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60, env=env)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [False, MALLOC_CONF]
