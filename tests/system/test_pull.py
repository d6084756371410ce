# SPDX-License-Identifier: MIT
"""Pull peers (issue 4, item 5): a peer that runs no hbeatd is polled on
the heartbeat schedule (http GET, tcp connect) and every answer feeds the
same detector and state machine as a heartbeat. A service namespace runs
one small server with an HTTP port and a TCP port; n1 polls both. Stopping
the server makes both peers dead through the detector (suspect first);
an HTTP 500 is silence for the http peer only; restarted, both come back
through probation. n2, which polls nothing, never hears of them."""

import os
import signal
import time

HTTP_PORT = 8080
TCP_PORT = 5432

SERVER = """\
import http.server, os, socket, socketserver, sys, threading
flag = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code = 500 if os.path.exists(flag) else 200
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    allow_reuse_address = True
    daemon_threads = True
t = socket.socket()
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("0.0.0.0", %d))
t.listen(64)
def accept():
    while True:
        c, _ = t.accept()
        c.close()
threading.Thread(target=accept, daemon=True).start()
S(("0.0.0.0", %d), H).serve_forever()
""" % (TCP_PORT, HTTP_PORT)


def _start_server(c, ns, script, flag):
    p = c.spawn_in(ns, ["/usr/bin/python3", script, flag])
    return p


def _kill(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.wait(timeout=5)


def test_pull_peers_http_and_tcp(make_cluster):
    c = make_cluster(2, start=False)
    ns = c.add_host("svc", 200)
    host = f"10.213.{c.subnet}.200"
    script = c.path("pull_server.py")
    flag = c.path("fail-http")
    with open(script, "w") as f:
        f.write(SERVER)
    server = _start_server(c, ns, script, flag)

    cfg = c.default_config(1)
    cfg["peers"] = cfg["peers"] + [
        {"name": "web", "id": 10, "pull": f"http://{host}:{HTTP_PORT}/"},
        {"name": "db", "id": 11, "pull": f"tcp://{host}:{TCP_PORT}"},
    ]
    c.write_config(1, cfg)
    c.start_all()
    c.wait_all_alive(timeout=c.recover_timeout())
    for peer in ("web", "db"):
        c.wait_state(1, peer, "alive", timeout=5.0)
    members = c.members(1)
    assert set(members) == {"n2", "web", "db"}, members
    checks = {ch["name"]: ch for ch in c.ctl(1, {"cmd": "checks"})["checks"]}
    assert checks["web"]["effect"] == "peer", checks
    assert checks["db"]["kind"] == "tcp", checks
    # Steady: 2 s of polling, no transition for either.
    t0 = time.monotonic_ns()
    time.sleep(2.0)
    assert not c.events_into(1, ["web", "db"], since_ns=t0), \
        c.events(1, since_ns=t0)

    # HTTP 500: no answer for the http peer; the tcp one stays alive.
    t_fail = time.monotonic_ns()
    open(flag, "w").close()
    ev = c.wait_event(1, peer="web", new="dead", since_ns=t_fail)
    assert ev["reason"] in ("dead_threshold", "dead_after"), ev
    assert not c.events_into(1, ["db"], since_ns=t_fail)
    os.unlink(flag)
    c.wait_state(1, "web", "alive", timeout=c.recover_timeout())

    # The whole service stops: both convicted by the detector, suspect
    # first (a refused connection is silence, not evidence).
    t_kill = time.monotonic_ns()
    _kill(server)
    for peer in ("web", "db"):
        dead = c.wait_event(1, peer=peer, new="dead", since_ns=t_kill)
        states = [e["new"] for e in c.events(1, peer=peer, since_ns=t_kill)]
        assert states[:2] == ["suspect", "dead"], states
        assert (dead["at_ns"] - t_kill) / 1e6 < 1500, dead

    # Back: probation, then alive.
    t_back = time.monotonic_ns()
    server = _start_server(c, ns, script, flag)
    for peer in ("web", "db"):
        evs = c.wait_transitions(1, peer, ["probation", "alive"],
                                 since_ns=t_back)
        assert [e["new"] for e in evs] == ["probation", "alive"], evs
    # n2 polls nothing: its view holds n1 only.
    assert set(c.members(2)) == {"n1"}
    _kill(server)
