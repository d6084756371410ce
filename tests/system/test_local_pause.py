# SPDX-License-Identifier: MIT
"""The local-pause guard: a node that was itself stopped (SIGSTOP for 2 s)
must not blame its peers for the silence it caused. After SIGCONT it
raises no suspect/dead event about them and counts the pause; the others
see it dead, then probation, then alive, as for any pause; and the ACKs
it owed for echo requests that waited in its socket buffer are withheld,
so its peers' RTT figures do not absorb its pause."""

import time

from hbcluster import fmt_event

PAUSE_S = 2.0


def test_paused_node_convicts_nobody(make_cluster):
    c = make_cluster(3)
    # RTT samples on both sides first, so pollution would show.
    c.wait_until(lambda: all(m["rtt_samples"] > 0 for i in (1, 2, 3)
                             for m in c.members_full(i)),
                 timeout=20 * c.interval_s + 2, what="RTT samples")

    t_stop = c.pause(1)
    for obs in (2, 3):
        c.wait_event(obs, peer="n1", new="dead", since_ns=t_stop)
    # The scenario: n1 stays stopped PAUSE_S in all.
    time.sleep(max(0.0, PAUSE_S - (time.monotonic_ns() - t_stop) / 1e9))
    t_cont = c.resume(1)

    for obs in (2, 3):
        evs = c.wait_transitions(obs, "n1", ["probation", "alive"],
                                 since_ns=t_cont)
        trail = "\n  ".join(fmt_event(e, t_cont) for e in evs)
        assert [(e["old"], e["new"]) for e in evs] == \
            [("dead", "probation"), ("probation", "alive")], trail

    # Watch n1 for a whole detection time past its resume (n2's probation
    # above already took 500 ms of it): it must stay silent about n2/n3.
    def quiet_long_enough():
        bad = c.events_into(1, ["n2", "n3"], since_ns=t_stop)
        assert not bad, "n1 blamed its peers for its own pause:\n  " + \
            "\n  ".join(fmt_event(e, t_cont) for e in bad)
        return time.monotonic_ns() - t_cont > c.detect_timeout() * 1e9 / 2
    c.wait_until(quiet_long_enough, timeout=c.detect_timeout() + 1,
                 what="a quiet detection time at n1", interval=0.1)
    assert c.members(1) == {"n2": "alive", "n3": "alive"}

    ctr = c.status(1)["counters"]
    print(f"n1 counters: local_pauses {ctr['local_pauses']}, acks_withheld "
          f"{ctr['acks_withheld']}")
    assert ctr["local_pauses"] >= 1, ctr
    with open(c.nodes[1].log_path) as f:
        log = f.read()
    assert "this process was paused for" in log, c.log_tail(1)
    for i in (2, 3):
        assert c.status(i)["counters"]["local_pauses"] == 0

    # Stale echo requests got no answer: the peers' RTT of n1 is still
    # the network's (sub-millisecond on veths), not ~2 s.
    for i in (2, 3):
        m = {x["name"]: x for x in c.members_full(i)}["n1"]
        print(f"n{i} -> n1 after the pause: RTT p99 {m['rtt_p99_ms']} ms")
        assert m["rtt_p99_ms"] is not None and m["rtt_p99_ms"] < 50, m
