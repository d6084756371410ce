# SPDX-License-Identifier: MIT
"""The README's first command must keep working: `make demo` runs
scripts/demo.py, which must detect the kill, see the node come back and exit
0 within its 30 s budget — in network namespaces and on loopback."""

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
    # Every survivor reported a kill->dead time under a second.
    times = re.findall(r"^\s+n[12]\s+(\d+) ms\s+(\d+) ms\s*$", p.stdout,
                       re.M)
    assert len(times) == 2, out
    for suspect_ms, dead_ms in times:
        assert int(suspect_ms) <= int(dead_ms) < 1000, out
    assert "probation -> alive" in p.stdout, out
    assert "All 3 nodes alive" in p.stdout, out
