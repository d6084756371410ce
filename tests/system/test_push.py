# SPDX-License-Identifier: MIT
"""Heartbeats from programs that run no hbeatd (issue 12, item 6).

A 2-node cluster; n1 serves HTTP and has three more peers that run no
hbeatd:

* `app`, an HTTP push peer (peers[].push: http): `hbeatctl push` run in a
  service namespace POSTs signed heartbeats to n1. Pushing makes it
  alive; stopping the pusher makes it suspect then dead through the
  detector. Requests with a bad MAC, a replayed or older counter, a
  counter outside the time window, no headers, a body over 1 KiB, or for
  an unknown peer are refused with their status (401, 403, 400, 413) and
  counted by reason, and change nothing.
* `echo`, a UDP echo pull peer (pull: udp://...) answered by a Python
  RFC 862 echo server: alive; the server killed, dead.
* `night`, the same echo probe with a window that excludes now: held
  (never probed, never declared dead for its silence: it stays unknown);
  a reload that removes its window releases it (alive, then dead with
  the echo server).

And two scheduled exec checks (daemon.timezone UTC): one whose window
holds now runs; one whose window excludes now never runs, and
`hbeatctl checks` shows its next run at the window's start.
"""

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
import base64

from hbcluster import to_yaml

HTTP_PORT = 8080
ECHO_PORT = 7007

ECHO = """\
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", %d))
while True:
    data, addr = s.recvfrom(2048)
    s.sendto(data, addr)
""" % ECHO_PORT

# Runs in the service namespace: one POST per request given as JSON
# [{path, headers, body}], prints [{status, body}].
CLIENT = r"""
import json, sys, urllib.error, urllib.request
host = sys.argv[1]
out = []
for r in json.loads(sys.argv[2]):
    req = urllib.request.Request(f"http://{host}{r['path']}", method="POST",
                                 data=r.get("body", "").encode(),
                                 headers=r.get("headers", {}))
    try:
        with urllib.request.urlopen(req, timeout=3) as resp:
            status, data = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        status, data = e.code, e.read()
    out.append({"status": status, "body": data.decode()})
print(json.dumps(out))
"""


def mac(token, peer, counter):
    """The push MAC (docs/http.md, Push), computed independently."""
    msg = f"hbeat-push-v1\nPOST\n/v1/push/{peer}\n{peer}\n{counter}\n"
    return hmac.new(token, msg.encode(), hashlib.sha256).hexdigest()


def signed(token, peer, counter, mac_peer=None):
    return {"path": f"/v1/push/{peer}",
            "headers": {"X-Hbeat-Counter": str(counter),
                        "X-Hbeat-Auth": mac(token, mac_peer or peer,
                                            counter)}}


def post(c, ns, host, requests):
    p = c.run_in(ns, [sys.executable, "-c", CLIENT, f"{host}:{HTTP_PORT}",
                      json.dumps(requests)])
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def _kill(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.wait(timeout=5)


def _window_excluding_now():
    """A one-hour UTC window starting three hours from now."""
    h = (time.gmtime().tm_hour + 3) % 24
    return f"{h:02d}:00-{(h + 1) % 24:02d}:00", h


def test_push_udp_echo_and_schedules(make_cluster):
    c = make_cluster(2, start=False)
    ns = c.add_host("svc", 200)
    svc = f"10.213.{c.subnet}.200"
    n1 = c.nodes[1]
    token_path = c.path("app.token")
    subprocess.run([c.hbeatctl, "keygen", token_path], check=True)
    with open(token_path) as f:
        token = base64.b64decode(f.read().strip())
    echo_script = c.path("echo_server.py")
    with open(echo_script, "w") as f:
        f.write(ECHO)
    echo = c.spawn_in(ns, ["/usr/bin/python3", echo_script])
    never, never_h = _window_excluding_now()

    cfg = c.default_config(1)
    cfg["http"] = {"listen": f"{n1.host}:{HTTP_PORT}"}
    cfg["daemon"] = {"timezone": "UTC"}
    cfg["peers"] = cfg["peers"] + [
        {"name": "app", "id": 10, "push": "http", "token_file": token_path},
        {"name": "echo", "id": 11, "pull": f"udp://{svc}:{ECHO_PORT}"},
        {"name": "night", "id": 12, "pull": f"udp://{svc}:{ECHO_PORT}",
         "between": never},
    ]
    checks_yaml = (
        "checks:\n"
        "  - {name: always, kind: exec, command: [/bin/true], "
        "interval_ms: 200, timeout_ms: 100, between: \"00:00-24:00\", "
        "days: daily}\n"
        f"  - {{name: later, kind: exec, command: [/bin/true], "
        f"interval_ms: 200, timeout_ms: 100, between: \"{never}\"}}\n")
    c.write_config_text(1, to_yaml(cfg) + "\n" + checks_yaml)
    c.start_all()
    c.wait_all_alive(timeout=c.recover_timeout(), nodes=[1, 2])
    t_start = time.monotonic_ns()

    # --- push: alive while pushing ------------------------------------
    pusher = c.spawn_in(ns, [c.hbeatctl, "push", "--url",
                             f"http://{n1.host}:{HTTP_PORT}", "--peer", "app",
                             "--token", token_path, "--interval-ms",
                             str(c.interval_ms), "--quiet"])
    c.wait_state(1, "app", "alive", timeout=c.recover_timeout() + 5.0)
    # --- udp echo: alive ----------------------------------------------
    c.wait_state(1, "echo", "alive", timeout=c.recover_timeout() + 5.0)
    # Steady for 2 s: no transition for either.
    t0 = time.monotonic_ns()
    time.sleep(2.0)
    assert not c.events_into(1, ["app", "echo"], since_ns=t0), \
        c.events(1, since_ns=t0)

    # --- schedules ------------------------------------------------------
    checks = {ch["name"]: ch for ch in c.ctl(1, {"cmd": "checks"})["checks"]}
    assert checks["always"]["runs"] > 0, checks["always"]
    assert checks["always"]["in_window"] is True
    later = checks["later"]
    assert later["runs"] == 0 and later["state"] == "initial", later
    assert later["in_window"] is False, later
    assert later["next_run"].endswith(f" {never_h:02d}:00:00 UTC"), later
    night = checks["night"]
    assert night["runs"] == 0 and night["in_window"] is False, night
    out = subprocess.run([c.hbeatctl, "-s", n1.sock_path, "checks"],
                         capture_output=True, text=True, timeout=10)
    assert "NEXT RUN" in out.stdout, out.stdout
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("later")]
    assert line and f"{never_h:02d}:00:00 UTC" in line[0], out.stdout
    assert "outside its window" in line[0], out.stdout
    # The held pull peer is never judged: still unknown, no event at all.
    assert c.members(1)["night"] == "unknown", c.members(1)
    assert not c.events(1, peer="night", since_ns=0)
    # A reload that drops its window: probed and judged again, alive.
    cfg["peers"][-1] = {"name": "night", "id": 12,
                        "pull": f"udp://{svc}:{ECHO_PORT}"}
    c.write_config_text(1, to_yaml(cfg) + "\n" + checks_yaml)
    assert c.ctl(1, {"cmd": "reload"}).get("ok"), c.log_tail(1)
    c.wait_state(1, "night", "alive", timeout=c.recover_timeout() + 5.0)

    # --- push: stop pushing -> suspect, dead ---------------------------
    t_stop = time.monotonic_ns()
    _kill(pusher)
    dead = c.wait_event(1, peer="app", new="dead", since_ns=t_stop)
    states = [e["new"] for e in c.events(1, peer="app", since_ns=t_stop)]
    assert states[:2] == ["suspect", "dead"], states
    assert (dead["at_ns"] - t_stop) / 1e9 < c.detect_timeout() + 1.0, dead

    # --- refused pushes change nothing --------------------------------
    st = c.status(1)
    last = [p for p in st["push"]["peers"] if p["name"] == "app"][0]
    last_counter = last["last_counter"]
    assert last["accepted"] > 10, last
    now_us = int(time.time() * 1e6)
    t_bad = time.monotonic_ns()
    bad = dict(signed(token, "app", now_us))
    bad["headers"] = dict(bad["headers"])
    bad["headers"]["X-Hbeat-Auth"] = mac(b"\x00" * 32, "app", now_us)
    answers = post(c, ns, n1.host, [
        bad,                                             # wrong key
        signed(token, "app", now_us, mac_peer="other"),  # for another peer
        signed(token, "app", last_counter),              # replayed
        signed(token, "app", last_counter - 1),          # older
        signed(token, "app", now_us + 3600 * 10**6),     # an hour ahead
        signed(token, "nobody", now_us),                 # unknown peer
        {"path": "/v1/push/app"},                        # no headers
        dict(signed(token, "app", now_us), body="x" * 2000),  # too large
    ])
    got = [(a["status"], json.loads(a["body"])["error"]) for a in answers]
    assert got == [(401, "bad_mac"), (401, "bad_mac"), (403, "replay"),
                   (403, "replay"), (403, "stale"), (401, "unknown_peer"),
                   (400, "malformed"), (413, "too_large")], answers
    time.sleep(1.0)
    assert not c.events(1, peer="app", since_ns=t_bad), \
        c.events(1, peer="app", since_ns=t_bad)
    results = c.status(1)["push"]["results"]
    assert results["bad_mac"] == 2 and results["replay"] == 2, results
    assert results["stale"] == 1 and results["unknown_peer"] == 1, results
    assert results["malformed"] == 1 and results["too_large"] == 1, results
    metrics = c.run_in(c.nodes[1].ns, ["curl", "-s",
                                       f"http://{n1.host}:{HTTP_PORT}"
                                       "/metrics"]).stdout
    assert 'hbeat_push_requests_total{result="replay"} 2' in metrics, \
        metrics
    # A good one, from Python: the peer comes back (probation).
    t_good = time.monotonic_ns()
    ok = post(c, ns, n1.host, [signed(token, "app",
                                      int(time.time() * 1e6))])
    assert ok[0]["status"] == 200, ok
    c.wait_event(1, peer="app", new="probation", since_ns=t_good)

    # --- udp echo: the server stops -> dead ---------------------------
    t_kill = time.monotonic_ns()
    _kill(echo)
    dead = c.wait_event(1, peer="echo", new="dead", since_ns=t_kill)
    states = [e["new"] for e in c.events(1, peer="echo", since_ns=t_kill)]
    assert states[0] in ("suspect", "dead"), states
    # The peer released by the reload is judged like the other one.
    c.wait_event(1, peer="night", new="dead", since_ns=t_kill)
    # n2 knows none of them.
    assert set(c.members(2)) == {"n1"}
    del t_start
