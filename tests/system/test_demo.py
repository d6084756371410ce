# SPDX-License-Identifier: MIT
"""The README's first command must keep working: `make demo` runs
scripts/demo.py, which must detect the hang and the kill, see the node come
back each time and exit 0 within its 30 s budget — in network namespaces
and on loopback."""

import os
import re
import subprocess
import sys

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


@pytest.mark.parametrize("mode", ["netns", "loopback"])
def test_demo_runs(request, build_dir, mode):
    if mode == "netns":
        request.getfixturevalue("netns_ok")  # skips without namespaces
    cmd = [sys.executable, os.path.join(REPO, "scripts", "demo.py"),
           "--build-dir", build_dir]
    if mode == "loopback":
        cmd.append("--loopback")
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    # Every survivor convicted the hung node through its detector (suspect
    # first, dead under a second) and saw the killed one exit within a
    # couple of intervals (port unreachable, no suspect).
    rows = re.findall(r"^\s+n[12]\s+(\d+ ms|\(none\))\s+(\d+) ms\s+(\w+)\s*$",
                      p.stdout, re.M)
    assert len(rows) == 4, out
    for suspect, dead_ms, reason in rows[:2]:
        assert suspect != "(none)", out
        assert int(suspect.split()[0]) <= int(dead_ms) < 1000, out
        assert reason in ("dead_threshold", "dead_after"), out
    for suspect, dead_ms, reason in rows[2:]:
        assert suspect == "(none)" and reason == "port_unreachable", out
        assert int(dead_ms) < 250, out
    assert "probation -> alive" in p.stdout, out
    assert "All 3 nodes alive" in p.stdout, out
