# SPDX-License-Identifier: MIT
"""The live dashboard at / of the HTTP listener (docs/http.md,
"Dashboard"), in a headless Chromium (Debian's chromium, chromium-driver
and python3-selenium, which scripts/install-deps installs).

A 3-node cluster with election and http.listen on each node's address;
the browser runs in one more namespace on the cluster's bridge
(hbbrowser.py). The page must list the three members alive with the
leader, term and quorum; after a SIGKILL of n3 it must show n3 `dead`
within two seconds of n1's own `dead` event, and only after it; it must
load nothing from anywhere but hbeatd (a CSP forbids it, and every
resource the page fetched is same-origin); and on a 390 px wide screen
nothing may overflow sideways.

Set HBEAT_DASHBOARD_SCREENSHOT=PATH to keep the desktop screenshot (the
README's docs/img/dashboard.png comes from scripts/dashboard-screenshot.py,
the same setup run for a minute).

test_dashboard_events_endpoint checks /v1/events?after=ID and the
headers of the page's files, test_dashboard_suspicion_history the
sparklines' /v1/suspicion, without a browser."""

import datetime
import json
import os
import shutil

import pytest

from hbbrowser import Browser, BrowserUnavailable
from test_http import HTTP_PORT, http, with_http

# The issue: the page shows a killed node dead "within two seconds" (of
# the daemon declaring it; the page polls every 500 ms).
PAGE_LAG_S = 2.0

def _state_is(name, state):
    return (f"var e = document.querySelector('#members "
            f"[data-name=\"{name}\"]'); "
            f"return e !== null && e.dataset.state === '{state}';")


def _browser(c):
    ns = c.add_host("browser")
    try:
        return Browser(c, ns)
    except BrowserUnavailable as e:
        if shutil.which("chromium") is None:
            pytest.fail("chromium is not installed (scripts/install-deps "
                        "installs it)", pytrace=False)
        pytest.skip(f"headless Chromium cannot start here: {e}")


def _cluster(make_cluster, election=True):
    c = make_cluster(3, start=False, election=election)
    with_http(c, lambda n: f"{n.host}:{HTTP_PORT}")
    c.start_all()
    c.wait_all_alive(timeout=c.recover_timeout())
    return c


def test_dashboard_live(make_cluster):
    c = _cluster(make_cluster)
    leader, term = c.wait_leader(timeout=5.0)
    b = _browser(c)
    try:
        origin = f"http://{c.nodes[1].host}:{HTTP_PORT}"
        b.open(origin + "/")

        # The three members, alive; n1 is the node serving the page.
        rows = b.wait_js(
            "var m = Array.from(document.querySelectorAll("
            "'#members .member')); return m.length === 3 && "
            "m.every(e => e.dataset.state === 'alive') && "
            "m.map(e => e.dataset.name);", 10)["value"]
        assert sorted(rows) == ["n1", "n2", "n3"], rows
        assert b.js("return document.querySelector('#members "
                    "[data-name=\"n1\"]').innerText").find("this node") >= 0
        summary = b.wait_js(
            "var q = document.getElementById('quorum'); "
            "return q.dataset.quorate === 'true' && "
            "[document.getElementById('leader').textContent, "
            "document.getElementById('term').textContent];", 5)["value"]
        assert summary == [leader, str(term)], (summary, leader, term)
        # The event stream: n1 saw its peers come alive.
        b.wait_js("return Array.from(document.querySelectorAll('#events li'))"
                  ".some(e => e.textContent.includes('peer n2 unknown'));", 5)

        # SIGKILL n3: the page follows n1's own verdict, within 2 s.
        t0 = c.kill(3)
        ev = c.wait_event(1, peer="n3", new="dead", since_ns=t0,
                          timeout=c.detect_timeout() + 5.0)
        seen = b.wait_js(_state_is("n3", "dead"), 15)
        assert seen["mono_ns"] > ev["at_ns"], (seen, ev)
        # The page stamps when it first drew the state (Date.now()); the
        # event has n1's wall clock: the same clock, so this lag does not
        # include how late this test process looked.
        shown_ms = int(b.js("return document.querySelector('#members "
                            "[data-name=\"n3\"]').dataset.shownAt;"))
        event_ms = datetime.datetime.fromisoformat(
            ev["wall_time"].replace("Z", "+00:00")).timestamp() * 1000
        lag_s = (shown_ms - event_ms) / 1000
        assert lag_s >= 0, (shown_ms, ev)   # the event, then the page
        assert lag_s <= PAGE_LAG_S, (
            f"the page showed n3 dead {lag_s:.3f} s after n1's event")
        b.wait_js("return Array.from(document.querySelectorAll('#events li'))"
                  ".some(e => /peer n3 \\w+ \u2192 dead/.test("
                  "e.textContent));", 5)
        assert b.js(_state_is("n2", "alive"))

        # Nothing came from anywhere but hbeatd.
        names = b.js("return performance.getEntriesByType('resource')"
                     ".map(e => e.name).concat(performance"
                     ".getEntriesByType('navigation').map(e => e.name));")
        assert names, names
        foreign = [n for n in names if not n.startswith(origin + "/")]
        assert foreign == [], foreign
        assert b.js("return document.body.dataset.live") == "true"

        shot = os.environ.get("HBEAT_DASHBOARD_SCREENSHOT") or \
            os.path.join(c.workdir, "dashboard.png")
        b.js("document.activeElement && document.activeElement.blur(); "
             "return 1;")
        b.screenshot(shot)
        assert os.path.getsize(shot) > 0

        # Phone width: cards in one column, no sideways scrolling.
        b.size(390, 844)
        b.wait_js("return window.innerWidth <= 400;", 5)
        geo = b.js("return [document.documentElement.scrollWidth, "
                   "window.innerWidth, Array.from(document.querySelectorAll("
                   "'#members .member')).map(e => "
                   "Math.round(e.getBoundingClientRect().left))];")
        scroll_w, inner_w, lefts = geo
        assert scroll_w <= inner_w, geo
        assert len(set(lefts)) == 1, geo   # stacked
    finally:
        b.close()


def test_dashboard_events_endpoint(make_cluster):
    """/v1/events?after=ID: the event stream's objects with ids; the page's
    files with their CSP; a bad id is a 400."""
    c = _cluster(make_cluster)
    page, js, css, ev, bad, head = http(
        c, 1, ("GET", "/"), ("GET", "/dashboard.js"),
        ("GET", "/dashboard.css"), ("GET", "/v1/events"),
        ("GET", "/v1/events?after=x1"), ("HEAD", "/"))
    for r, ctype in ((page, "text/html"), (js, "text/javascript"),
                     (css, "text/css")):
        assert r["status"] == 200, r
        h = r["headers"]
        assert h["content-type"].startswith(ctype), h
        assert h["cache-control"] == "no-store", h
        csp = h["content-security-policy"]
        assert "default-src 'none'" in csp and "connect-src 'self'" in csp
        assert "script-src 'self'" in csp and "http" not in csp, csp
        assert h["x-content-type-options"] == "nosniff", h
    assert '<script src="/dashboard.js"' in page["body"]
    # No absolute URL anywhere in the page's files.
    for r in (page, js, css):
        assert "//" not in r["body"].replace(
            "http://www.w3.org/2000/svg", "").replace(
            "// ", "").replace("//\n", ""), "an absolute URL?"
    assert head["status"] == 200 and head["body"] == "", head

    doc = json.loads(ev["body"])
    assert doc["ok"] is True
    events = doc["events"]
    ids = [e["id"] for e in events]
    assert ids == list(range(1, len(ids) + 1)) and ids, ids
    assert doc["first_id"] == 1 and doc["last_id"] == ids[-1]
    alive = {e["peer"] for e in events if e["event"] == "peer_state"
             and e["new"] == "alive"}
    assert alive == {"n2", "n3"}, events
    # The same objects as the control socket's ring, plus the id.
    ring = c.ctl(1, {"cmd": "events"})["events"]
    assert [dict(e, id=None) for e in events] == \
        [dict(e, id=None) for e in ring[:len(events)]]

    assert bad["status"] == 400, bad
    assert bad["headers"]["content-security-policy"]

    # after=ID: only the events that came after ID (the election may
    # still add some), in order, up to last_id.
    last = doc["last_id"]
    r = json.loads(http(c, 1, ("GET", f"/v1/events?after={last}"))["body"])
    assert [e["id"] for e in r["events"]] == \
        list(range(last + 1, r["last_id"] + 1)), r
    t0 = c.kill(3)
    c.wait_event(1, peer="n3", new="dead", since_ns=t0,
                 timeout=c.detect_timeout() + 5.0)
    r = json.loads(http(c, 1, ("GET", f"/v1/events?after={last}"))["body"])
    assert [e["id"] for e in r["events"]] == \
        list(range(last + 1, r["last_id"] + 1)), r
    assert any(e.get("peer") == "n3" and e.get("new") == "dead"
               for e in r["events"]), r


def test_dashboard_suspicion_history(make_cluster):
    """/v1/suspicion: a value a second per peer over the last minute,
    oldest first; a killed peer's rises past the dead threshold; a peer a
    reload removes is gone from it."""
    c = _cluster(make_cluster, election=False)
    dead_threshold = c.status(1)["node"]["dead_threshold"]

    def doc():
        r = http(c, 1, ("GET", "/v1/suspicion"))
        assert r["status"] == 200, r
        assert "content-security-policy" in r["headers"], r
        return json.loads(r["body"])

    d = c.wait_until(lambda: (lambda d: d if all(
        sum(v is not None for v in m["suspicion"]) >= 2
        for m in d["members"]) else None)(doc()), 10.0,
        "two seconds of samples")
    assert d["ok"] is True and d["sample_ms"] == 1000 and \
        d["samples"] == 60, d
    assert [m["name"] for m in d["members"]] == ["n2", "n3"], d
    for m in d["members"]:
        vals = m["suspicion"]
        assert len(vals) == 60, m
        # Samples fill from the newest end (the current second is last).
        assert all(v is None for v in vals[:40]), m
        assert all(v is None or 0 <= v < dead_threshold for v in vals), m

    c.kill(3)

    def n3_high():
        d = doc()
        n3 = [m for m in d["members"] if m["name"] == "n3"][0]["suspicion"]
        newest = [v for v in n3 if v is not None][-1:]
        return d if newest and newest[0] > dead_threshold else None
    d = c.wait_until(n3_high, c.detect_timeout() + 10.0,
                     "n3's sampled suspicion above the dead threshold")
    n2 = [m for m in d["members"] if m["name"] == "n2"][0]["suspicion"]
    assert [v for v in n2 if v is not None], d

    cfg = c.config_dict(1)
    cfg["peers"] = [p for p in cfg["peers"] if p["name"] != "n3"]
    c.write_config(1, cfg)
    assert c.ctl(1, {"cmd": "reload"})["ok"] is True
    d = doc()
    assert [m["name"] for m in d["members"]] == ["n2"], d
    assert len([v for v in d["members"][0]["suspicion"]
                if v is not None]) >= 2, d
