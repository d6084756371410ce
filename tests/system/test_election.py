# SPDX-License-Identifier: MIT
"""Quorum and leader election with real daemons (issue 4): one leader
elected at start, failover after SIGKILL, the term kept across restarts in
the state file, an isolated leader stepping down before the majority
elects another, a witness never leading. Interval 100 ms throughout."""

import time

import pytest

from hbcluster import fmt_event

ELECT_S = 3.0       # start -> one leader everyone agrees on
FAILOVER_S = 2.0    # SIGKILL of the leader -> a new agreed leader


def _trail(c, nodes, since_ns=None):
    return "\n  ".join(fmt_event(e, since_ns)
                       for i in nodes
                       for e in (c.coord_events(i, "role", since_ns)
                                 + c.coord_events(i, "quorum", since_ns)))


def _leaders(c, nodes, since_ns=None):
    """Role events into leader (elected; not "established", which is
    leader -> leader), at any of `nodes`, since since_ns."""
    return [e for i in nodes for e in c.coord_events(i, "role", since_ns)
            if e.get("new") == "leader" and e.get("old") != "leader"]


def test_elect_failover_restart(make_cluster):
    c = make_cluster(3, start=False, election=True)
    t0 = time.monotonic_ns()
    c.start_all()
    leader, term = c.wait_leader(timeout=ELECT_S)
    elect_ms = (time.monotonic_ns() - t0) / 1e6
    print(f"election: {leader} leads term {term}, agreed {elect_ms:.0f} ms "
          "after start")
    assert term >= 1
    # Exactly one node ever became leader in that term.
    won = [e for e in _leaders(c, c.nodes) if e["term"] == term]
    assert len(won) == 1, _trail(c, c.nodes)

    # SIGKILL the leader: a new one, in a higher term, within 2 s.
    k = int(leader[1:])
    t_kill = c.kill(k)
    rest = [i for i in c.nodes if i != k]
    new_leader, new_term = c.wait_leader(nodes=rest, timeout=FAILOVER_S,
                                         min_term=term + 1,
                                         exclude=(leader,))
    fail_ms = (time.monotonic_ns() - t_kill) / 1e6
    won = [e for e in _leaders(c, rest, t_kill)]
    assert won and won[-1]["term"] == new_term, _trail(c, rest, t_kill)
    print(f"failover: {new_leader} leads term {new_term}, agreed "
          f"{fail_ms:.0f} ms after the kill (elected "
          f"{(won[-1]['at_ns'] - t_kill) / 1e6:.0f} ms)")
    assert fail_ms < FAILOVER_S * 1000

    # The killed node's state file holds its old term; restarted, it
    # restores it, never goes back, and follows the new leader.
    saved = c.read_state(k)
    assert saved is not None and saved[0] >= term, saved
    t_back = time.monotonic_ns()
    c.start(k)
    assert c.coord(k)["term"] >= saved[0]
    again, again_term = c.wait_leader(timeout=c.recover_timeout(),
                                      min_term=new_term)
    assert again != leader or again_term > new_term
    assert c.coord(k)["role"] in ("follower", "leader")
    evs = c.coord_events(k, "role", t_back)
    assert all(e["term"] >= saved[0] for e in evs), _trail(c, [k], t_back)
    # The restarted node was not leader in a term it had seen before.
    assert not [e for e in evs if e["new"] == "leader"
                and e["term"] <= saved[0]], _trail(c, [k], t_back)


def test_isolated_leader_steps_down_first(make_cluster):
    c = make_cluster(3, start=False, election=True)
    c.start_all()
    leader, term = c.wait_leader(timeout=ELECT_S)
    k = int(leader[1:])
    rest = [i for i in c.nodes if i != k]
    t_cut = time.monotonic_ns()
    c.isolate(k)

    down = c.watcher(k).wait_for(
        lambda e: (e.get("event") == "role" and e.get("new") == "no-quorum"
                   and e.get("at_ns", 0) >= t_cut),
        c.detect_timeout(), "role -> no-quorum")
    new_leader, new_term = c.wait_leader(nodes=rest, timeout=FAILOVER_S + 1,
                                         min_term=term + 1,
                                         exclude=(leader,))
    won = [e for e in _leaders(c, rest, t_cut) if e["term"] == new_term]
    assert len(won) == 1, _trail(c, c.nodes, t_cut)
    # Same host, same CLOCK_MONOTONIC: the old leader stopped acting
    # before the new one started.
    gap_ms = (won[0]["at_ns"] - down["at_ns"]) / 1e6
    print(f"isolation: {leader} stepped down "
          f"{(down['at_ns'] - t_cut) / 1e6:.0f} ms after the cut, "
          f"{new_leader} elected {(won[0]['at_ns'] - t_cut) / 1e6:.0f} ms "
          f"after it (lease margin {gap_ms:.0f} ms)")
    assert gap_ms > 0, _trail(c, c.nodes, t_cut)
    assert c.coord(k)["role"] != "leader"

    # Healed: one leader again, everyone agrees; the isolated node never
    # led again in the new term.
    c.heal()
    final, final_term = c.wait_leader(timeout=c.recover_timeout() + 2,
                                      min_term=new_term)
    roles = [c.coord(i)["role"] for i in c.nodes]
    assert roles.count("leader") == 1, roles
    print(f"healed: {final} leads term {final_term}")


def test_witness_never_leads(make_cluster):
    # n1 is a witness with the highest priority: it would stand first.
    def election(i):
        return {"priority": 255} if i == 1 else {"priority": 10}
    c = make_cluster(3, start=False, election=election,
                     extra_config=lambda i: ({"quorum": {"witness": True}}
                                             if i == 1 else {}))
    c.start_all()
    leader, term = c.wait_leader(timeout=ELECT_S)
    assert leader != "n1"
    # Kill the leader: the witness and the other node are a quorum, and
    # the other one leads.
    k = int(leader[1:])
    t_kill = c.kill(k)
    other = 2 if k == 3 else 3
    new_leader, _ = c.wait_leader(nodes=[1, other], timeout=FAILOVER_S,
                                  min_term=term + 1, exclude=(leader,))
    assert new_leader == f"n{other}"
    assert not [e for e in c.coord_events(1, "role")
                if e.get("new") in ("candidate", "leader")], \
        _trail(c, [1], None)
    q = c.ctl(1, {"cmd": "quorum"})
    me = [m for m in q["members"] if m["self"]][0]
    assert me["witness"] and me["votes"] == 1, q
    assert q["quorate"], q
    del t_kill


def test_state_file_malformed_refuses_start(make_cluster):
    c = make_cluster(1, start=False, election=True)
    with open(c.state_file(1), "w") as f:
        f.write("hbeat-state 1\nterm 12x\nvoted_for 0\n")
    c.start(1, wait=False)
    rc = c.nodes[1].proc.wait(5)
    log = c.log_tail(1)
    assert rc == 1, log
    assert c.state_file(1) in log and "malformed" in log, log
    # A good file is restored as is.
    with open(c.state_file(1), "w") as f:
        f.write("hbeat-state 1\nterm 41\nvoted_for 0\n")
    c.start(1)
    assert c.coord(1)["term"] >= 41
    assert c.read_state(1)[0] >= 41


@pytest.mark.parametrize("preempt", [True, False])
def test_preempt_on_off(make_cluster, preempt):
    """n1 has the highest priority and starts last. With preempt it takes
    over once it has been alive for probation; without, the sitting leader
    keeps leading (priority orders candidates, it does not depose)."""
    def election(i):
        return ({"priority": 200, "preempt": preempt} if i == 1
                else {"priority": 100})
    c = make_cluster(3, start=False, election=election)
    c.start(2)
    c.start(3)
    leader, term = c.wait_leader(nodes=[2, 3], timeout=ELECT_S)
    c.start(1)
    if preempt:
        new, new_term = c.wait_leader(timeout=FAILOVER_S + 2,
                                      min_term=term + 1)
        assert new == "n1", _trail(c, c.nodes)
        return
    # Probation (500 ms) and then some: nothing moves.
    time.sleep(2.0)
    now, now_term = c.wait_leader(timeout=2.0)
    assert (now, now_term) == (leader, term), _trail(c, c.nodes)
    assert not _leaders(c, [1]), _trail(c, [1])


def test_restart_keeps_its_lease_promise(make_cluster):
    """A follower's promises to its leader outlive its process: the
    promise file records them (without fsync), a restart holds exactly
    until they end, and a damaged record makes it hold a whole
    promise_max instead (docs/election.md, "The lease")."""
    import re
    c = make_cluster(3, election=True)
    leader, term = c.wait_leader(timeout=ELECT_S)
    f = next(i for i in c.nodes if f"n{i}" != leader)
    promise = c.state_file(f) + ".promise"
    with open(promise) as fh:
        lines = fh.read().splitlines()
    assert lines[0] == "hbeat-promise 1" and lines[2].startswith("boot_id ")
    with open("/proc/sys/kernel/random/boot_id") as fh:
        assert lines[2].split()[1] == fh.read().strip().replace("-", "")
    until = int(lines[1].split()[1])
    assert until > time.monotonic_ns()
    c.kill(f)
    c.start(f)
    held = re.findall(r"votes for no other candidate for (\d+) ms: lease "
                      r"promises of the previous run", c.log_tail(f, 80))
    assert held, c.log_tail(f)
    # It promised one dead time + an interval at a time, written at most
    # one promise_max (3 s at 100 ms) ahead.
    assert 0 < int(held[-1]) <= 6000, held
    c.wait_leader(timeout=c.recover_timeout(), min_term=term)
    c.kill(f)
    with open(promise, "w") as fh:
        fh.write("hbeat-promise 1\npromise_until 12x\n")
    c.start(f)
    assert re.search(r"for 3000 ms: the promises of the previous run are "
                     r"not known", c.log_tail(f, 80)), c.log_tail(f)
