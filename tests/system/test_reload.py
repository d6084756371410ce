# SPDX-License-Identifier: MIT
"""SIGHUP reloads the config: a broken file changes nothing (the daemon
keeps running on its old settings); a good one adds a peer."""

import re
import signal
import time

import hbcluster


def counters(c, i):
    return c.status(i)["counters"]


def test_broken_reload_keeps_old_settings(make_cluster):
    c = make_cluster(2)
    st = c.status(1)
    assert st["node"]["interval_ms"] == 100
    fails0 = st["counters"]["reload_failures"]

    cfg = c.config_dict(1)
    cfg["heartbeat"]["interval_ms"] = 250         # valid change...
    text = hbcluster.to_yaml(cfg).splitlines()
    line = text.index("heartbeat:") + 2
    text.insert(line - 1, "  no_such_knob: 1")    # ...and an unknown key
    c.write_config_text(1, "\n".join(text) + "\n")

    t = c.send_signal(1, signal.SIGHUP)
    c.wait_until(lambda: counters(c, 1)["reload_failures"] > fails0, 3.0,
                 "reload_failures to grow after SIGHUP with a broken config")
    # The same through the control socket: the error names the line.
    ans = c.ctl(1, {"cmd": "reload"}, timeout=5.0)
    assert ans["ok"] is False, ans
    assert re.search(rf"n1\.yaml:{line}:\d+: ", ans.get("error", "")), ans

    assert c.running(1), "hbeatd died on a broken reload"
    st = c.status(1)
    assert st["node"]["interval_ms"] == 100, "broken reload applied anyway"
    assert c.members(1) == {"n2": "alive"}
    assert not c.events_into(1, ["n2"], ("suspect", "dead", "left"), t)
    c.wait_all_alive(timeout=1.0)


def test_reload_adds_peer(make_cluster):
    c = make_cluster(4, start=False)
    first = (1, 2, 3)
    for i in first:
        c.write_config(i, c.default_config(i, peers=first))
    for i in first:
        c.start(i, wait=False)
    for i in first:
        c.wait_ready(i)
    c.wait_all_alive(timeout=c.recover_timeout(), nodes=first)
    reloads0 = {i: counters(c, i)["reloads"] for i in first}

    t = time.monotonic_ns()
    for i in first:
        c.write_config(i, c.default_config(i))     # now with n4
        c.send_signal(i, signal.SIGHUP)
    for i in first:
        c.wait_until(lambda: "n4" in c.members(i), 3.0,
                     f"n4 in n{i}'s members after SIGHUP")
        assert counters(c, i)["reloads"] > reloads0[i]
    c.start(4)
    c.wait_all_alive(timeout=c.detect_timeout() + c.recover_timeout())
    for i in first:
        others = [f"n{j}" for j in first if j != i]
        assert not c.events_into(i, others, ("suspect", "dead", "left"), t), \
            f"n{i}: the reload disturbed existing peers"


def test_reload_refuses_identity_change(make_cluster):
    c = make_cluster(2)
    t = time.monotonic_ns()
    listen = c.status(1)["node"]["listen"]
    cfg = c.config_dict(1)
    cfg["listen"] = listen.rsplit(":", 1)[0] + ":7401"
    c.write_config(1, cfg)
    ans = c.ctl(1, {"cmd": "reload"}, timeout=5.0)
    assert ans["ok"] is False and "listen" in ans.get("error", ""), ans
    assert c.status(1)["node"]["listen"] == listen
    c.wait_all_alive(timeout=1.0)
    assert not c.events(1, since_ns=t)
