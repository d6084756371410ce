# SPDX-License-Identifier: MIT
"""Topology "hierarchy" (docs/hierarchy.md) with real hbeatd processes in
network namespaces: a 3 x 3 hierarchy, regions 1 (n1..n3), 2 (n4..n6) and
3 (n7..n9), every node an elector of its region (3 per region keep a
coordinator when one is down).

- a member SIGKILLed: every survivor sees it dead (its region by its
  coordinator's verdict, the others from the region's summary);
- the same with UDP between the coordinators dropped (nftables): the
  summary goes over TCP (topology.reliable_transport), /metrics counts it;
- a member SIGSTOPped for 2 s: no dead verdict anywhere;
- a regional coordinator SIGKILLed: another elector of its region takes
  over; nobody outside declares the region unreachable or any of its
  other nodes suspect or dead;
- region 3 cut off (nftables): one "region unreachable" event per
  observer outside it (and one per other region inside), no per-node
  dead events across the cut; healed: reachable again;
- an at-most-one resource (a script writing "start"/"stop" lines with
  the node, its HBEAT_TERM and the wall time to one log): it runs on the
  global holder only, which every node's status names; SIGKILL the
  holder: another coordinator starts it in a higher global term; cut the
  holder's region off: the holder stops it (no quorum of regions) before
  a holder of the majority side starts it, in a higher term; healed:
  still one holder; replaying the log, never two running at once.

Nine nodes only: many namespaces on one bridge overflow the kernel's
neighbour table for every other test on the machine.
"""

import os
import re
import stat
import subprocess
import time

from hbcluster import fmt_event
from test_metrics import scrape, value
from test_http import HTTP_PORT

REGIONS = {1: (1, 2, 3), 2: (4, 5, 6), 3: (7, 8, 9)}
INTERVAL_MS = 200
GLOBAL_MS = 1000
# Suspect after 3 missed intervals, dead only after 3 s of suspicion: a
# 2 s stop is survived, a kill is seen within a few seconds (loaded 2-core
# machine: bounds below are generous). Not phi: its suspicion saturates at
# the 1e6 cap some 16 standard deviations late (~1.8 s here), so even the
# largest dead_threshold is reached within a 2 s stop.
DETECTOR = {"kind": "fixed", "suspect_threshold": 3,
            "dead_threshold": 1000000, "dead_after_ms": 3000}
BOUND_S = 40.0


def region_of(i):
    return (i - 1) // 3 + 1


def make(make_cluster, resource=False, http=False, reliable=None):
    topology = {"kind": "hierarchy", "global_interval_ms": GLOBAL_MS}
    if reliable is not None:
        topology["reliable_transport"] = reliable
    c = make_cluster(9, start=False, interval_ms=INTERVAL_MS, election=True,
                     extra_config=lambda i: {
                         "node": {"region": region_of(i), "elector": True},
                         "topology": topology,
                         "detector": DETECTOR})
    for i in c.nodes:
        cfg = c.config_dict(i)
        for p in cfg["peers"]:
            p["region"] = region_of(p["id"])
            p["elector"] = True
        # notify.script: the region events' arguments and environment.
        script = c.path(f"notify-n{i}.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\n"
                    "[ \"$HBEAT_EVENT\" = region ] || exit 0\n"
                    'echo "$1 $2 $3 $4|$HBEAT_REGION $HBEAT_OLD_REGION_STATE'
                    f' $HBEAT_NEW_REGION_STATE" >> {c.path(f"notify-n{i}.log")}'
                    "\n")
        os.chmod(script, stat.S_IRWXU)
        cfg["notify"] = {"script": script}
        if http:
            cfg["http"] = {"listen": f"{c.nodes[i].host}:{HTTP_PORT}"}
        if resource:
            # notify.on_leader follows the global role too.
            hook = c.path("on-leader.sh")
            with open(hook, "w") as f:
                f.write("#!/bin/sh\n"
                        'echo "$HBEAT_NODE $1 $2 $3 $HBEAT_EVENT" >> '
                        f'{c.path("on-leader.log")}\n')
            os.chmod(hook, stat.S_IRWXU)
            cfg["notify"]["on_leader"] = hook
            cfg["resource"] = {"start": [res_script(c, "start")],
                               "stop": [res_script(c, "stop")],
                               "start_timeout_ms": 5000,
                               "stop_timeout_ms": 5000}
        c.write_config(i, cfg)
    c.start_all()
    c.wait_all_alive(timeout=BOUND_S)
    wait_coordinators(c)
    return c


def res_script(c, what):
    """start.sh or stop.sh: one line "WHAT NODE TERM WALL_NS" to
    resource.log (appends of one short line are atomic)."""
    path = c.path(f"{what}.sh")
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write("#!/bin/sh\n"
                    f'echo "{what} $HBEAT_NODE $HBEAT_TERM $(date +%s%N)" '
                    f'>> {c.path("resource.log")}\n')
        os.chmod(path, stat.S_IRWXU)
    return path


def hier(c, i):
    return c.status(i)["hierarchy"]


def wait_coordinators(c, nodes=None, not_=None):
    """Until every node in `nodes` names a coordinator of its region (not
    `not_`) that its region's other nodes name too; {region: name}."""
    nodes = list(nodes or c.running_nodes())
    deadline = time.monotonic() + BOUND_S
    while True:
        seen = {i: hier(c, i) for i in nodes}
        coords = {}
        ok = True
        for i, h in seen.items():
            name = h.get("coordinator")
            if name is None or name == not_:
                ok = False
            coords.setdefault(h["region"], set()).add(name)
        if ok and all(len(v) == 1 for v in coords.values()):
            return {r: v.pop() for r, v in coords.items()}
        if time.monotonic() > deadline:
            raise AssertionError(f"no agreed coordinators: {seen}")
        time.sleep(0.2)


def region_events(c, i, since_ns):
    return [e for e in c.watcher(i).snapshot()
            if e.get("event") == "region" and e.get("at_ns", 0) >= since_ns]


def test_status_and_members(make_cluster):
    c = make(make_cluster)
    st = c.status(5)
    assert st["topology"]["kind"] == "hierarchy"
    assert st["hierarchy"]["region"] == 2
    rows = {m["name"]: m for m in c.members_full(5)}
    # Its own region judged here, the others learned from summaries.
    assert rows["n4"]["region"] == 2 and rows["n1"]["region"] == 1
    assert rows["n1"]["learned"] is True and rows["n9"]["learned"] is True
    # The operator's table: region and where the state comes from.
    out = subprocess.run([c.hbeatctl, "-s", c.nodes[5].sock_path,
                          "members"], capture_output=True, text=True,
                         timeout=10, check=True).stdout.splitlines()
    cols = [re.split(r"\s{2,}", ln.strip()) for ln in out]
    assert cols[0][-2:] == ["REGION", "STATE FROM"], out[0]
    row = {r[0]: r for r in cols[1:]}
    assert row["n4"][-2:] == ["2 (elector)", "judged here"], row["n4"]
    assert row["n9"][-2:] == ["3 (elector)", "summary"], row["n9"]
    # Exactly one coordinator per region, leading its region.
    coords = wait_coordinators(c)
    assert sorted(coords) == [1, 2, 3]
    for r, name in coords.items():
        i = int(name[1:])
        assert region_of(i) == r
        assert hier(c, i)["is_coordinator"] is True


def test_member_killed_dead_everywhere(make_cluster):
    c = make(make_cluster)
    coords = wait_coordinators(c)
    victim = next(i for i in REGIONS[3] if f"n{i}" != coords[3])
    t0 = c.kill(victim)
    for obs in c.running_nodes():
        dead = c.wait_event(obs, peer=f"n{victim}", new="dead", since_ns=t0,
                            timeout=BOUND_S)
        print(f"n{obs}: n{victim} dead after "
              f"{(dead['at_ns'] - t0) / 1e6:.0f} ms")
    for obs in c.running_nodes():
        others = [f"n{j}" for j in c.nodes if j != victim and j != obs]
        bad = c.events_into(obs, others, ("dead",), t0)
        assert not bad, f"n{obs}: " + "; ".join(fmt_event(e, t0)
                                                for e in bad)
        assert not region_events(c, obs, t0), f"n{obs}: region events"
        # The drop counter of review F8: relayed summaries pass.
        assert c.status(obs)["counters"]["drops"]["bad_source"] == 0, \
            f"n{obs} dropped relayed summaries as bad_source"


def tcp_frames(c, i):
    """Node i's /metrics: messages over the reliable transport (TCP),
    (sent, received)."""
    _, samples = scrape(c, i)
    return tuple(value(samples, "hbeat_reliable_frames_total",
                       direction=d) or 0 for d in ("sent", "received"))


def test_summaries_over_tcp_when_udp_between_coordinators_cut(make_cluster):
    """topology.reliable_transport (on by default): the coordinators'
    summaries go over TCP. UDP between the three coordinators dropped
    (nftables, only UDP, only between their addresses): the global level
    loses its heartbeats (each coordinator finds the other regions
    unreachable), yet a member killed in region 3 is dead in regions 1
    and 2 too: its coordinator's summary went over TCP, and the others
    relayed it to their regions. With reliable_transport: false nothing
    carries it across (the regions stay unaware)."""
    c = make(make_cluster, http=True)
    coords = wait_coordinators(c)
    cids = [int(coords[r][1:]) for r in (1, 2, 3)]
    # The start-up's summaries went over TCP already, both ways.
    c.wait_until(lambda: all(min(tcp_frames(c, i)) > 0 for i in cids),
                 BOUND_S, "summaries over TCP between the coordinators",
                 interval=0.5)
    # hbeatctl status says so too.
    out = subprocess.run([c.hbeatctl, "-s", c.nodes[cids[0]].sock_path,
                          "status"], capture_output=True, text=True,
                         timeout=10, check=True).stdout
    tcp = next(ln for ln in out.splitlines() if ln.strip().startswith("tcp:"))
    m = re.search(r"listening, connections (\d+) out (\d+) in, frames "
                  r"(\d+) sent (\d+) received", tcp)
    assert m and int(m.group(3)) > 0 and int(m.group(4)) > 0, tcp
    t_cut = time.monotonic_ns()
    for k, a in enumerate(cids):
        for b in cids[k + 1:]:
            c.partition(a, b, proto="udp")
    # The cut works: the global level hears nobody any more.
    for obs, other in ((cids[0], 3), (cids[2], 1)):
        c.watcher(obs).wait_for(
            lambda e, r=other: (e.get("event") == "region"
                                and e.get("region") == r
                                and e.get("state") == "unreachable"
                                and e.get("at_ns", 0) >= t_cut),
            BOUND_S, f"n{obs}: region {other} unreachable")
    before = {i: tcp_frames(c, i) for i in cids}
    victim = next(i for i in REGIONS[3] if i != cids[2])
    t0 = c.kill(victim)
    for obs in c.running_nodes():
        dead = c.wait_event(obs, peer=f"n{victim}", new="dead", since_ns=t0,
                            timeout=BOUND_S)
        print(f"n{obs}: n{victim} dead after "
              f"{(dead['at_ns'] - t0) / 1e6:.0f} ms")
    # Over TCP: region 3's coordinator sent, the others received.
    after = {i: tcp_frames(c, i) for i in cids}
    assert after[cids[2]][0] > before[cids[2]][0], (before, after)
    for i in cids[:2]:
        assert after[i][1] > before[i][1], (i, before, after)
    for obs in c.running_nodes():
        others = [f"n{j}" for j in c.nodes if j != victim and j != obs]
        bad = c.events_into(obs, others, ("dead",), t0)
        assert not bad, f"n{obs}: " + "; ".join(fmt_event(e, t0)
                                                for e in bad)
        st = c.status(obs)
        assert st["counters"]["drops"]["bad_source"] == 0, \
            f"n{obs} dropped summaries as bad_source"
    for i in cids:
        assert c.status(i)["reliable"]["frames_dropped"] == 0


def test_member_stopped_2s_not_dead(make_cluster):
    c = make(make_cluster)
    coords = wait_coordinators(c)
    victim = next(i for i in REGIONS[1] if f"n{i}" != coords[1])
    t0 = c.pause(victim)
    time.sleep(2.0)
    c.resume(victim)
    # Longer than the dead time after the resume: nothing may follow.
    time.sleep(6.0)
    for obs in c.nodes:
        if obs == victim:
            continue
        bad = c.events_into(obs, [f"n{victim}"], ("dead",), t0)
        assert not bad, f"n{obs}: " + "; ".join(fmt_event(e, t0)
                                                for e in bad)
        assert c.members(obs)[f"n{victim}"] == "alive"


def test_coordinator_killed_replaced_in_region(make_cluster):
    c = make(make_cluster)
    coords = wait_coordinators(c)
    old = coords[2]
    t0 = c.kill(int(old[1:]))
    survivors = [i for i in REGIONS[2] if f"n{i}" != old]
    new = wait_coordinators(c, nodes=survivors, not_=old)[2]
    assert new != old and region_of(int(new[1:])) == 2
    outside = REGIONS[1] + REGIONS[3]
    for obs in outside:
        c.wait_event(obs, peer=old, new="dead", since_ns=t0,
                     timeout=BOUND_S)
    # A global dead time more for anyone to (wrongly) give up on region 2.
    time.sleep(3 * GLOBAL_MS / 1000.0)
    others = [f"n{i}" for i in survivors]
    for obs in outside:
        bad = c.events_into(obs, others, ("suspect", "dead"), t0)
        assert not bad, f"n{obs}: " + "; ".join(fmt_event(e, t0)
                                                for e in bad)
        assert not [e for e in region_events(c, obs, t0)
                    if e["region"] == 2], f"n{obs}: region 2 event"
        assert hier(c, obs)["unreachable_regions"] == []


def test_region_cut_one_event_then_heal(make_cluster):
    c = make(make_cluster)
    t_cut = time.monotonic_ns()
    for a in REGIONS[3]:
        for b in REGIONS[1] + REGIONS[2]:
            c.partition(a, b)
    outside = REGIONS[1] + REGIONS[2]

    def wait_region(obs, region, state, since):
        return c.watcher(obs).wait_for(
            lambda e: (e.get("event") == "region"
                       and e.get("region") == region
                       and e.get("state") == state
                       and e.get("at_ns", 0) >= since),
            BOUND_S, f"region {region} {state}")

    for obs in outside:
        wait_region(obs, 3, "unreachable", t_cut)
    for obs in REGIONS[3]:
        for r in (1, 2):
            wait_region(obs, r, "unreachable", t_cut)
    time.sleep(2.0)
    for obs in outside:
        evs = region_events(c, obs, t_cut)
        assert [(e["region"], e["state"]) for e in evs] == \
            [(3, "unreachable")], f"n{obs}: {evs}"
        bad = c.events_into(obs, [f"n{j}" for j in REGIONS[3]], ("dead",),
                            t_cut)
        assert not bad, f"n{obs}: " + "; ".join(fmt_event(e, t_cut)
                                                for e in bad)
        assert hier(c, obs)["unreachable_regions"] == [3]
    for obs in REGIONS[3]:
        evs = region_events(c, obs, t_cut)
        assert sorted((e["region"], e["state"]) for e in evs) == \
            [(1, "unreachable"), (2, "unreachable")], f"n{obs}: {evs}"
    t_heal = time.monotonic_ns()
    c.heal()
    for obs in outside:
        wait_region(obs, 3, "reachable", t_heal)
    for obs in REGIONS[3]:
        for r in (1, 2):
            wait_region(obs, r, "reachable", t_heal)
    for obs in outside:
        evs = region_events(c, obs, t_cut)
        assert [(e["region"], e["state"]) for e in evs] == \
            [(3, "unreachable"), (3, "reachable")], f"n{obs}: {evs}"
        assert hier(c, obs)["unreachable_regions"] == []
    c.wait_all_alive(timeout=BOUND_S)
    # notify.script ran once per region event, with the documented
    # arguments and environment.
    deadline = time.monotonic() + BOUND_S
    # (A region never reported on is "unknown" before its first event.)
    first = [f"region 3 {o} unreachable|3 {o} unreachable"
             for o in ("unknown", "reachable")]
    last = "region 3 unreachable reachable|3 unreachable reachable"
    while True:
        path = c.path("notify-n1.log")
        lines = open(path).read().split("\n")[:-1] \
            if os.path.exists(path) else []
        ok = len(lines) == 2 and lines[0] in first and lines[1] == last
        if ok or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert ok, f"n1's notify lines: {lines}"


# ---- the at-most-one resource on the global holder ----------------------


def res_lines(c):
    """resource.log as [what, node, term, wall_ns]; the start-up stops
    (term 0) left out."""
    path = c.path("resource.log")
    if not os.path.exists(path):
        return []
    out = []
    for line in open(path).read().splitlines():
        x = line.split()
        if len(x) == 4 and not (x[0] == "stop" and x[2] == "0"):
            out.append([x[0], x[1], int(x[2]), int(x[3])])
    return out


def note(c, what, node):
    """A line of the test's own in the log (a SIGKILL ends the resource
    of a script resource: nothing runs it any more)."""
    with open(c.path("resource.log"), "a") as f:
        f.write(f"{what} {node} -1 {time.time_ns()}\n")


def overlaps(lines):
    """Replay: a start makes the resource run on that node, its stop or
    its kill ends it; the lines where two ran at once."""
    running, bad = set(), []
    for n, x in enumerate(lines):
        if x[0] == "start":
            running.add(x[1])
            if len(running) > 1:
                bad.append((n, sorted(running)))
        elif x[0] in ("stop", "killed"):
            running.discard(x[1])
    return bad


def started(c, nodes):
    return [i for i in nodes
            if c.status(i)["resource"]["state"] == "started"]


def wait_one_holder(c, not_=None):
    """Until exactly one running node has the resource started, it holds
    the global role, and every running node's status names it as the
    holder; returns its number."""
    def one():
        on = started(c, c.running_nodes())
        if len(on) != 1 or f"n{on[0]}" == not_:
            return None
        h = on[0]
        if not hier(c, h)["holds"]:
            return None
        if any(hier(c, i).get("holder") != f"n{h}"
               for i in c.running_nodes()):
            return None
        return h
    return c.wait_until(one, BOUND_S,
                        lambda: f"one holder: {res_lines(c)}")


def test_resource_follows_global_holder(make_cluster):
    c = make(make_cluster, resource=True)
    h = wait_one_holder(c)
    term0 = hier(c, h)["global_term"]
    assert hier(c, h)["is_coordinator"] and \
        hier(c, h)["global_role"] == "leader"
    lines = res_lines(c)
    assert lines[-1][:3] == ["start", f"n{h}", term0], lines
    assert not overlaps(lines), f"two at once: {lines}"
    # hbeatctl status names the role and the holder, on any node.
    other = next(i for i in c.nodes if i != h)
    out = subprocess.run([c.hbeatctl, "-s", c.nodes[other].sock_path,
                          "status"], capture_output=True, text=True,
                         timeout=10, check=True).stdout
    assert f"global holder: region {region_of(h)}, n{h} (id {h})" in out, \
        out
    st = c.status(other)["resource"]
    assert st["state"] == "stopped", st
    # on_leader ran for the global role (argv "global_role OLD leader"),
    # last on the holder; never for a regional leadership (each region's
    # coordinator leads its region).
    def hook_lines():
        path = c.path("on-leader.log")
        return [x.split() for x in open(path).read().splitlines()] \
            if os.path.exists(path) else []

    c.wait_until(lambda: hook_lines() and hook_lines()[-1][0] == f"n{h}",
                 BOUND_S, lambda: f"on_leader on n{h}: {hook_lines()}")
    hooks = hook_lines()
    assert all(x[1] == "global_role" and x[3] == "leader" and
               x[4] == "global_role" for x in hooks), hooks

    # SIGKILL the holder: another coordinator takes over, in a higher
    # global term (the fencing token), and only after the kill.
    note(c, "killed", f"n{h}")
    t_kill = time.time_ns()
    c.kill(h)
    h2 = wait_one_holder(c, not_=f"n{h}")
    lines = res_lines(c)
    start2 = [x for x in lines if x[0] == "start" and x[1] == f"n{h2}"][-1]
    assert start2[2] > term0, lines
    assert start2[3] > t_kill, lines
    print(f"holder n{h} killed: n{h2} started in global term {start2[2]} "
          f"{(start2[3] - t_kill) / 1e6:.0f} ms later")
    assert not overlaps(lines), f"two at once: {lines}"


def test_resource_holder_region_cut(make_cluster):
    c = make(make_cluster, resource=True)
    h = wait_one_holder(c)
    term0 = hier(c, h)["global_term"]
    rh = region_of(h)
    rest = [i for i in c.nodes if region_of(i) != rh]
    t_cut = time.time_ns()
    for a in REGIONS[rh]:
        for b in rest:
            c.partition(a, b)

    def since_cut():
        return [x for x in res_lines(c) if x[3] >= t_cut]

    # The holder loses its quorum of regions and stops; a holder of the
    # majority side starts, later, in a higher term.
    c.wait_until(lambda: any(x[0] == "stop" and x[1] == f"n{h}"
                             for x in since_cut()), BOUND_S,
                 lambda: f"n{h} stops: {res_lines(c)}")
    h2 = c.wait_until(lambda: next(iter(started(c, rest)), None),
                      BOUND_S, lambda: f"a start outside: {res_lines(c)}")
    assert region_of(h2) != rh
    lines = res_lines(c)
    stop1 = [x for x in since_cut()
             if x[0] == "stop" and x[1] == f"n{h}"][0]
    start2 = [x for x in since_cut()
              if x[0] == "start" and x[1] == f"n{h2}"][-1]
    assert lines.index(stop1) < lines.index(start2), lines
    assert stop1[3] < start2[3], lines
    assert start2[2] > term0, lines
    print(f"region {rh} cut: n{h} stopped "
          f"{(stop1[3] - t_cut) / 1e6:.0f} ms after the cut, n{h2} "
          f"started {(start2[3] - stop1[3]) / 1e6:.0f} ms after that, "
          f"global term {term0} -> {start2[2]}")
    # Nobody on the cut side starts it while cut.
    time.sleep(3 * GLOBAL_MS / 1000.0)
    assert started(c, REGIONS[rh]) == [], res_lines(c)
    # Healed: still one holder, nothing ever ran twice.
    c.heal()
    c.wait_all_alive(timeout=BOUND_S)
    time.sleep(3 * GLOBAL_MS / 1000.0)
    wait_one_holder(c)
    lines = res_lines(c)
    assert not overlaps(lines), f"two at once: {lines}"
