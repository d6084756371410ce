# SPDX-License-Identifier: MIT
"""30 s of 10% random loss on every node's input: the phi detector may
suspect, but must never declare anyone dead. The one long test."""

import time

SOAK_S = 30
LOSS_PERCENT = 10


def test_random_loss_no_false_dead(make_cluster):
    c = make_cluster(3, detector="phi")
    names = [f"n{i}" for i in c.nodes]
    t0 = time.monotonic_ns()
    for i in c.nodes:
        c.loss(i, LOSS_PERCENT)
    time.sleep(SOAK_S)  # the soak itself: nothing to wait for
    dropped = {i: c.loss_drops(i) for i in c.nodes}
    c.heal()

    suspects = {}
    for i in c.nodes:
        evs = c.events(i, since_ns=t0)
        dead = [e for e in evs if e["new"] == "dead"]
        assert not dead, (f"n{i} declared {dead[0]['peer']} dead under "
                          f"{LOSS_PERCENT}% loss: {dead}")
        suspects[f"n{i}"] = sum(1 for e in evs if e["new"] == "suspect")
    gaps = {f"n{i}": {m["name"]: m.get("seq_gaps") for m in c.members_full(i)}
            for i in c.nodes}
    print(f"loss {LOSS_PERCENT}% for {SOAK_S}s: nft dropped {dropped}; "
          f"suspect events per observer {suspects}; seq_gaps {gaps}")
    # The impairment really bit: each node receives ~2 x 10 heartbeats/s.
    expect = 2 * SOAK_S / c.interval_s * LOSS_PERCENT / 100
    for i, n in dropped.items():
        assert n >= expect / 3, f"n{i}: loss rule dropped only {n} packets"
    c.wait_all_alive(timeout=c.recover_timeout())
    assert all(set(c.members(i)) == set(names) - {f"n{i}"} for i in c.nodes)
