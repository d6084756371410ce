# SPDX-License-Identifier: MIT
"""Topology gossip (docs/gossip.md) with real hbeatd processes, issue
13's real-process proof:

- N nodes join: n1 has no peers (the first node of the cluster); every
  other node lists only n1 as its peer (its seed), and learns the rest
  by gossip and by its join's TCP push-pull; the last node starts later
  with one seed given by address (topology.seeds), n2's, and no peers.
- SIGSTOP one member for 2 s, SIGCONT: suspected, refuted, never dead.
- SIGKILL one member: every survivor sees it dead, never alive after.
- the late node joins through its one seed and is known by all, and
  knows all.

N is 64 (the issue's size) unless HBEAT_GOSSIP_NODES says otherwise, on
loopback ports: in the harness's namespaces (HBEAT_GOSSIP_NETNS=1) 32
nodes pass, but 64 namespaces on one bridge make sends fail with EAGAIN
on this 2-core machine (logged "resource temporarily unavailable",
hundreds a second) and the cluster cannot converge there. On loopback,
on the loaded 2-core test machine, 64 nodes probing every 250 ms: all
join in a few seconds, a kill is known dead by all 62 survivors after
about 6 s (the shortest suspicion timeout at 64 nodes is 12 x 1.8 x
0.25 s = 5.4 s), the 2 s stop is suspected and refuted, and the whole
test takes about 25 s. Bounds are generous: membership, detection and
refutation are asserted by outcome and order, not speed.
"""

import os
import signal
import subprocess
import time

import pytest


N = int(os.environ.get("HBEAT_GOSSIP_NODES", "64"))
INTERVAL_MS = 250
# Every member is probed by someone about once per interval (n probes
# over n - 1 targets): a 2 s stop sees about 8 probes, and the chance that
# none of them fails inside it is about e^-8 (at 500 ms, e^-4: 2 %, and a
# CI run saw nobody suspect the stopped member).
# The shortest suspicion timeout is suspicion_mult x log10(n) intervals:
# at 64 nodes 12 x 1.8 x 250 ms = 5.4 s, longer than the 2 s pause
# (a pause shorter than the shortest timeout is always refuted in time)
# with room for a loaded machine; the longest is twice that.
GOSSIP = {"kind": "gossip", "suspicion_mult": 12, "suspicion_max_mult": 2,
          "push_pull_interval_ms": 10000}
JOIN_S = 90.0          # everyone knows everyone
DETECT_S = 60.0        # a kill known dead by every survivor
PAUSE_S = 2.0


def name_at(observer, j, late):
    """How `observer` names node j: n1 is a configured peer of every node
    but the late one; any other member is learned ("id:N")."""
    return "n1" if j == 1 and observer != late else f"id:{j}"


@pytest.fixture
def gossip_cluster(make_cluster):
    """The cluster, not started: on loopback ports (HBEAT_GOSSIP_NETNS
    unset: 64 namespaces on one bridge saturate the neighbour tables of
    this 2-core machine, sends fail with EAGAIN), else in namespaces."""
    return make_cluster(N, start=False,
                        netns=bool(os.environ.get("HBEAT_GOSSIP_NETNS")),
                        interval_ms=INTERVAL_MS,
                        extra_config={"topology": GOSSIP})


def make(c):
    late = N
    for i in c.nodes:
        cfg = c.config_dict(i)
        if i == 1:
            cfg.pop("peers")
        elif i == late:
            cfg.pop("peers")
            cfg["topology"] = dict(GOSSIP, seeds=[c.nodes[2].address])
        else:
            cfg["peers"] = [p for p in cfg["peers"] if p["name"] == "n1"]
        c.write_config(i, cfg)
    return c, late


def all_know(c, observers, members, late, state="alive"):
    """{observer: wrong} of observers not seeing every member in state."""
    bad = {}
    for i in observers:
        m = c.members(i, timeout=5.0)
        wrong = {j: m.get(name_at(i, j, late)) for j in members
                 if j != i and m.get(name_at(i, j, late)) != state}
        if wrong:
            bad[i] = wrong
    return bad


def wait_all_know(c, observers, members, late, timeout, state="alive"):
    last = {}

    def ok():
        last.clear()
        last.update(all_know(c, observers, members, late, state))
        return not last
    c.wait_until(ok, timeout, lambda: f"all know {state} ({last})",
                 interval=0.5)


def test_gossip_join_pause_kill_late_join(gossip_cluster):
    c, late = make(gossip_cluster)
    first = [i for i in c.nodes if i != late]
    t0 = time.monotonic()
    for i in first:
        c.start(i, wait=False)
    for i in first:
        c.wait_ready(i, timeout=30.0)
    wait_all_know(c, first, first, late, JOIN_S)
    t_joined = time.monotonic() - t0
    # Joined through its seed (push-pull): n1 may have started after n2
    # tried it first; the retry comes within about a second.
    c.wait_until(lambda: c.status(2)["gossip"]["joined"], 10.0,
                 "n2 joined through its seed", interval=0.2)
    st = c.status(2)
    assert st["gossip"]["members"] == len(first) - 1
    assert st["gossip"]["push_pull"]["ok"]["client"] >= 1
    st1 = c.status(1)
    assert st1["gossip"]["push_pull"]["ok"]["server"] >= 1
    assert st["topology"]["kind"] == "gossip"
    # hbeatctl: learned members by id, the gossip state, the metrics.
    out = subprocess.run([c.hbeatctl, "-s", c.nodes[2].sock_path,
                          "members"], capture_output=True, text=True,
                         timeout=10, check=True).stdout
    assert "id:3" in out and "n1" in out, out
    out = subprocess.run([c.hbeatctl, "-s", c.nodes[2].sock_path,
                          "status"], capture_output=True, text=True,
                         timeout=10, check=True).stdout
    assert "gossip:" in out and "joined:        yes via" in out, out

    # A 2 s stop: suspected by some, refuted, dead for none.
    paused = 3
    others = [i for i in first if i != paused]
    t_stop = c.pause(paused)
    time.sleep(PAUSE_S)
    c.resume(paused)
    wait_all_know(c, others, [paused], late, DETECT_S)
    time.sleep(2.0)
    suspected = []
    for i in others:
        ev = c.events(i, peer=name_at(i, paused, late), since_ns=t_stop)
        states = [e["new"] for e in ev]
        assert "dead" not in states, f"n{i} declared n{paused} dead: {ev}"
        if "suspect" in states:
            suspected.append(i)
            # refuted after: the last word is alive
            assert states[-1] == "alive", f"n{i}: {ev}"
    assert suspected, "nobody suspected the stopped member"
    assert c.status(paused)["gossip"]["refutations"] >= 1

    # SIGKILL: every survivor sees it dead, and never alive after.
    killed = 5
    survivors = [i for i in first if i != killed]
    t_kill = c.kill(killed, signal.SIGKILL)
    wait_all_know(c, survivors, [killed], late, DETECT_S, state="dead")
    t_dead = (time.monotonic_ns() - t_kill) / 1e9
    time.sleep(2.0)
    for i in survivors:
        ev = c.events(i, peer=name_at(i, killed, late), since_ns=t_kill)
        states = [e["new"] for e in ev]
        assert "dead" in states or \
            c.members(i)[name_at(i, killed, late)] == "dead", f"n{i}: {ev}"
        if "dead" in states:
            assert "alive" not in states[states.index("dead"):], \
                f"n{i} saw n{killed} back: {ev}"

    # The late node, with one seed by address and no peers.
    t_late = time.monotonic()
    c.start(late, timeout=30.0)
    running = survivors + [late]
    wait_all_know(c, running, running, late, JOIN_S)
    t_late_known = time.monotonic() - t_late
    st = c.status(late)
    assert st["gossip"]["joined"] is True
    assert st["gossip"]["joined_via"] == c.nodes[2].address
    m = c.members(late)
    assert m.get(f"id:{killed}") in (None, "dead"), m

    print(f"\ngossip {N} nodes: all joined in {t_joined:.1f} s, kill "
          f"known dead by all {len(survivors)} survivors after "
          f"{t_dead:.1f} s, {len(suspected)} suspected the 2 s pause "
          f"(refuted, none dead), late node known by all after "
          f"{t_late_known:.1f} s")
