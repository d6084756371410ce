# SPDX-License-Identifier: MIT
"""The notify script runs on every transition with the documented
environment; a hanging script is killed at its timeout without holding up
heartbeats."""

import os
import stat
import time

from hbcluster import fmt_event

FIELDS = ("HBEAT_EVENT", "HBEAT_PEER", "HBEAT_OLD_STATE", "HBEAT_NEW_STATE",
          "HBEAT_REASON")


def write_script(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, stat.S_IRWXU)


def read_lines(path):
    try:
        with open(path) as f:
            return [ln.rstrip("\n").split("|") for ln in f if ln.strip()]
    except FileNotFoundError:
        return []


def set_notify(c, script, timeout_ms):
    """script: a path, or a function node index -> path."""
    for i in c.nodes:
        cfg = c.config_dict(i)
        path = script(i) if callable(script) else script
        cfg["notify"] = {"script": path, "timeout_ms": timeout_ms}
        c.write_config(i, cfg)


def test_notify_env_on_suspect_and_dead(make_cluster):
    # The detector's path (suspect, then dead): exit detection off.
    c = make_cluster(3, start=False,
                     extra_config={"membership": {"port_unreachable": False}})
    for i in c.nodes:
        write_script(c.path(f"notify-n{i}.sh"), "#!/bin/sh\n"
                     'printf "%s|%s|%s|%s|%s\\n" "$HBEAT_EVENT" '
                     '"$HBEAT_PEER" "$HBEAT_OLD_STATE" "$HBEAT_NEW_STATE" '
                     f'"$HBEAT_REASON" >> {c.path(f"notify-n{i}.log")}\n')
    set_notify(c, lambda i: c.path(f"notify-n{i}.sh"), 5000)
    c.start_all()
    c.wait_all_alive(timeout=c.recover_timeout())

    t = c.kill(3)
    for obs in (1, 2):
        c.wait_event(obs, peer="n3", new="dead", since_ns=t)

    def lines_for(obs, old, new):
        return [ln for ln in read_lines(c.path(f"notify-n{obs}.log"))
                if len(ln) == 5 and ln[1:4] == ["n3", old, new]]

    for obs in (1, 2):
        for old, new in (("alive", "suspect"), ("suspect", "dead")):
            log = c.path(f"notify-n{obs}.log")
            found = c.wait_until(
                lambda: lines_for(obs, old, new), 3.0,
                lambda: f"n{obs}'s notify line for n3 {old}->{new} "
                        f"(file has: {read_lines(log)})")
            assert len(found) == 1, found
            ln = found[0]
            ev = [e for e in c.events(obs, peer="n3", since_ns=t)
                  if e["old"] == old and e["new"] == new][0]
            assert ln[0], f"HBEAT_EVENT empty: {ln}"
            assert ln[4] == ev["reason"], \
                f"HBEAT_REASON {ln[4]!r} != event reason {ev['reason']!r}"
        print(f"n{obs} notify lines:\n  " + "\n  ".join(
            "|".join(x) for x in read_lines(c.path(f"notify-n{obs}.log"))))


def proc_gone(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state in ("Z", "X")
    except FileNotFoundError:
        return True


def test_hanging_script_times_out(make_cluster):
    c = make_cluster(3, start=False)
    script = c.path("hang.py")
    log = c.path("hang.log")
    # A shell script: it logs within a millisecond of its start, well
    # inside the 300 ms timeout even on a loaded machine (a Python one
    # could be killed before it wrote its line); `exec` keeps its pid.
    write_script(script, "#!/bin/sh\n"
                 f"echo \"$$|$HBEAT_PEER|$HBEAT_NEW_STATE\" >> {log}\n"
                 "exec sleep 60\n")
    set_notify(c, script, 300)
    t_start = time.monotonic_ns()
    c.start_all()
    c.wait_all_alive(timeout=c.recover_timeout())

    def timed_out(i):
        return c.status(i)["counters"]["notify_timed_out"]

    base = {i: timed_out(i) for i in (1, 2)}
    t = c.kill(3)
    # Until suspect and dead (each running a script that hangs) have timed
    # out on n1 and n2, watch how fresh n1's and n2's heartbeats are at each
    # other: a daemon that waited for its script would fall silent.
    max_age = {1: 0, 2: 0}
    deadline = time.monotonic() + c.detect_timeout() + 5.0
    while True:
        for obs, other in ((1, "n2"), (2, "n1")):
            m = {x["name"]: x for x in c.members_full(obs)}[other]
            max_age[obs] = max(max_age[obs], m["last_heartbeat_age_ms"] or 0)
        if all(timed_out(i) >= base[i] + 2 for i in (1, 2)):
            break
        assert time.monotonic() < deadline, \
            f"notify_timed_out did not grow by 2: base {base}, now " \
            f"{ {i: timed_out(i) for i in (1, 2)} }"
        time.sleep(0.02)
    for obs in (1, 2):
        c.wait_event(obs, peer="n3", new="dead", since_ns=t)
    print(f"max heartbeat age while scripts hung: {max_age} ms")
    assert max(max_age.values()) < 3 * c.interval_ms, \
        f"heartbeats stalled while notify scripts hung: {max_age} ms"
    # Each timed-out script was killed, not left behind.
    # (only n1's and n2's scripts about n3: n3's own were orphaned by its
    # SIGKILL and are reaped by the harness)
    pids = [int(ln[0]) for ln in read_lines(log) if ln[1] == "n3"]
    assert len(pids) >= 4, read_lines(log)
    c.wait_until(lambda: all(proc_gone(p) for p in pids), 2.0,
                 "timed-out notify scripts killed")

    # Heartbeats went on between n1 and n2 all along.
    for obs, other in ((1, "n2"), (2, "n1")):
        bad = c.events_into(obs, [other], ("suspect", "dead"), t_start)
        assert not bad, "false alarm while a script hung:\n  " + \
            "\n  ".join(fmt_event(e, t) for e in bad)
        assert c.members(obs)[other] == "alive"
    print(f"notify_timed_out: n1 {timed_out(1)}, n2 {timed_out(2)}")
