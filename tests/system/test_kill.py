# SPDX-License-Identifier: MIT
"""SIGKILL a node: with exit detection off, the others' detector convicts
it (suspect, then dead) within 1 s; with it on (the default), its host's
port unreachable makes it dead within a couple of intervals. Restarted, it
comes back through probation."""

import time

import pytest

from hbcluster import fmt_event

OBSERVERS = (1, 2)


NO_EXIT_DETECTION = {"membership": {"port_unreachable": False}}


@pytest.mark.parametrize("detector", ["phi", "fixed"])
def test_kill_then_restart(make_cluster, detector):
    c = make_cluster(3, detector=detector, extra_config=NO_EXIT_DETECTION)
    t_kill = c.kill(3)

    for obs in OBSERVERS:
        dead = c.wait_event(obs, peer="n3", new="dead", since_ns=t_kill,
                            timeout=c.detect_timeout())
        evs = c.events(obs, peer="n3", since_ns=t_kill)
        trail = "\n  ".join(fmt_event(e, t_kill) for e in evs)
        kill_to_dead_ms = (dead["at_ns"] - t_kill) / 1e6
        # suspect came first, and dead came from suspect
        suspects = [e for e in evs[:evs.index(dead)] if e["new"] == "suspect"]
        assert suspects, f"n{obs}: n3 went dead without suspect:\n  {trail}"
        assert dead["old"] == "suspect", f"n{obs}: {trail}"
        assert suspects[0]["at_ns"] <= dead["at_ns"], trail
        kill_to_suspect_ms = (suspects[0]["at_ns"] - t_kill) / 1e6
        print(f"{detector}: n{obs}: kill->suspect {kill_to_suspect_ms:.0f} "
              f"ms, kill->dead {kill_to_dead_ms:.0f} ms")
        assert 0 <= kill_to_dead_ms < 1000, \
            f"n{obs}: n3 dead {kill_to_dead_ms:.0f} ms after the kill:\n  " \
            + trail
        # The survivors never doubted each other.
        other = "n2" if obs == 1 else "n1"
        assert not c.events_into(obs, [other], since_ns=t_kill), \
            f"n{obs}: false alarm about {other}"

    t_restart = time.monotonic_ns()
    c.start(3)
    for obs in OBSERVERS:
        evs = c.wait_transitions(obs, "n3", ["probation", "alive"],
                                 since_ns=t_restart)
        trail = "\n  ".join(fmt_event(e, t_restart) for e in evs)
        assert [(e["old"], e["new"]) for e in evs] == \
            [("dead", "probation"), ("probation", "alive")], trail
        served_ms = (evs[1]["at_ns"] - evs[0]["at_ns"]) / 1e6
        print(f"{detector}: n{obs}: restart->probation "
              f"{(evs[0]['at_ns'] - t_restart) / 1e6:.0f} ms, probation "
              f"served {served_ms:.0f} ms")
        assert served_ms >= c.probation_ms - c.interval_ms, \
            f"n{obs}: probation of {served_ms:.0f} ms is shorter than " \
            f"{c.probation_ms} ms"
    c.wait_all_alive(timeout=c.recover_timeout())


def test_kill_seen_as_exit(make_cluster):
    """Default settings: the killed node's host answers the next heartbeat
    with port unreachable: dead at once, no suspect, no false alarm; a
    pause (port still open) never takes that path."""
    c = make_cluster(3)
    t_stop = c.pause(3)
    for obs in OBSERVERS:
        dead = c.wait_event(obs, peer="n3", new="dead", since_ns=t_stop,
                            timeout=c.detect_timeout())
        assert dead["reason"] in ("dead_threshold", "dead_after"), dead
    c.resume(3)
    c.wait_all_alive(timeout=c.recover_timeout())

    t_kill = c.kill(3)
    for obs in OBSERVERS:
        dead = c.wait_event(obs, peer="n3", new="dead", since_ns=t_kill,
                            timeout=2.0)
        evs = c.events(obs, peer="n3", since_ns=t_kill)
        trail = "\n  ".join(fmt_event(e, t_kill) for e in evs)
        assert dead["reason"] == "port_unreachable", trail
        assert dead["old"] == "alive", trail
        kill_to_dead_ms = (dead["at_ns"] - t_kill) / 1e6
        print(f"n{obs}: kill->dead {kill_to_dead_ms:.0f} ms (exit)")
        # One interval until the next heartbeat bounces, plus slack for a
        # loaded machine.
        assert kill_to_dead_ms < 2.5 * c.interval_ms, trail
        other = "n2" if obs == 1 else "n1"
        assert not c.events_into(obs, [other], since_ns=t_kill), \
            f"n{obs}: false alarm about {other}"
    assert c.status(1)["counters"]["port_unreachable"] >= 1


def test_fast_restart_goes_through_probation(make_cluster):
    """Killed and back before anyone noticed: the new incarnation alone
    sends it to probation (alive -> probation, reason restart), never
    dead. Exit detection off: a heartbeat that reaches the closed port
    during the restart would rightly convict it (on a loaded machine the
    restart takes most of an interval); this is about the detector and
    the incarnation."""
    c = make_cluster(3, extra_config=NO_EXIT_DETECTION)
    t = c.kill(3)
    c.start(3)
    for obs in OBSERVERS:
        evs = c.wait_transitions(obs, "n3", ["probation", "alive"],
                                 since_ns=t)
        trail = "\n  ".join(fmt_event(e, t) for e in evs)
        assert evs[0]["old"] in ("alive", "suspect"), trail
        assert evs[0]["reason"] == "restart", trail
        assert not [e for e in evs if e["new"] == "dead"], trail
    c.wait_all_alive(timeout=c.recover_timeout())


def test_never_started_peer_goes_dead(make_cluster):
    c = make_cluster(3, start=False)
    t = time.monotonic_ns()
    c.start(1)
    c.start(2)
    c.wait_all_alive(timeout=c.recover_timeout(), nodes=(1, 2))
    for obs in OBSERVERS:
        ev = c.wait_event(obs, peer="n3", new="dead", since_ns=t)
        assert (ev["old"], ev["reason"]) == ("unknown", "never_heard"), ev
    assert c.members(1) == {"n2": "alive", "n3": "dead"}
