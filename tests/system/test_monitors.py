# SPDX-License-Identifier: MIT
"""Topology "monitors" (docs/topologies.md) with real hbeatd processes in
network namespaces: 5 nodes, n1..n3 monitors, n4 and n5 members that
heartbeat to the monitors only.

- steady state: every node sees every other alive, and a member never
  receives a heartbeat from another member (its state comes from the
  monitors' verdicts);
- one monitor's path to n5 cut (nftables): n5 stays alive for everyone,
  the cut monitor included (it alone says dead, the majority says alive);
- n5 SIGKILLed: dead at every node, n4 included, which never heard n5;
- a monitor SIGKILLed, then n5: the two remaining monitors still decide.
"""

import time

from hbcluster import fmt_event

MONITORS = {"topology": {"kind": "monitors",
                         "monitors": ["n1", "n2", "n3"]}}
# Port unreachable is the mesh's fast path; monitors judge members by
# their detectors (docs/topologies.md).
CONFIG = dict(MONITORS)


def make(make_cluster):
    return make_cluster(5, extra_config=CONFIG)


def rx_from(c, observer, peer):
    """Messages `observer` accepted from `peer` (members, status)."""
    for m in c.members_full(observer):
        if m.get("name") == peer:
            return m.get("received", 0)
    raise AssertionError(f"n{observer} has no peer {peer}")


def test_members_push_to_monitors_only(make_cluster):
    c = make(make_cluster)
    time.sleep(1.0)
    for obs in range(1, 6):
        members = c.members(obs)
        assert all(s == "alive" for s in members.values()), \
            f"n{obs}: {members}"
    # n4 hears the monitors, never n5 (n5 sends to the monitors only).
    assert rx_from(c, 4, "n5") == 0
    assert rx_from(c, 4, "n1") > 0
    assert rx_from(c, 1, "n5") > 0
    # status says who monitors, and only monitors send verdicts.
    st1, st4 = c.status(1), c.status(4)
    assert st1["topology"] == {"kind": "monitors", "monitor": True,
                               "monitors": ["n1", "n2", "n3"]}
    assert st4["topology"]["monitor"] is False
    assert st1["counters"]["verdicts_sent"] > 0
    assert st4["counters"]["verdicts_sent"] == 0


def test_one_monitor_cut_stays_alive(make_cluster):
    c = make(make_cluster)
    t_cut = time.monotonic_ns()
    c.partition(1, 5)
    # Long enough for n1's own detector to call n5 dead several times
    # over.
    time.sleep(c.detect_timeout())
    for obs in (1, 2, 3, 4):
        assert c.members(obs)["n5"] == "alive", \
            f"n{obs}: {c.members(obs)}"
        evs = c.events_into(obs, ["n5"], ("suspect", "dead"), t_cut)
        assert not evs, f"n{obs} doubted n5: " + \
            "; ".join(fmt_event(e, t_cut) for e in evs)
    # n5 judges the monitors by their heartbeats: n1 is dead for it.
    c.wait_event(5, peer="n1", new="dead", since_ns=t_cut,
                 timeout=c.detect_timeout())


def wait_dead_everywhere(c, observers, peer, t0):
    for obs in observers:
        dead = c.wait_event(obs, peer=peer, new="dead", since_ns=t0,
                            timeout=c.detect_timeout())
        ms = (dead["at_ns"] - t0) / 1e6
        print(f"n{obs}: {peer} dead {ms:.0f} ms after the kill")
        assert 0 <= ms < 1000 + 2 * c.interval_ms, \
            f"n{obs}: {peer} dead only {ms:.0f} ms after the kill"


def test_member_killed_dead_everywhere(make_cluster):
    c = make(make_cluster)
    t_kill = c.kill(5)
    wait_dead_everywhere(c, (1, 2, 3, 4), "n5", t_kill)
    for obs in (1, 2, 3):
        assert not c.events_into(obs, ["n4"], ("suspect", "dead"), t_kill)


def test_monitor_dies_rest_decide(make_cluster):
    c = make(make_cluster)
    t_mon = c.kill(1)
    for obs in (2, 3, 4, 5):
        c.wait_event(obs, peer="n1", new="dead", since_ns=t_mon,
                     timeout=c.detect_timeout())
    t_kill = c.kill(5)
    wait_dead_everywhere(c, (2, 3, 4), "n5", t_kill)
    assert c.members(4)["n2"] == "alive"
    assert c.members(4)["n3"] == "alive"
