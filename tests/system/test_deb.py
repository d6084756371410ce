# SPDX-License-Identifier: MIT
"""The Debian package (`make deb`, docs/operations.md "Packaging") on a
fresh Debian 12: installed with apt into a clean bookworm root, it makes
the user hbeat and a cluster key only hbeat may read, `hbeatd --version`
and `hbeatctl check-config` pass on the installed default and on a
shipped example, and hbeatd started as the unit would (in a network and
PID namespace of its own, chrooted) answers `hbeatctl status` as the user
hbeat with only the capabilities its config needs, and stops cleanly.

Slow steps are cached under build-deb/ (`make clean` removes it):
  build-deb/hbeat_*.deb   scripts/build-deb --if-stale: rebuilt only when
                          a source file is newer (about 2 min)
  build-deb/root-cache    debootstrap --variant=minbase bookworm from
                          http://deb.debian.org/debian, made once (about
                          2 min; set HBEAT_DEB_ROOT to use another)
  build-deb/apt-archives  the packages apt downloaded for the dependencies
Each run copies the root (a few seconds), so the package always meets a
clean system. Skips, with the reason, without root, debootstrap,
dpkg-buildpackage or unshare; HBEAT_SKIP_DEB=1 skips it on purpose."""

import glob
import os
import shutil
import subprocess
import tempfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CACHE = os.path.join(REPO, "build-deb")
MIRROR = "http://deb.debian.org/debian"

# Run inside the installed root, in its own network, mount and PID
# namespaces: start hbeatd as root (it switches to daemon.user hbeat, as
# a root start outside systemd does), wait for its control socket, print
# its status and credentials, stop it.
START_SCRIPT = r"""
set -u
mkdir -p /run/hbeat
hbeatd -c /etc/hbeat/hbeatd.yaml >/tmp/hbeatd.log 2>&1 &
pid=$!
i=0
until hbeatctl status >/tmp/status.txt 2>&1; do
        i=$((i + 1))
        if [ $i -ge 100 ] || ! kill -0 $pid 2>/dev/null; then
                echo "no status"; cat /tmp/status.txt /tmp/hbeatd.log
                exit 1
        fi
        sleep 0.1
done
echo "== status"; cat /tmp/status.txt
echo "== proc"; grep -E '^(Uid|Gid|CapEff|CapAmb):' /proc/$pid/status
kill -TERM $pid
wait $pid
echo "== exit $?"
echo "== log"; cat /tmp/hbeatd.log
"""


def run(argv, timeout, **kw):
    p = subprocess.run(argv, capture_output=True, text=True,
                       timeout=timeout, **kw)
    assert p.returncode == 0, (f"{' '.join(argv)}: exit {p.returncode}\n"
                               f"{p.stdout}\n{p.stderr}")
    return p.stdout


def need(tool):
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} not installed (scripts/install-deps "
                    "debhelper debootstrap)")


@pytest.fixture(scope="module")
def deb():
    if os.environ.get("HBEAT_SKIP_DEB"):
        pytest.skip("HBEAT_SKIP_DEB set")
    if os.geteuid() != 0:
        pytest.skip("needs root (chroot, namespaces)")
    for tool in ("dpkg-buildpackage", "dh", "debootstrap", "unshare"):
        need(tool)
    out = run([os.path.join(REPO, "scripts", "build-deb"), "--if-stale"],
              timeout=900)
    return out.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def base_root():
    root = os.environ.get("HBEAT_DEB_ROOT") or os.path.join(CACHE,
                                                            "root-cache")
    if not os.path.isdir(os.path.join(root, "etc", "apt")):
        tmp = root + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(os.path.dirname(tmp), exist_ok=True)
        run(["debootstrap", "--variant=minbase", "bookworm", tmp, MIRROR],
            timeout=1200)
        os.rename(tmp, root)
    return root


@pytest.fixture
def fresh_root(base_root):
    work = tempfile.mkdtemp(prefix="hbeat-deb-", dir="/tmp")
    root = os.path.join(work, "root")
    try:
        run(["cp", "-a", base_root, root], timeout=300)
        yield root
    finally:
        shutil.rmtree(work, ignore_errors=True)


def chroot(root, script, timeout=120):
    return run(["chroot", root, "sh", "-c", script], timeout=timeout,
               env=dict(os.environ, DEBIAN_FRONTEND="noninteractive",
                        LC_ALL="C"))


def apt_install(root, deb):
    """apt-get install ./hbeat_*.deb: the dependencies from the mirror,
    reusing (and filling) build-deb/apt-archives."""
    archives = os.path.join(root, "var", "cache", "apt", "archives")
    cache = os.path.join(CACHE, "apt-archives")
    os.makedirs(cache, exist_ok=True)
    for f in glob.glob(os.path.join(cache, "*.deb")):
        shutil.copy(f, archives)
    shutil.copy(deb, os.path.join(root, "tmp", "hbeat.deb"))
    out = chroot(root, "apt-get install -y -q --no-install-recommends "
                 "/tmp/hbeat.deb", timeout=600)
    for f in glob.glob(os.path.join(archives, "*.deb")):
        if not os.path.exists(os.path.join(cache, os.path.basename(f))):
            shutil.copy(f, cache)
    return out


def test_deb_installs_and_starts(deb, fresh_root):
    root = fresh_root
    apt_install(root, deb)

    out = chroot(root, "hbeatd --version")
    assert out.startswith("hbeatd "), out
    # The user, the key only it may read, the conffile.
    chroot(root, "getent passwd hbeat")
    out = chroot(root, "stat -c '%U %a' /etc/hbeat/cluster.key")
    assert out.split() == ["hbeat", "600"], out
    out = chroot(root, "cat /var/lib/dpkg/info/hbeat.conffiles")
    assert "/etc/hbeat/hbeatd.yaml" in out.split()
    # The unit where systemd looks, enabled by the package.
    assert os.path.isfile(os.path.join(root,
                                       "lib/systemd/system/hbeatd.service"))

    # check-config: the installed default, and a shipped example with the
    # key its README asks for.
    out = chroot(root, "hbeatctl check-config /etc/hbeat/hbeatd.yaml")
    assert "OK" in out.splitlines()[0], out
    out = chroot(root, "set -e; d=$(mktemp -d); "
                 "cp /usr/share/doc/hbeat/examples/cluster-3node/n1.yaml $d; "
                 "hbeatctl keygen $d/cluster.key; "
                 "hbeatctl check-config $d/n1.yaml")
    assert "OK" in out.splitlines()[0], out

    # It starts: status over the control socket, as hbeat.
    with open(os.path.join(root, "tmp", "start.sh"), "w") as f:
        f.write(START_SCRIPT)
    p = subprocess.run(["unshare", "--net", "--mount", "--pid", "--fork",
                        f"--root={root}", "--mount-proc", "sh",
                        "/tmp/start.sh"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    assert "node1" in out.split("== proc")[0], out
    uid = chroot(root, "id -u hbeat").strip()
    proc = dict(line.split(":", 1) for line in
                out.split("== proc")[1].split("== exit")[0].splitlines()
                if ":" in line)
    assert proc["Uid"].split() == [uid] * 4, out
    # Default config: no vips; realtime.enabled and lock_memory.
    assert int(proc["CapEff"], 16) == (1 << 23) | (1 << 14), out
    assert int(proc["CapAmb"], 16) == 0, out
    assert "== exit 0" in out, out
