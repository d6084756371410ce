# SPDX-License-Identifier: MIT
"""HTTP endpoints (http.listen, docs/http.md) with real daemons: 3 nodes
with election, each serving HTTP on its namespace address. /healthz,
/readyz (200 while quorate, 503 "no quorum" once the node is isolated),
/v1/status and /v1/members (the control socket's objects), 405 for other
methods, 404 for other paths (escaped ones included: URLs are matched as
sent); and a bind failure stopping hbeatd at start.

Requests are made from inside the node's namespace (`ip netns exec ...
python3`, urllib): traffic to the node's own address goes over `lo` there,
so isolate() (rules on eth0) cuts the heartbeats, not the HTTP client."""

import json
import subprocess
import sys
import time

HTTP_PORT = 8080

# Runs in the namespace: one request per argv triple (method, path, body or
# ""), prints a JSON list of {status, headers, body}.
_CLIENT = r"""
import json, sys, urllib.error, urllib.request
host = sys.argv[1]
out = []
args = sys.argv[2:]
for k in range(0, len(args), 3):
    method, path, body = args[k:k + 3]
    req = urllib.request.Request(f"http://{host}{path}", method=method,
                                 data=body.encode() if body else None)
    try:
        with urllib.request.urlopen(req, timeout=3) as r:
            status, headers, data = r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        status, headers, data = e.code, dict(e.headers), e.read()
    out.append({"status": status,
                "headers": {k.lower(): v for k, v in headers.items()},
                "body": data.decode()})
print(json.dumps(out))
"""


def http(c, i, *requests):
    """Requests (method, path[, body]) to node i's HTTP endpoints, made in
    its namespace; a list of {status, headers, body}, or one dict for one
    request."""
    node = c.nodes[i]
    argv = ["ip", "netns", "exec", node.ns, sys.executable, "-c", _CLIENT,
            f"{node.host}:{HTTP_PORT}"]
    for r in requests:
        method, path, body = (tuple(r) + ("",))[:3]
        argv += [method, path, body]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    return out[0] if len(requests) == 1 else out


def with_http(c, address_of):
    """Rewrite every node's config with http.listen = address_of(node)."""
    for i, node in c.nodes.items():
        cfg = c.config_dict(i)
        cfg["http"] = {"listen": address_of(node)}
        c.write_config(i, cfg)


def test_http_endpoints(make_cluster):
    c = make_cluster(3, start=False, election=True)
    with_http(c, lambda n: f"{n.host}:{HTTP_PORT}")
    c.start_all()
    c.wait_all_alive(timeout=c.recover_timeout())
    c.wait_leader(timeout=3.0)

    (health, ready, status, members, post, put, missing, head, body, nul,
     escaped) = http(
        c, 1, ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/v1/status"),
        ("GET", "/v1/members"), ("POST", "/healthz", "x=1"),
        ("PUT", "/v1/status"), ("GET", "/nope"), ("HEAD", "/healthz"),
        ("GET", "/healthz", "unexpected"), ("GET", "/v1/status%00"),
        ("GET", "/v1/%73tatus"))
    assert health["status"] == 200 and health["body"] == "ok\n", health
    assert health["headers"]["cache-control"] == "no-store"

    assert ready["status"] == 200, ready
    assert json.loads(ready["body"]) == {"ready": True}

    assert status["status"] == 200, status
    assert status["headers"]["content-type"] == "application/json"
    st = json.loads(status["body"])
    assert st["node"]["name"] == "n1"
    assert st["coordination"]["enabled"] is True
    assert st["coordination"]["quorate"] is True
    # The same object as the control socket's `status`.
    assert set(st) == set(c.status(1))

    assert members["status"] == 200, members
    names = sorted(m["name"] for m in json.loads(members["body"])["members"])
    assert names == ["n2", "n3"]

    assert post["status"] == 405, post
    assert post["headers"]["allow"] == "GET, HEAD"
    assert put["status"] == 405, put
    assert missing["status"] == 404, missing
    assert head["status"] == 200 and head["body"] == "", head
    assert body["status"] == 413, body
    # URLs are matched as sent (review F11: "%00" decoded to a NUL made
    # this /v1/status).
    assert nul["status"] == 404, nul
    assert escaped["status"] == 404, escaped

    # Isolated, n1 loses its quorum: /readyz turns 503 with the reason,
    # /healthz stays 200 (the daemon still runs); n2 stays ready.
    c.isolate(1)

    def unready():
        r = http(c, 1, ("GET", "/readyz"))
        return r if r["status"] == 503 else None
    r = c.wait_until(unready, c.detect_timeout() + 2.0,
                     "n1 /readyz answering 503")
    assert json.loads(r["body"]) == {"ready": False, "reason": "no quorum"}
    assert http(c, 1, ("GET", "/healthz"))["status"] == 200
    assert http(c, 2, ("GET", "/readyz"))["status"] == 200


def test_http_bind_failure(make_cluster):
    c = make_cluster(1, start=False)
    node = c.nodes[1]
    # In node 1's subnet but not its address: cannot be bound there.
    bad = node.host.rsplit(".", 1)[0] + ".99"
    with_http(c, lambda n: f"{bad}:{HTTP_PORT}")
    c.start(1, wait=False)
    rc = node.proc.wait(5)
    assert rc == 1
    log = c.log_tail(1, lines=10)
    assert (f"cannot bind HTTP socket to {bad}:{HTTP_PORT}: Cannot assign "
            "requested address") in log, log


# Runs in another node's namespace: `count` connections to the HTTP port,
# each an unfinished request kept alive by a header line every second
# (review F4's slowloris), for `hold` seconds; prints how many connected.
_SLOWLORIS = r"""
import socket, sys, time
host, port, count, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
socks = []
for _ in range(count):
    try:
        s = socket.create_connection((host, port), timeout=2)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        socks.append(s)
    except OSError:
        break
print(len(socks), flush=True)
end = time.monotonic() + hold
while time.monotonic() < end:
    time.sleep(1)
    for s in socks:
        try:
            s.sendall(b"X-a: b\r\n")
        except OSError:
            pass
"""


def test_http_slow_clients_cannot_starve_healthz(make_cluster):
    """64 slow clients from one address (review F4) hold at most the
    per-address limit of connections; /healthz still answers others."""
    c = make_cluster(2, start=False)
    with_http(c, lambda n: f"{n.host}:{HTTP_PORT}")
    c.start_all()
    c.wait_all_alive(timeout=c.recover_timeout())
    attacker = c.nodes[2]
    p = subprocess.Popen(["ip", "netns", "exec", attacker.ns, sys.executable,
                          "-c", _SLOWLORIS, c.nodes[1].host, str(HTTP_PORT),
                          "64", "8"], stdout=subprocess.PIPE, text=True)
    try:
        opened = int(p.stdout.readline())
        assert opened > 0, opened
        # While they trickle, n1's own address gets its answers.
        for _ in range(4):
            r = http(c, 1, ("GET", "/healthz"))
            assert r["status"] == 200, r
            time.sleep(1)
    finally:
        p.kill()
        p.wait(5)
