# SPDX-License-Identifier: MIT
"""SIGSTOP a node: the others declare it dead; SIGCONT: it comes back
through probation (same incarnation: it never restarted)."""

from hbcluster import fmt_event

OBSERVERS = (1, 3)


def test_pause_resume(make_cluster):
    c = make_cluster(3)
    inc = {m["name"]: m["incarnation"] for m in c.members_full(1)}["n2"]

    t_stop = c.pause(2)
    for obs in OBSERVERS:
        dead = c.wait_event(obs, peer="n2", new="dead", since_ns=t_stop)
        print(f"n{obs}: SIGSTOP->dead {(dead['at_ns'] - t_stop) / 1e6:.0f} ms")
    assert not c.events_into(1, ["n3"], since_ns=t_stop)
    assert not c.events_into(3, ["n1"], since_ns=t_stop)

    t_cont = c.resume(2)
    for obs in OBSERVERS:
        evs = c.wait_transitions(obs, "n2", ["probation", "alive"],
                                 since_ns=t_cont)
        trail = "\n  ".join(fmt_event(e, t_cont) for e in evs)
        assert [(e["old"], e["new"]) for e in evs] == \
            [("dead", "probation"), ("probation", "alive")], trail
    c.wait_all_alive(timeout=c.recover_timeout())
    after = {m["name"]: m["incarnation"] for m in c.members_full(1)}["n2"]
    assert after == inc, "n2's incarnation changed over a pause"
