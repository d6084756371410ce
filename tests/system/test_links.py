# SPDX-License-Identifier: MIT
"""Redundant links (docs/links.md): three nodes joined by two networks
(ring0 on eth0, ring1 on eth1), election on.

(a) n2's ring1 cut: every other node reports a link-down event for ring1
    of n2 within the dead time, n2 stays alive everywhere, the leader and
    its term stay;
(c) healed: the link comes back through probation (down -> probation ->
    up), the peer never left alive; `hbeatctl links` shows it;
(b) both links of n2 cut: n2 is dead at the others within the usual
    detection time.

Along the way: the notify script runs as `link PEER LINK OLD NEW`, and
/metrics has hbeat_link_up per (peer, link).
"""

import json
import subprocess
import time

from hbcluster import fmt_event
from test_http import HTTP_PORT, with_http
from test_metrics import scrape, value
from test_notify import read_lines, set_notify, write_script

OTHERS = (1, 3)


def _ctl_links(c, i, *args):
    out = subprocess.run([c.hbeatctl, "-s", c.nodes[i].sock_path, "links",
                          *args], capture_output=True, text=True,
                         timeout=10)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _row(text, peer, link):
    for line in text.splitlines():
        cols = line.split()
        if len(cols) >= 4 and cols[0] == peer and cols[1] == link:
            return cols
    raise AssertionError(f"no row for {peer} {link} in:\n{text}")


def test_links_cut_one_then_both(make_cluster):
    c = make_cluster(3, links=2, election=True, start=False)
    with_http(c, lambda n: f"{n.host}:{HTTP_PORT}")
    for i in c.nodes:
        write_script(c.path(f"notify-n{i}.sh"), "#!/bin/sh\n"
                     'echo "$*|$HBEAT_EVENT|$HBEAT_LINK|$HBEAT_PEER_STATE" '
                     f'>> {c.path(f"notify-n{i}.log")}\n')
    set_notify(c, lambda i: c.path(f"notify-n{i}.sh"), 5000)
    c.start_all()
    c.wait_all_alive(timeout=c.recover_timeout())
    leader, term = c.wait_leader(timeout=c.recover_timeout())
    _, samples = scrape(c, 1)
    assert value(samples, "hbeat_link_up", peer="n2", link="ring1") == 1
    for obs in (1, 2, 3):
        for (peer, link), r in c.links_of(obs).items():
            assert r["state"] == "up", f"n{obs}: {peer} {link}: {r}"
    table = _ctl_links(c, 1)
    assert _row(table, "n2", "ring0")[3] == "up", table
    assert _row(table, "n2", "ring1")[3] == "up", table

    # (a) one link of n2 cut.
    t_cut = time.monotonic_ns()
    c.cut_link(2, 1)
    for obs in OTHERS:
        ev = c.wait_link_event(obs, "n2", "ring1", "down", since_ns=t_cut)
        assert ev["old_state"] == "up", fmt_event(ev, t_cut)
        assert ev["peer_state"] == "alive", fmt_event(ev, t_cut)
        assert (ev["at_ns"] - t_cut) / 1e9 < c.detect_timeout(), \
            fmt_event(ev, t_cut)
        print(f"n{obs}: ring1 of n2 down {(ev['at_ns'] - t_cut) / 1e6:.0f} "
              "ms after the cut")
    # n2 sees the ring1 of both others go down too.
    for peer in ("n1", "n3"):
        c.wait_link_event(2, peer, "ring1", "down", since_ns=t_cut)
    # A full detection time more: nobody doubted anybody.
    time.sleep(c.detect_timeout() / 2)
    for obs in (1, 2, 3):
        doubts = c.events_into(obs, [f"n{j}" for j in (1, 2, 3) if j != obs],
                               ("suspect", "dead"), t_cut)
        assert not doubts, f"n{obs}: " + "; ".join(
            fmt_event(e, t_cut) for e in doubts)
        assert set(c.members(obs).values()) == {"alive"}, c.members(obs)
    assert c.wait_leader(timeout=2.0) == (leader, term)
    assert not [e for i in (1, 2, 3)
                for e in c.coord_events(i, "role", since_ns=t_cut)], \
        "a role changed although n2 stayed reachable over ring0"
    rows = c.links_of(1)
    assert rows[("n2", "ring1")]["state"] == "down"
    assert rows[("n2", "ring0")]["state"] == "up"
    assert rows[("n3", "ring1")]["state"] == "up"
    table = _ctl_links(c, 1)
    assert _row(table, "n2", "ring1")[3] == "down", table
    assert _row(table, "n2", "ring0")[3] == "up", table
    _, samples = scrape(c, 1)
    assert value(samples, "hbeat_link_up", peer="n2", link="ring1") == 0
    assert value(samples, "hbeat_link_up", peer="n2", link="ring0") == 1
    assert value(samples, "hbeat_link_state", peer="n2", link="ring1",
                 state="down") == 1
    c.wait_until(lambda: ["link n2 ring1 up down", "link", "ring1", "alive"]
                 in read_lines(c.path("notify-n1.log")), 5.0,
                 "notify script run for the link down")

    # (c) heal: probation, then up; the peer stays alive throughout.
    t_heal = time.monotonic_ns()
    c.heal()
    for obs in OTHERS:
        up = c.wait_link_event(obs, "n2", "ring1", "up", since_ns=t_heal,
                               timeout=c.recover_timeout())
        trail = [(e["old_state"], e["state"])
                 for e in c.link_events(obs, "n2", since_ns=t_heal)
                 if e["link"] == "ring1"]
        assert trail == [("down", "probation"), ("probation", "up")], trail
        assert up["reason"] == "probation_passed"
        assert (up["at_ns"] - t_heal) / 1e9 >= c.probation_ms / 1000.0 * 0.9
    assert c.members(1)["n2"] == "alive"
    assert not c.events_into(1, ["n2"], ("suspect", "dead"), t_cut)

    # (b) both links of n2 cut: dead in the usual time.
    t_both = time.monotonic_ns()
    c.cut_link(2, 0)
    c.cut_link(2, 1)
    for obs in OTHERS:
        ev = c.wait_event(obs, peer="n2", new="dead", since_ns=t_both)
        assert (ev["at_ns"] - t_both) / 1e9 < c.detect_timeout(), \
            fmt_event(ev, t_both)
        print(f"n{obs}: n2 dead {(ev['at_ns'] - t_both) / 1e6:.0f} ms "
              "after both links were cut")
        downs = {e["link"] for e in c.link_events(obs, "n2", since_ns=t_both)
                 if e["state"] == "down"}
        assert downs == {"ring0", "ring1"} or c.wait_link_event(
            obs, "n2", "ring0", "down", since_ns=t_both, timeout=2.0)
    assert c.members(1)["n3"] == "alive"


def test_links_reload_addresses(make_cluster):
    """peers[].addresses reload: n1 told a wrong ring1 address for n2 (n3's)
    takes ring1 of n2 down at both ends (n2 hears nothing from n1 there;
    n1 drops n2's ring1 heartbeats as bad_source), the peer stays alive;
    the right address back, ring1 is up again. links itself is not
    reloadable."""
    c = make_cluster(3, links=2)
    good = c.config_dict(1)
    bad = c.config_dict(1)
    for p in bad["peers"]:
        if p["name"] == "n2":
            p["addresses"] = [c.link_address(2, 0), c.link_address(3, 1)]
    t = time.monotonic_ns()
    c.write_config(1, bad)
    ans = c.ctl(1, {"cmd": "reload"}, timeout=5.0)
    assert ans.get("ok"), ans
    c.wait_link_event(1, "n2", "ring1", "down", since_ns=t)
    c.wait_link_event(2, "n1", "ring1", "down", since_ns=t)
    assert c.links_of(1)[("n3", "ring1")]["state"] == "up"
    assert c.members(1)["n2"] == "alive" and c.members(2)["n1"] == "alive"
    assert not c.events_into(1, ["n2"], ("suspect", "dead"), t)

    t = time.monotonic_ns()
    c.write_config(1, good)
    assert c.ctl(1, {"cmd": "reload"}, timeout=5.0).get("ok")
    c.wait_link_event(1, "n2", "ring1", "up", since_ns=t,
                      timeout=c.recover_timeout())
    c.wait_link_event(2, "n1", "ring1", "up", since_ns=t,
                      timeout=c.recover_timeout())

    # links: a restart, not a reload.
    moved = c.config_dict(1)
    moved["links"][1]["listen"] = f"{c.nodes[1].hosts[1]}:7401"
    c.write_config(1, moved)
    ans = c.ctl(1, {"cmd": "reload"}, timeout=5.0)
    assert not ans.get("ok") and "links" in json.dumps(ans), ans
