# SPDX-License-Identifier: MIT
"""Peer classes (docs/classes.md) with real daemons: n1 and n2 share a
site (the class 'default', 100 ms, fixed detector); n3 is in the class
'remote' (1 s, fixed) for both, and puts both of them there too. Each
daemon sends each class's peers its heartbeats at that class's rate, and
a killed node is declared dead by each observer after its class's dead
time: about 0.5 s at its site-mate, about 5 s at the remote node."""

import time

REMOTE = {"name": "remote", "interval_ms": 1000, "detector": "fixed"}


def site(i):
    return "a" if i in (1, 2) else "b"


def make(make_cluster):
    c = make_cluster(3, start=False, detector="fixed",
                     extra_config={"membership": {"port_unreachable":
                                                  False}})
    for i in (1, 2, 3):
        cfg = c.config_dict(i)
        cfg["classes"] = [dict(REMOTE)]
        for p in cfg["peers"]:
            if site(p["id"]) != site(i):
                p["class"] = "remote"
        c.write_config(i, cfg)
    c.start_all()
    c.wait_all_alive(timeout=c.recover_timeout() + 3.0)
    return c


def sent(c, i):
    return c.status(i)["counters"]["heartbeats_sent"]


def test_rates_and_detection_per_class(make_cluster):
    c = make(make_cluster)

    # Heartbeat datagrams per second: n1 sends 10 to n2 and 1 to n3; n3,
    # whose peers are all remote, 1 to each (without classes: 20 each).
    s1, s3, t0 = sent(c, 1), sent(c, 3), time.monotonic()
    time.sleep(4.0)
    dt = time.monotonic() - t0
    r1, r3 = (sent(c, 1) - s1) / dt, (sent(c, 3) - s3) / dt
    print(f"heartbeats/s: n1 {r1:.1f}, n3 {r3:.1f}")
    assert 7 <= r1 <= 14, f"n1 sends {r1:.1f} heartbeats/s (want ~11)"
    assert 1 <= r3 <= 4, f"n3 sends {r3:.1f} heartbeats/s (want ~2)"
    assert not c.events_into(1, ["n2", "n3"], since_ns=0)
    assert not c.events_into(3, ["n1", "n2"], since_ns=0)

    t_kill = c.kill(1)
    local = c.wait_event(2, peer="n1", new="dead", since_ns=t_kill,
                         timeout=c.detect_timeout())
    remote = c.wait_event(3, peer="n1", new="dead", since_ns=t_kill,
                          timeout=15.0)
    local_ms = (local["at_ns"] - t_kill) / 1e6
    remote_ms = (remote["at_ns"] - t_kill) / 1e6
    print(f"kill->dead: at the site-mate {local_ms:.0f} ms, at the "
          f"remote node {remote_ms:.0f} ms")
    # Fixed detector, dead after 5 intervals of silence: the last
    # heartbeat came at most one interval before the kill.
    assert local_ms < 2000, local_ms
    assert 3500 <= remote_ms <= 12000, remote_ms
    assert local["at_ns"] < remote["at_ns"]
    assert not c.events_into(2, ["n3"], since_ns=t_kill)
    assert not c.events_into(3, ["n2"], since_ns=t_kill)


def rate(c, i, secs=3.0):
    s0, t0 = sent(c, i), time.monotonic()
    time.sleep(secs)
    return (sent(c, i) - s0) / (time.monotonic() - t0)


def test_reload_moves_peers_between_classes(make_cluster):
    """A reload that drops the class at n3 (n1 and n2 back in 'default',
    100 ms) makes n3 send 10 heartbeats/s to each; one that puts them
    back brings it to 1/s each. n1 and n2, which keep n3 in 'remote',
    are not disturbed (n3's beats come faster, then back at 1 s). In
    between the two ends disagree: n3 judges n1 and n2 at 100 ms while
    they send it one heartbeat a second, and declares them dead
    (docs/operations.md: both ends must agree); they are alive again at
    n3 once its classes are back."""
    c = make(make_cluster)
    r3 = rate(c, 3)
    assert 1 <= r3 <= 4, r3
    orig = c.config_dict(3)

    cfg = c.config_dict(3)
    del cfg["classes"]
    for p in cfg["peers"]:
        p.pop("class", None)
    c.write_config(3, cfg)
    ans = c.ctl(3, {"cmd": "reload"}, timeout=5.0)
    assert ans.get("ok"), ans
    r3 = rate(c, 3)
    print(f"n3 without classes: {r3:.1f} heartbeats/s")
    assert 15 <= r3 <= 25, r3
    assert c.events_into(3, ["n1", "n2"], states=("dead",), since_ns=0), \
        "n3 judged n1, n2 at 100 ms while they sent at 1 s, yet no dead"

    c.write_config(3, orig)
    ans = c.ctl(3, {"cmd": "reload"}, timeout=5.0)
    assert ans.get("ok"), ans
    time.sleep(1.5)
    r3 = rate(c, 3)
    print(f"n3 with classes again: {r3:.1f} heartbeats/s")
    assert 1 <= r3 <= 4, r3
    for obs in (1, 2):
        assert not c.events_into(obs, ["n3"], since_ns=0), \
            f"n{obs} doubted n3 across the reloads"
    c.wait_all_alive(timeout=c.recover_timeout() + 5.0)
