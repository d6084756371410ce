# SPDX-License-Identifier: MIT
"""Partition n1 from n2 and n3: both sides declare the other dead, n2 and
n3 keep each other alive; heal: everyone recovers through probation."""

import time

from hbcluster import fmt_event

CUT = [(1, "n2"), (1, "n3"), (2, "n1"), (3, "n1")]


def test_partition_and_heal(make_cluster):
    c = make_cluster(3)
    t_cut = time.monotonic_ns()
    c.partition(1, 2)
    c.partition(1, 3)

    for obs, peer in CUT:
        c.wait_event(obs, peer=peer, new="dead", since_ns=t_cut)
    assert c.members(2)["n3"] == "alive"
    assert c.members(3)["n2"] == "alive"
    assert not c.events_into(2, ["n3"], ("suspect", "dead"), t_cut), \
        "n2 doubted n3 although they were on the same side"
    assert not c.events_into(3, ["n2"], ("suspect", "dead"), t_cut), \
        "n3 doubted n2 although they were on the same side"

    t_heal = time.monotonic_ns()
    c.heal()
    for obs, peer in CUT:
        evs = c.wait_transitions(obs, peer, ["probation", "alive"],
                                 since_ns=t_heal)
        trail = "\n  ".join(fmt_event(e, t_heal) for e in evs)
        assert [(e["old"], e["new"]) for e in evs] == \
            [("dead", "probation"), ("probation", "alive")], \
            f"n{obs} about {peer}:\n  {trail}"
    c.wait_all_alive(timeout=c.recover_timeout())
