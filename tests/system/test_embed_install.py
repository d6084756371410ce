# SPDX-License-Identifier: MIT
"""libhbeat as a library others depend on: `meson install` into a staging
directory, then build examples/embed/embed.c the way a third party would —
its installed headers and `pkg-config --cflags --libs hbeat-uv`, nothing
from the source tree — and run it (two nodes on loopback: alive, then dead
when one stops). Needs no root."""

import glob
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def test_embed_from_installed_tree(build_dir, tmp_path):
    for tool in ("meson", "pkg-config", "cc"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed")
    dest = tmp_path / "stage"
    subprocess.run(["meson", "install", "-C", build_dir, "--quiet",
                    "--no-rebuild", "--destdir", str(dest)],
                   check=True, capture_output=True, text=True, timeout=120)
    pcs = glob.glob(str(dest / "**" / "hbeat-uv.pc"), recursive=True)
    assert len(pcs) == 1, pcs
    assert glob.glob(str(dest / "**" / "hbeat.pc"), recursive=True)
    env = dict(os.environ,
               PKG_CONFIG_PATH=os.path.dirname(pcs[0]),
               PKG_CONFIG_SYSROOT_DIR=str(dest))
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "hbeat-uv"],
                           check=True, capture_output=True, text=True,
                           env=env).stdout.split()
    assert any(f.startswith("-I" + str(dest)) for f in flags), flags
    exe = tmp_path / "embed"
    cc = subprocess.run(["cc", "-Wall", "-Wextra", "-Werror",
                         "-o", str(exe),
                         os.path.join(ROOT, "examples/embed/embed.c")]
                        + flags, capture_output=True, text=True, env=env,
                        timeout=120)
    assert cc.returncode == 0, cc.stderr
    libdir = [f[2:] for f in flags if f.startswith("-L")]
    run = subprocess.run([str(exe)], capture_output=True, text=True,
                         timeout=30,
                         env=dict(os.environ,
                                  LD_LIBRARY_PATH=":".join(libdir)))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "b seen alive, then dead" in run.stdout
