# SPDX-License-Identifier: MIT
"""`make install` (meson install) into a staging directory: the programs,
the man pages, the systemd unit (naming the installed hbeatd and config),
the sysusers.d entry of its user, the examples and the default config,
which passes `hbeatctl check-config` once it has a key; a reinstall keeps
a config that is there. The unit passes `systemd-analyze verify` (no
running systemd needed). Needs no root."""

import json
import os
import pwd
import shutil
import subprocess

import pytest


def build_options(build_dir):
    out = subprocess.run(["meson", "introspect", "--buildoptions", build_dir],
                         check=True, capture_output=True, text=True,
                         timeout=60).stdout
    return {o["name"]: o["value"] for o in json.loads(out)}


def install(build_dir, dest):
    p = subprocess.run(["meson", "install", "-C", build_dir, "--no-rebuild",
                        "--destdir", str(dest)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout + p.stderr


def under(dest, path):
    return os.path.join(str(dest), path.lstrip("/"))


@pytest.fixture
def installed(build_dir, tmp_path):
    if shutil.which("meson") is None:
        pytest.skip("meson not installed")
    opts = build_options(build_dir)
    prefix = opts["prefix"]

    def at(opt, *rest):
        return os.path.join(prefix, opts[opt], *rest)

    dest = tmp_path / "stage"
    install(build_dir, dest)
    unitdir = opts.get("systemdunitdir") or os.path.join(
        prefix, "lib/systemd/system")
    paths = {
        "hbeatd": at("sbindir", "hbeatd"),
        "hbeatctl": at("bindir", "hbeatctl"),
        "hbeatd.8": at("mandir", "man8", "hbeatd.8"),
        "hbeatctl.8": at("mandir", "man8", "hbeatctl.8"),
        "hbeatd.yaml.5": at("mandir", "man5", "hbeatd.yaml.5"),
        "unit": os.path.join(unitdir, "hbeatd.service"),
        "sysusers": os.path.join(prefix, "lib/sysusers.d/hbeat.conf"),
        "config": at("sysconfdir", "hbeat", "hbeatd.yaml"),
        "examples": at("datadir", "doc", "hbeat", "examples",
                       "cluster-3node", "n1.yaml"),
    }
    return dest, paths


def test_install_lists_expected_files(build_dir, installed, tmp_path):
    dest, paths = installed
    for what, path in paths.items():
        assert os.path.isfile(under(dest, path)), f"{what}: {path}"
    for prog in ("hbeatd", "hbeatctl"):
        assert os.access(under(dest, paths[prog]), os.X_OK)
    # A staged install ships no key: the package or a real install makes
    # one on the target.
    confdir = os.path.dirname(under(dest, paths["config"]))
    assert os.listdir(confdir) == ["hbeatd.yaml"]

    with open(under(dest, paths["unit"])) as f:
        unit = f.read()
    assert (f"ExecStart={paths['hbeatd']} -c {paths['config']}\n"
            in unit), unit
    for line in ("Type=notify", "WatchdogSec=", "Restart=on-failure",
                 "ExecReload=/bin/kill -HUP $MAINPID", "User=hbeat",
                 "NoNewPrivileges=yes", "ProtectSystem=strict",
                 "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW "
                 "CAP_SYS_NICE CAP_IPC_LOCK"):
        assert "\n" + line in unit, line
    assert "@sbindir@" not in unit and "@sysconfdir@" not in unit

    # The default config, with a key next to it, is valid.
    work = tmp_path / "conf"
    work.mkdir()
    with open(under(dest, paths["config"])) as f:
        text = f.read()
    assert "\n  user: hbeat\n" in text
    try:
        pwd.getpwnam("hbeat")
    except KeyError:            # this machine has no user hbeat
        text = text.replace("\n  user: hbeat\n", "\n  user: root\n")
    (work / "hbeatd.yaml").write_text(text)
    hbeatctl = os.path.join(build_dir, "hbeatctl")
    subprocess.run([hbeatctl, "keygen", str(work / "cluster.key")],
                   check=True, capture_output=True, timeout=30)
    p = subprocess.run([hbeatctl, "check-config", str(work / "hbeatd.yaml")],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr


def test_reinstall_keeps_config(build_dir, installed):
    dest, paths = installed
    config = under(dest, paths["config"])
    with open(config, "a") as f:
        f.write("# changed by the operator\n")
    install(build_dir, dest)
    with open(config) as f:
        assert f.read().endswith("# changed by the operator\n")


def test_unit_verifies(build_dir, installed, tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed")
    dest, paths = installed
    # verify wants ExecStart= to exist: point it at the built hbeatd.
    with open(under(dest, paths["unit"])) as f:
        unit = f.read().replace(paths["hbeatd"],
                                os.path.join(build_dir, "hbeatd"))
    d = tmp_path / "unit"
    d.mkdir()
    (d / "hbeatd.service").write_text(unit)
    p = subprocess.run(["systemd-analyze", "verify", "--man=no",
                        str(d / "hbeatd.service")],
                       capture_output=True, text=True, timeout=60)
    ours = [line for line in (p.stdout + p.stderr).splitlines()
            if "hbeatd.service" in line]
    assert p.returncode == 0 and ours == [], p.stdout + p.stderr
