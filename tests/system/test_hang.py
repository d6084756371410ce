# SPDX-License-Identifier: MIT
"""A hung leader (SIGSTOP: the honest stand-in for a hung host, a kernel
panic or a cut cable, where no ICMP tells anyone anything), issue 9:

* the cluster fails over in the followers' dead time plus at most two
  intervals (the lease is derived from their detectors, not a fixed
  count of intervals that has to run out after the detector);
* the old leader, resumed after the new one took over, never acts again:
  its first role change is its step-down (the lease ran out while it was
  stopped), the VIP stays with the new leader, and nobody answers on it
  but the new leader.

Times come from the daemons' own event stamps (CLOCK_MONOTONIC, shared
by every namespace on this host); the bounds leave room for a loaded
2-core machine."""

import time

from hbcluster import fmt_event
from test_vip import _ask, _holders, _setup, _wait_answer, _wait_holder

IV_MS = 100
SLACK_MS = 60       # scheduling on a loaded machine, on top of the bound


def _trail(c, nodes, since_ns):
    return "\n  ".join(fmt_event(e, since_ns) for i in nodes
                       for e in c.coord_events(i, "role", since_ns))


def _elected(c, nodes, since_ns):
    return [e for i in nodes for e in c.coord_events(i, "role", since_ns)
            if e.get("new") == "leader" and e.get("old") != "leader"]


def test_hang_fails_over_in_dead_time_plus_two_intervals(make_cluster):
    c = make_cluster(3, election=True)
    leader, term = c.wait_leader(timeout=3.0)
    k = int(leader[1:])
    rest = [i for i in c.nodes if i != k]
    t_stop = c.pause(k)
    new, new_term = c.wait_leader(nodes=rest, timeout=c.detect_timeout() + 2,
                                  min_term=term + 1, exclude=(leader,))
    won = _elected(c, rest, t_stop)
    assert won, _trail(c, rest, t_stop)
    t_won = won[0]["at_ns"]
    deads = [c.wait_event(i, peer=leader, new="dead", since_ns=t_stop)
             for i in rest]
    t_dead = min(e["at_ns"] for e in deads)
    dead_ms = (t_dead - t_stop) / 1e6
    over_ms = (t_won - t_dead) / 1e6
    print(f"hang: {leader} stopped; dead at its followers after "
          f"{dead_ms:.0f} ms ({', '.join(e['reason'] for e in deads)}); "
          f"{new} elected {over_ms:.0f} ms later (term {new_term})")
    # No leader before the dead verdict (the detector decides, not a
    # shorter lease), and one within two intervals of it.
    assert over_ms > 0, _trail(c, rest, t_stop)
    assert over_ms <= 2 * IV_MS + SLACK_MS, _trail(c, rest, t_stop)
    c.resume(k)
    c.wait_leader(timeout=c.recover_timeout(), min_term=new_term)


def test_stopped_leader_never_acts_after_the_new_one(make_cluster):
    c, addr, cns, client = _setup(make_cluster)
    leader, term = c.wait_leader(timeout=3.0)
    _wait_holder(c, addr, leader, 3.0)
    k = int(leader[1:])
    rest = [i for i in c.nodes if i != k]

    t_stop = c.pause(k)
    new, new_term = c.wait_leader(nodes=rest, timeout=c.detect_timeout() + 2,
                                  min_term=term + 1, exclude=(leader,))
    _wait_answer(c, cns, client, addr, new, 3.0)
    est = [e for e in c.coord_events(int(new[1:]), "role", t_stop)
           if e.get("reason") == "established"]
    assert est, _trail(c, rest, t_stop)

    t_cont = c.resume(k)
    # Its first role event after the resume is the step-down, and it
    # never claims leadership again.
    down = c.watcher(k).wait_for(
        lambda e: (e.get("event") == "role" and e.get("at_ns", 0) >= t_cont),
        5.0, "a role event of the resumed leader")
    print(f"resumed {leader}: {down.get('old')} -> {down.get('new')} "
          f"({down.get('reason')}) {(down['at_ns'] - t_cont) / 1e6:.1f} ms "
          f"after SIGCONT; {new} established "
          f"{(t_cont - est[0]['at_ns']) / 1e6:.0f} ms before it")
    assert down["old"] == "leader" and down["new"] != "leader", down
    assert down["at_ns"] > est[0]["at_ns"]
    # The VIP goes, and stays, with the new leader; only it answers.
    _wait_holder(c, addr, new, 2.0)
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        assert _holders(c, addr) == [new]
        assert _ask(c, cns, client, addr) == new
        time.sleep(0.1)
    again = [e for e in c.coord_events(k, "role", t_cont)
             if e.get("new") == "leader"]
    assert not again, _trail(c, [k], t_cont)
