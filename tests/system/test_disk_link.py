# SPDX-License-Identifier: MIT
"""The disk link (docs/links.md, "Disk link"): three nodes in their own
network namespaces share one file as a heartbeat device (slot = id - 1),
next to one UDP link (eth0).

(a) all up: every (peer, link) row is up, the disk one included;
(b) n2's network cut entirely (isolate): the others see n2's UDP link go
    down, never its disk link, and n2 stays alive everywhere — the disk
    carries its heartbeats;
(c) n2 stopped (SIGKILL): it is dead at the others.

Run twice: the device is a regular file next to the configs (O_DIRECT
where the test directory's file system allows it, else the link falls
back to O_DSYNC alone), then a loop device over that file (losetup;
skipped, saying so, where loop devices cannot be made).
"""

import subprocess
import time

import pytest

from hbcluster import fmt_event

SLOT_SIZE = 512
SLOTS = 16


@pytest.fixture
def loops():
    """losetup(FILE) -> /dev/loopN, detached at the end."""
    made = []

    def attach(path):
        try:
            out = subprocess.run(["losetup", "--find", "--show", path],
                                 capture_output=True, text=True, timeout=10)
        except OSError as e:
            pytest.skip(f"no losetup: {e}")
        if out.returncode != 0:
            pytest.skip(f"cannot make a loop device: {out.stderr.strip()}")
        made.append(out.stdout.strip())
        return made[-1]

    yield attach
    for dev in made:
        subprocess.run(["losetup", "-d", dev], timeout=10, check=False)


def _disk_cluster(make_cluster, loops, kind):
    c = make_cluster(3, start=False)
    img = c.path("disk-link.img")
    with open(img, "wb") as f:
        f.write(b"\0" * SLOT_SIZE * SLOTS)
    dev = loops(img) if kind == "loop" else img
    for i in c.nodes:
        cfg = c.config_dict(i)
        cfg["links"] = [
            {"name": "net", "listen": cfg.pop("listen")},
            {"name": "disk", "device": dev, "slot_size": SLOT_SIZE,
             "slots": SLOTS},
        ]
        for p in cfg["peers"]:
            p["addresses"] = [p.pop("address"), "disk"]
        c.write_config(i, cfg)
    c.start_all()
    c.wait_all_alive(timeout=c.recover_timeout())
    return c, dev


@pytest.mark.parametrize("kind", ["file", "loop"])
def test_disk_link_survives_network_cut(make_cluster, loops, kind):
    c, dev = _disk_cluster(make_cluster, loops, kind)
    # (a) every link up, the disk included; n2 wrote its slot (1).
    c.wait_until(lambda: all(r["state"] == "up"
                             for obs in (1, 2, 3)
                             for r in c.links_of(obs).values()),
                 c.recover_timeout(), "every link up")
    with open(dev, "rb") as f:
        img = f.read()
    for j in (1, 2, 3):
        assert img[(j - 1) * SLOT_SIZE:(j - 1) * SLOT_SIZE + 4] == b"HBDK"

    # (b) n2's network gone: the UDP link goes down, the disk keeps it.
    t_cut = time.monotonic_ns()
    c.isolate(2)
    for obs in (1, 3):
        ev = c.wait_link_event(obs, "n2", "net", "down", since_ns=t_cut)
        assert ev["peer_state"] == "alive", fmt_event(ev, t_cut)
    time.sleep(2 * c.detect_timeout())
    for obs in (1, 3):
        assert not c.events_into(obs, ["n2"], ("suspect", "dead"), t_cut)
        assert c.members(obs)["n2"] == "alive"
        rows = c.links_of(obs)
        assert rows[("n2", "disk")]["state"] == "up", rows
        assert rows[("n2", "net")]["state"] == "down", rows
        downs = [e for e in c.link_events(obs, "n2", since_ns=t_cut)
                 if e["link"] == "disk"]
        assert not downs, downs
    # n2 itself still hears the others over the disk.
    assert set(c.members(2).values()) == {"alive"}, c.members(2)

    # (c) n2 killed: nothing writes its slot any more, it is dead.
    t_kill = time.monotonic_ns()
    c.kill(2)
    for obs in (1, 3):
        ev = c.wait_event(obs, peer="n2", new="dead", since_ns=t_kill,
                          timeout=2 * c.detect_timeout())
        print(f"n{obs}: n2 dead {(ev['at_ns'] - t_kill) / 1e6:.0f} ms "
              "after SIGKILL (network cut, disk only)")
    assert c.members(1)["n3"] == "alive"
