# SPDX-License-Identifier: MIT
"""Topology "subset" (docs/subset.md) with real hbeatd processes in
network namespaces: 7 nodes, k = 3, each heartbeating to its 3
successors on the hash ring, which judge it and send their verdicts to
every node.

- steady state: every node sends its heartbeats to its 3 monitors only
  (the ones the ring of docs/subset.md gives, named by its status and
  /metrics): a node accepts heartbeats from exactly the nodes it is a
  monitor of, and sends 3 heartbeat datagrams per sequence number, not 6;
- a node SIGKILLed: dead at every survivor, after its monitors' verdicts;
  its predecessors move their heartbeats to the next live node;
- the path between a node and ONE of its monitors cut (nftables): that
  monitor says dead, the majority says alive: no suspect or dead event
  anywhere; the node, which cannot hear that monitor, is repaired by its
  other monitors (digest);
- a node SIGSTOPped for 2 s (detector: dead after 3 s of silence): no
  dead verdict anywhere.

Seven nodes only: many namespaces on one bridge overflow the kernel's
neighbour table for every other test on the machine.
"""

import re
import subprocess
import time

from hbcluster import fmt_event
from test_http import HTTP_PORT, with_http
from test_metrics import PROMTOOL, promtool_check, scrape, value

N = 7
K = 3
INTERVAL_MS = 200
# Suspect after 3 missed intervals, dead only after 3 s of silence: a 2 s
# stop is survived, a kill is seen within a few seconds (as in
# test_hierarchy: phi's suspicion saturates within a 2 s stop).
DETECTOR = {"kind": "fixed", "suspect_threshold": 3,
            "dead_threshold": 1000000, "dead_after_ms": 3000}
# Loaded 2-core machine: generous.
BOUND_S = 30.0


def ring_pos(node_id):
    """64-bit FNV-1a over the id's 4 bytes, network order
    (hb_subset_ring_pos())."""
    h = 0xcbf29ce484222325
    for b in node_id.to_bytes(4, "big"):
        h ^= b
        h = (h * 0x100000001b3) & 0xffffffffffffffff
    return h


RING = sorted(range(1, N + 1), key=lambda i: (ring_pos(i), i))


def monitors_of(x, skip=()):
    """The k live successors of node id x on the ring."""
    at = RING.index(x)
    out = []
    for step in range(1, N):
        y = RING[(at + step) % N]
        if y not in skip:
            out.append(y)
        if len(out) == K:
            break
    return out


def make(make_cluster, http=False):
    c = make_cluster(N, start=not http, interval_ms=INTERVAL_MS,
                     extra_config={"topology": {"kind": "subset", "k": K},
                                   "detector": DETECTOR})
    if http:
        with_http(c, lambda n: f"{n.host}:{HTTP_PORT}")
        c.start_all()
        c.wait_all_alive(timeout=BOUND_S)
    return c


def no_alarms(c, observers, peers, t0, states=("suspect", "dead")):
    for obs in observers:
        bad = c.events_into(obs, [f"n{p}" for p in peers], states, t0)
        assert not bad, f"n{obs}: " + "; ".join(fmt_event(e, t0)
                                                for e in bad)


def test_heartbeats_to_monitors_only(make_cluster):
    c = make(make_cluster, http=True)
    # Every verdict sent at the start has arrived; a few intervals run.
    time.sleep(1.0)
    for obs in c.nodes:
        st = c.status(obs)
        topo = st["topology"]
        mons = monitors_of(obs)
        assert topo["kind"] == "subset" and topo["k"] == K
        assert topo["majority"] == K // 2 + 1
        # The ring of the docs, as the daemon computed it.
        assert topo["monitors"] == [f"n{m}" for m in mons], \
            f"n{obs}: {topo}"
        judged = sorted(x for x in c.nodes if obs in monitors_of(x))
        assert sorted(topo["judges"]) == sorted(f"n{x}" for x in judged)
        # Counters, not timing: one sequence number per heartbeat, sent
        # to K monitors (a full mesh would send N - 1 datagrams each).
        seq = st["node"]["seq"]
        sent = st["counters"]["heartbeats_sent"]
        assert seq > 0
        assert K * (seq - 1) <= sent <= K * seq, \
            f"n{obs}: {sent} heartbeat datagrams for seq {seq}"
        assert topo["verdicts_sent"] > 0
        assert topo["verdicts_received"] > 0
        # Heartbeats accepted (seq > 0) exactly from the nodes it judges;
        # every member alive, judged by its 3 monitors' verdicts.
        for m in c.members_full(obs):
            x = m["id"]
            assert m["state"] == "alive", f"n{obs}: {m}"
            heard = m["seq"] > 0
            assert heard == (obs in monitors_of(x)), \
                f"n{obs} {'heard' if heard else 'did not hear'} n{x}: {m}"
            assert [v["name"] for v in m["monitors"]] == \
                [f"n{y}" for y in monitors_of(x)]
            assert all(v["verdict"] == "alive" for v in m["monitors"]
                       if v["id"] != obs), f"n{obs}: {m}"
            assert m["judged"] == (obs in monitors_of(x))
    # The operator's table: each member's monitors with their verdicts,
    # and this node's own where it judges the member.
    out = subprocess.run([c.hbeatctl, "-s", c.nodes[1].sock_path,
                          "members"], capture_output=True, text=True,
                         timeout=10, check=True).stdout.splitlines()
    cols = [re.split(r"\s{2,}", ln.strip()) for ln in out]
    assert cols[0][-2:] == ["MONITORS (VERDICT)", "JUDGED HERE"], out[0]
    row = {r[0]: r for r in cols[1:]}
    for x in c.nodes:
        if x == 1:
            continue
        mons = ", ".join(f"n{y} alive" for y in monitors_of(x))
        own = "alive" if 1 in monitors_of(x) else "-"
        assert row[f"n{x}"][-2:] == [mons, own], row[f"n{x}"]
    # The same in /metrics.
    for obs in (1, N):
        text, samples = scrape(c, obs)
        if PROMTOOL:
            promtool_check(text)
        for y in c.nodes:
            want = 1 if y in monitors_of(obs) else None
            assert value(samples, "hbeat_subset_monitor",
                         peer=f"n{y}") == want, f"n{obs}: n{y}"
        judged = sum(obs in monitors_of(x) for x in c.nodes)
        assert value(samples, "hbeat_subset_judged") == judged
        assert value(samples, "hbeat_subset_verdicts_sent_total") > 0
        assert value(samples, "hbeat_subset_verdicts_received_total") > 0
        assert value(samples, "hbeat_subset_repairs_sent_total") is not None


def test_killed_dead_everywhere(make_cluster):
    c = make(make_cluster)
    victim = 4
    mons = monitors_of(victim)
    preds = [x for x in c.nodes if victim in monitors_of(x)]
    survivors = [i for i in c.nodes if i != victim]
    t_kill = c.kill(victim)
    dead_at = {}
    for obs in survivors:
        ev = c.wait_event(obs, peer=f"n{victim}", new="dead",
                          since_ns=t_kill, timeout=BOUND_S)
        dead_at[obs] = ev["at_ns"]
        print(f"n{obs}: n{victim} dead {(ev['at_ns'] - t_kill) / 1e6:.0f} "
              "ms after the kill")
    # Order: alive -> (suspect) -> dead at every survivor, never back.
    for obs in survivors:
        evs = c.events(obs, peer=f"n{victim}", since_ns=t_kill)
        assert [e["new"] for e in evs][-1] == "dead", \
            f"n{obs}: " + "; ".join(fmt_event(e, t_kill) for e in evs)
        assert all(e["new"] in ("suspect", "dead") for e in evs)
    # Nobody else doubted.
    no_alarms(c, survivors, [p for p in survivors], t_kill)
    # The victim's predecessors moved to the next live node on the ring.
    for x in preds:
        want = [f"n{m}" for m in monitors_of(x, skip=(victim,))]
        c.wait_until(lambda: c.status(x)["topology"]["monitors"] == want,
                     BOUND_S, f"n{x} heartbeats to {want}")
    # Its monitors' dead verdicts: every survivor holds them.
    for obs in survivors:
        row = next(m for m in c.members_full(obs)
                   if m["name"] == f"n{victim}")
        said = {v["id"]: v["verdict"] for v in row["monitors"]}
        assert sorted(said) == sorted(mons)
        dead = [m for m in mons if said[m] == "dead"]
        assert len(dead) >= K // 2 + 1, f"n{obs}: {row}"


def test_one_monitor_cut_stays_alive(make_cluster):
    c = make(make_cluster)
    x = 2
    m = monitors_of(x)[0]
    t_cut = time.monotonic_ns()
    c.partition(x, m)
    # Long enough for m's own detector to call x dead several times over
    # (3 s of silence), and its verdict to reach everyone.
    time.sleep(3.0 + 4.0)
    others = [i for i in c.nodes if i not in (x, m)]

    def m_says_dead():
        for obs in others:
            row = next(r for r in c.members_full(obs)
                       if r["name"] == f"n{x}")
            if {v["id"]: v["verdict"] for v in row["monitors"]}.get(m) \
                    != "dead":
                return False
        return True
    c.wait_until(m_says_dead, BOUND_S, f"n{m}'s dead verdict on n{x}")
    # x never gets m's verdicts (cut): it learns them from its other
    # monitors' repair, drawn by its heartbeats' differing digest.
    others_of_x = [y for y in monitors_of(x) if y != m]
    c.wait_until(lambda: sum(c.status(y)["topology"]["repairs_sent"]
                             for y in others_of_x) > 0,
                 BOUND_S, f"a repair of n{x} by {others_of_x}")
    no_alarms(c, c.nodes, [x], t_cut)
    for obs in c.nodes:
        if obs != x:
            assert c.members(obs)[f"n{x}"] == "alive", \
                f"n{obs}: {c.members(obs)}"
    # m itself stays alive too: x hears of it from m's other monitors.
    no_alarms(c, c.nodes, [m], t_cut)


def test_stopped_2s_not_dead(make_cluster):
    c = make(make_cluster)
    victim = 6
    t0 = c.pause(victim)
    time.sleep(2.0)
    c.resume(victim)
    # Longer than the dead time after the resume: nothing may follow.
    time.sleep(6.0)
    for obs in c.nodes:
        if obs == victim:
            continue
        no_alarms(c, [obs], [victim], t0, states=("dead",))
        assert c.members(obs)[f"n{victim}"] == "alive"
