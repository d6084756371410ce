# SPDX-License-Identifier: MIT
"""Health checks (issue 4, the pull model) with real daemons in network
namespaces, election on, interval 100 ms: a failing exec check with a
negative weight hands leadership to the next-priority node (preempt on); an
http check against a python http.server in the node's namespace passes,
then fails once the server is killed; a tcp check against a closed port
fails; a `fault` check makes the leader step down and never stand while
faulted."""

import json
import os
import signal
import subprocess
import time

from hbcluster import fmt_event, to_yaml

CHECK_S = 3.0      # a check's state flip, with rise/fall 2 at 100 ms: slack
ELECT_S = 8.0      # start -> one leader (the highest priority, preempting)


def _check_yaml(checks):
    """YAML for a checks: list (the harness' flow writer has no lists in
    mappings)."""
    out = ["checks:"]
    for ch in checks:
        first = True
        for k, v in ch.items():
            lead = "  - " if first else "    "
            first = False
            out.append(f"{lead}{k}: {json.dumps(v)}")
    return "\n".join(out) + "\n"


def _write(c, i, checks):
    text = to_yaml(c.config_dict(i)) + "\n" + _check_yaml(checks)
    c.write_config_text(i, text)


def _checks(c, i):
    ans = c.ctl(i, {"cmd": "checks"})
    assert ans.get("ok"), ans
    return {ch["name"]: ch for ch in ans["checks"]}


def _wait_state(c, i, name, state, timeout=CHECK_S):
    return c.wait_until(
        lambda: _checks(c, i)[name]["state"] == state, timeout,
        lambda: f"n{i} check {name} {state} ({_checks(c, i).get(name)})")


def _check_events(c, i, name):
    return [(e["old_state"], e["state"]) for e in c.watcher(i).snapshot()
            if e.get("event") == "check" and e.get("name") == name]


def _exec_check(name, flag, **kw):
    d = {"name": name, "kind": "exec",
         "command": ["/usr/bin/test", "!", "-e", flag],
         "interval_ms": 300, "timeout_ms": 250, "rise": 2, "fall": 2}
    d.update(kw)
    return d


def test_weight_http_tcp(make_cluster):
    prio = {1: 200, 2: 150, 3: 50}
    c = make_cluster(3, start=False,
                     election=lambda i: {"priority": prio[i],
                                         "preempt": True})
    flag = c.path("n1-fail")
    port = 18080
    _write(c, 1, [_exec_check("app", flag, weight=-200)])
    _write(c, 2, [{"name": "closed", "kind": "tcp",
                   "target": "127.0.0.1:1", "interval_ms": 300,
                   "timeout_ms": 250, "rise": 2, "fall": 2}])
    _write(c, 3, [{"name": "web", "kind": "http",
                   "url": f"http://127.0.0.1:{port}/", "interval_ms": 300,
                   "timeout_ms": 250, "rise": 2, "fall": 2}])
    ns3 = c.nodes[3].ns
    subprocess.run(["ip", "-n", ns3, "link", "set", "lo", "up"], check=True)
    server = subprocess.Popen(
        ["ip", "netns", "exec", ns3, "/usr/bin/python3", "-m",
         "http.server", str(port), "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        cwd=c.workdir)
    try:
        # The server listens before n3 checks it (a loaded machine starts
        # Python slowly): its first result is then a pass.
        probe = ("import socket,sys\n"
                 "socket.create_connection(('127.0.0.1', int(sys.argv[1])),"
                 " 1).close()\n")
        c.wait_until(lambda: subprocess.run(
            ["ip", "netns", "exec", ns3, "/usr/bin/python3", "-c", probe,
             str(port)], capture_output=True).returncode == 0,
            timeout=20.0, what="the HTTP server in n3's namespace")
        c.start_all()
        # n1 has the highest priority and preempts: it leads.
        leader, term = c.wait_leader(timeout=ELECT_S, exclude=("n2", "n3"))
        assert leader == "n1"
        _wait_state(c, 1, "app", "passing")

        # tcp to a closed port: failing, from initial.
        _wait_state(c, 2, "closed", "failing")
        ch = _checks(c, 2)["closed"]
        assert ch["last"] == "fail" and ch["kind"] == "tcp", ch
        assert ("initial", "failing") in _check_events(c, 2, "closed")

        # http: passing while the server runs ...
        _wait_state(c, 3, "web", "passing", timeout=CHECK_S + 2)
        assert "status 200" in _checks(c, 3)["web"]["message"]
        # ... failing once it is killed.
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=5)
        _wait_state(c, 3, "web", "failing")
        assert _check_events(c, 3, "web")[-2:] == [("initial", "passing"),
                                                   ("passing", "failing")]
        out = subprocess.run([c.hbeatctl, "-s", c.nodes[3].sock_path,
                              "checks"], capture_output=True, text=True)
        assert out.returncode == 1, out
        assert "web" in out.stdout and "failing" in out.stdout, out.stdout

        # The exec check with weight -200 fails: n1's priority drops to 0
        # and the preempting n2 (150) takes over.
        t_fail = time.monotonic_ns()
        open(flag, "w").close()
        _wait_state(c, 1, "app", "failing")
        new_leader, _ = c.wait_leader(timeout=ELECT_S, exclude=("n1",))
        assert new_leader == "n2", new_leader
        st = c.status(1)
        assert st["checks"][0]["effect"] == "weight -200", st["checks"]
        print("weight: n1 failing -> n2 leads after "
              f"{(time.monotonic_ns() - t_fail) / 1e6:.0f} ms")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_fault_steps_down(make_cluster):
    c = make_cluster(3, start=False, election=True)
    for i in c.nodes:
        _write(c, i, [_exec_check("fault", c.path(f"n{i}-fault"),
                                  effect="fault")])
    c.start_all()
    leader, term = c.wait_leader(timeout=ELECT_S)
    k = int(leader[1:])
    for i in c.nodes:
        _wait_state(c, i, "fault", "passing")

    t_fault = time.monotonic_ns()
    open(c.path(f"n{k}-fault"), "w").close()
    _wait_state(c, k, "fault", "failing")
    new_leader, _ = c.wait_leader(timeout=ELECT_S, exclude=(leader,))
    downs = [e for e in c.coord_events(k, "role", t_fault)
             if e.get("old") == "leader" and e.get("new") != "leader"]
    assert downs and downs[0]["reason"] == "check fault", downs
    # While faulted it never stands, even when the new leader dies.
    j = int(new_leader[1:])
    t_kill = c.kill(j)
    rest = [i for i in c.nodes if i not in (j,)]
    third, _ = c.wait_leader(nodes=rest, timeout=ELECT_S,
                             exclude=(leader, new_leader))
    time.sleep(1.0)  # a window in which a candidacy would show
    stood = [e for e in c.coord_events(k, "role", t_fault)
             if e.get("new") in ("candidate", "leader")
             and e.get("old") != "leader"]
    assert not stood, "\n".join(fmt_event(e, t_fault) for e in stood)
    assert c.coord(k)["role"] == "follower"
    print(f"fault: {leader} stepped down; {new_leader} then {third} led "
          f"(killed at +{(t_kill - t_fault) / 1e6:.0f} ms)")

    # Cleared: the check rises and the node may stand again.
    os.unlink(c.path(f"n{k}-fault"))
    _wait_state(c, k, "fault", "passing")
