# SPDX-License-Identifier: MIT
"""Quorum and leader election on the gossip topology (docs/gossip.md,
"Quorum and election"; issue 13 item 1) with 5 real hbeatd on loopback
ports, each listing the other four as peers (the voters):

- a leader is elected and every node agrees on it (status), and
  `hbeatctl status` shows role, term and leader as in the mesh;
- SIGKILL the leader: the four survivors elect a new leader in a higher
  term, and every survivor's gossip holds the killed one dead;
- SIGSTOP the new leader and one follower (a minority, 2 of 5): the
  three others elect another leader while they are stopped; on SIGCONT
  the stopped leader's first role change is its step-down, and both
  stopped nodes end up following the one leader, without a split.

From the event logs (every node's role events, CLOCK_MONOTONIC of the
one host): exactly one node becomes leader per term, and leaderships
never overlap in time, but for a stopped leader, which does not run
until it resumes and steps down before anything else.

Interval 250 ms, bounds generous (a loaded 2-core machine): what
happened and in what order is asserted, not how fast.
"""

import re
import subprocess
import time

import pytest

from hbcluster import fmt_event

N = 5
INTERVAL_MS = 250
GOSSIP = {"kind": "gossip", "push_pull_interval_ms": 5000}
ELECT_S = 30.0
FAILOVER_S = 30.0
SETTLE_S = 40.0


@pytest.fixture
def cluster(make_cluster):
    """The cluster on loopback ports, not started."""
    return make_cluster(N, start=False, netns=False,
                        interval_ms=INTERVAL_MS, election=True,
                        extra_config={"topology": GOSSIP})


def trail(c, nodes, since_ns=None):
    return "\n  ".join(fmt_event(e, since_ns)
                       for i in nodes
                       for e in (c.coord_events(i, "role", since_ns)
                                 + c.coord_events(i, "quorum", since_ns)))


def leaderships(events_by_node, end_ns):
    """{node: [(start_ns, end_ns, term)]} from role events: from a change
    into leader (not "established", leader -> leader) to the next change
    out of it (end_ns if still leading)."""
    out = {}
    for i, evs in events_by_node.items():
        spans, start, term = [], None, None
        for e in sorted(evs, key=lambda e: e["at_ns"]):
            if e.get("new") == "leader" and e.get("old") != "leader":
                start, term = e["at_ns"], e["term"]
            elif e.get("old") == "leader" and e.get("new") != "leader" \
                    and start is not None:
                spans.append((start, e["at_ns"], term))
                start = None
        if start is not None:
            spans.append((start, end_ns, term))
        out[i] = spans
    return out


def check_one_leader_per_term(spans, why):
    by_term = {}
    for i, ss in spans.items():
        for s in ss:
            by_term.setdefault(s[2], set()).add(i)
    two = {t: n for t, n in by_term.items() if len(n) > 1}
    assert not two, f"two leaders in one term: {two}\n  {why()}"


def check_no_overlap(spans, stopped, why):
    """No two leaderships overlap, where a leadership of a node in
    `stopped` ({node: (t_stop, t_cont)}) that spans its stop counts only
    until the stop: it did not run, and its step-down at resume is
    checked apart."""
    flat = []
    for i, ss in spans.items():
        for (a, b, term) in ss:
            if i in stopped:
                t_stop, t_cont = stopped[i]
                if a < t_stop < b:
                    b = t_stop
            flat.append((a, b, i, term))
    for x in flat:
        for y in flat:
            if x is y or not (x[0] < y[1] and y[0] < x[1]):
                continue
            assert False, (f"n{abs(x[2])} (term {x[3]}) and n{abs(y[2])} "
                           f"(term {y[3]}) lead at once\n  {why()}")


def test_gossip_election_kill_and_minority_stop(cluster):
    c = cluster
    t0 = time.monotonic_ns()
    for i in c.nodes:
        c.start(i, wait=False)
    for i in c.nodes:
        c.wait_ready(i, timeout=30.0)
    leader, term = c.wait_leader(timeout=ELECT_S)
    print(f"elected: {leader} term {term}, "
          f"{(time.monotonic_ns() - t0) / 1e9:.1f} s after start")
    st = c.status(2)
    assert st["topology"]["kind"] == "gossip"
    co = st["coordination"]
    # The five configured voters, a majority of them needed.
    assert co["expected_votes"] == N and co["quorum_votes"] == 3, co
    assert co["quorate"] and co["votes_present"] >= 3, co
    out = subprocess.run([c.hbeatctl, "-s", c.nodes[2].sock_path,
                          "status"], capture_output=True, text=True,
                         timeout=10, check=True).stdout
    assert "role:" in out and "gossip:" in out, out
    assert re.search(rf"leader:\s+{leader} \(id {leader[1:]}\)", out), out
    k = int(leader[1:])
    before_kill = [e for e in c.coord_events(k, "role")]

    # SIGKILL the leader: a new one in a higher term among the rest.
    t_kill = c.kill(k)
    rest = [i for i in c.nodes if i != k]
    new_leader, new_term = c.wait_leader(nodes=rest, timeout=FAILOVER_S,
                                         min_term=term + 1,
                                         exclude=(leader,))
    print(f"after SIGKILL of {leader}: {new_leader} term {new_term}, "
          f"{(time.monotonic_ns() - t_kill) / 1e9:.1f} s")
    won = [e for i in rest for e in c.coord_events(i, "role", t_kill)
           if e.get("new") == "leader" and e.get("old") != "leader"]
    assert won and all(e["term"] > term for e in won), \
        trail(c, rest, t_kill)
    # Its candidacy came first: candidate, then leader, in that term.
    nl = int(new_leader[1:])
    evs = c.coord_events(nl, "role", t_kill)
    cand = [e for e in evs if e.get("new") == "candidate"
            and e["term"] == new_term]
    lead = [e for e in evs if e.get("new") == "leader"
            and e.get("old") == "candidate" and e["term"] == new_term]
    assert cand and lead and cand[0]["at_ns"] <= lead[0]["at_ns"], \
        trail(c, [nl], t_kill)
    # Gossip convicts the killed voter everywhere.
    def all_dead():
        return all(c.members(i).get(leader) == "dead" for i in rest)
    c.wait_until(all_dead, FAILOVER_S, f"{leader} dead at every survivor",
                 interval=0.5)

    # The killed node comes back (its durable term) and follows.
    saved = c.read_state(k)
    assert saved is not None and saved[0] >= term, saved
    t_back = time.monotonic_ns()
    c.start(k, timeout=30.0)
    new_leader, new_term = c.wait_leader(timeout=SETTLE_S,
                                         min_term=new_term)
    back = c.coord_events(k, "role", t_back)
    assert not [e for e in back if e.get("new") == "leader"
                and e["term"] <= saved[0]], trail(c, [k], t_back)
    everyone = list(c.nodes)

    # SIGSTOP a minority, 2 of 5: the leader (as all agree now) and a
    # follower.
    nl = int(new_leader[1:])
    other = next(i for i in everyone if i != nl)
    majority = [i for i in everyone if i not in (nl, other)]
    t_stop = c.pause(nl)
    c.pause(other)
    third, third_term = c.wait_leader(nodes=majority, timeout=FAILOVER_S,
                                      min_term=new_term + 1,
                                      exclude=(new_leader,))
    t_third = time.monotonic_ns()
    print(f"while {new_leader} and n{other} are stopped: {third} term "
          f"{third_term}, {(t_third - t_stop) / 1e9:.1f} s")
    t_cont = c.resume(nl)
    c.resume(other)
    # Everyone agrees on one leader again, in no earlier term.
    final, final_term = c.wait_leader(timeout=SETTLE_S, min_term=third_term)
    print(f"after SIGCONT: {final} term {final_term}")
    # The stopped leader's first role change after resuming: stepping
    # down, before anything else.
    after = c.coord_events(nl, "role", t_cont)
    assert after, trail(c, [nl], t_stop)
    assert after[0].get("old") == "leader" and \
        after[0].get("new") != "leader", trail(c, [nl], t_stop)
    # Nobody became leader in the stopped leader's term meanwhile, and
    # the majority's leader was elected while the stopped one was stopped.
    won = [e for e in c.coord_events(int(third[1:]), "role", t_stop)
           if e.get("new") == "leader" and e.get("old") != "leader"
           and e["term"] == third_term]
    assert won and t_stop <= won[0]["at_ns"] <= t_cont, \
        trail(c, everyone, t_stop)

    # From the event logs: one leader per term, never two at once.
    time.sleep(2.0)
    end = time.monotonic_ns()
    evs = {i: [e for e in c.coord_events(i, "role")] for i in everyone}
    spans = leaderships(evs, end)
    assert spans[int(third[1:])], trail(c, everyone)
    # The killed node's first run: its leaderships until the kill.
    spans[-k] = leaderships({k: before_kill}, t_kill)[k]

    def why():
        return trail(c, everyone)
    check_one_leader_per_term(spans, why)
    check_no_overlap(spans, {nl: (t_stop, t_cont), other: (t_stop, t_cont)},
                     why)
    roles = [c.coord(i)["role"] for i in everyone]
    assert roles.count("leader") == 1, roles
