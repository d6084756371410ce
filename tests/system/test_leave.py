# SPDX-License-Identifier: MIT
"""SIGTERM: the node says goodbye; the others mark it left, never dead."""

import time

import pytest

from hbcluster import WaitTimeout


def test_sigterm_leaves(make_cluster):
    c = make_cluster(3)
    t = time.monotonic_ns()
    rc = c.stop(3)
    assert rc == 0, f"hbeatd exited with status {rc} on SIGTERM"
    for obs in (1, 2):
        ev = c.wait_event(obs, peer="n3", new="left", since_ns=t,
                          timeout=c.detect_timeout())
        assert ev["reason"] == "leave", ev
        print(f"n{obs}: SIGTERM->left {(ev['at_ns'] - t) / 1e6:.0f} ms")

    # Watch for longer than the detector needs to declare a silent peer
    # dead: a left peer must stay left.
    end = time.monotonic() + 15 * c.interval_s
    for obs in (1, 2):
        with pytest.raises(WaitTimeout):
            bad = c.wait_event(obs, peer="n3", since_ns=t + 1,
                               timeout=max(0.0, end - time.monotonic()),
                               new=None, old="left")
            pytest.fail(f"n{obs}: n3 left, then went {bad['new']}")
    for obs in (1, 2):
        assert c.members(obs)["n3"] == "left"
    assert not c.events_into(1, ["n2"], since_ns=t)
    assert not c.events_into(2, ["n1"], since_ns=t)
