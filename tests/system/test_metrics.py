# SPDX-License-Identifier: MIT
"""/metrics (docs/http.md, docs/operations.md "Metrics") on real daemons:
a live scrape passes `promtool check metrics` (Debian's prometheus
package), and the values move with what happens to the cluster:

- a node paused (SIGSTOP) for longer than the suspect time but shorter
  than the dead time and resumed: its observers count a false suspicion;
- a node killed: its state gauge says dead, its transitions counter to
  dead moved; removed from the config by a reload, its series end;
- with election on, the leader killed: the survivors' failover histogram
  counts one failover; a health check shows as passing.

Scrapes are made from inside the node's namespace (test_http.http())."""

import re
import shutil
import signal
import subprocess
import time

import pytest

from test_checks import _write as write_checks
from test_http import HTTP_PORT, http, with_http

PROMTOOL = shutil.which("promtool")

# Pause test detector: suspect after 3 missed 100 ms intervals, dead only
# after 40 (4 s; dead_after off), so a 1.5 s pause is a suspicion only.
PAUSE_DETECTOR = {"detector": {"kind": "fixed", "suspect_threshold": 3,
                               "dead_threshold": 40, "dead_after_ms": 0}}
PAUSE_S = 1.5

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(c, i):
    """Node i's /metrics: (text, {(name, frozenset(labels)): value})."""
    r = http(c, i, ("GET", "/metrics"))
    assert r["status"] == 200, r
    assert r["headers"]["content-type"].startswith(
        "text/plain; version=0.0.4"), r["headers"]
    samples = {}
    for line in r["body"].splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = frozenset(_LABEL.findall(m.group(3) or ""))
        key = (m.group(1), labels)
        assert key not in samples, f"duplicate series: {line!r}"
        samples[key] = float(m.group(4))
    return r["body"], samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def promtool_check(text):
    """`promtool check metrics` on a scrape: no error, no lint problem."""
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=text,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and p.stdout.strip() == "", \
        f"promtool: rc {p.returncode}\n{p.stdout}\n{p.stderr}"


needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not installed (scripts/install-deps "
    "installs the prometheus package)")


@needs_promtool
def test_metrics_scrape_pause_kill(make_cluster):
    c = make_cluster(3, start=False, extra_config=PAUSE_DETECTOR)
    with_http(c, lambda n: f"{n.host}:{HTTP_PORT}")
    c.start_all()
    c.wait_all_alive(timeout=c.recover_timeout())

    text, s = scrape(c, 1)
    promtool_check(text)
    for peer in ("n2", "n3"):
        assert value(s, "hbeat_peer_state", peer=peer, state="alive") == 1
        assert value(s, "hbeat_peer_false_suspicions_total", peer=peer) == 0
        assert value(s, "hbeat_peer_heartbeats_received_total",
                     peer=peer) > 0
        assert value(s, "hbeat_peer_sent_bytes_total", peer=peer) > 0
        assert value(s, "hbeat_peer_received_bytes_total", peer=peer) > 0
        assert value(s, "hbeat_peer_rtt_seconds_count", peer=peer) \
            is not None
    assert value(s, "process_open_fds") > 0
    assert value(s, "process_resident_memory_bytes") > 0
    assert value(s, "process_start_time_seconds") > 1e9
    assert value(s, "hbeat_election_enabled") == 0
    assert value(s, "hbeat_notify_queue_depth") == 0
    for name in ("process_cpu_seconds_total", "process_max_fds",
                 "process_virtual_memory_bytes"):
        assert value(s, name) is not None, name
    assert value(s, "hbeat_dropped_messages_total", reason="replay") \
        is not None

    # Pause n2 past the suspect time, not to the dead time: a false
    # suspicion at n1, n2 never dead.
    t_stop = c.pause(2)
    c.wait_event(1, peer="n2", new="suspect", since_ns=t_stop,
                 timeout=PAUSE_S + 5)
    time.sleep(max(0.0, PAUSE_S - (time.monotonic_ns() - t_stop) / 1e9))
    t_cont = c.resume(2)
    c.wait_event(1, peer="n2", old="suspect", new="alive",
                 since_ns=t_stop, timeout=5)
    assert not [e for e in c.events(1, peer="n2", since_ns=t_stop)
                if e["new"] == "dead"], "n2 declared dead: pause too long"
    _, s = scrape(c, 1)
    assert value(s, "hbeat_peer_false_suspicions_total", peer="n2") == 1
    assert value(s, "hbeat_peer_false_suspicions_total", peer="n3") == 0
    assert value(s, "hbeat_peer_transitions_total", peer="n2",
                 **{"from": "alive", "to": "suspect",
                    "reason": "suspect_threshold"}) == 1
    assert value(s, "hbeat_peer_state", peer="n2", state="alive") == 1
    del t_cont

    # Kill n3: dead at n1, by whichever evidence came first.
    before = s
    t_kill = time.monotonic_ns()
    c.kill(3)
    # (port unreachable at once; else the dead threshold, 4 s)
    dead = c.wait_event(1, peer="n3", new="dead", since_ns=t_kill,
                        timeout=c.detect_timeout() + 5.0)
    text, s = scrape(c, 1)
    promtool_check(text)
    assert value(s, "hbeat_peer_state", peer="n3", state="dead") == 1
    assert value(s, "hbeat_peer_state", peer="n3", state="alive") == 0
    assert value(before, "hbeat_peer_state", peer="n3", state="dead") == 0
    key = {"from": dead["old"], "to": "dead", "reason": dead["reason"]}
    assert (value(before, "hbeat_peer_transitions_total", peer="n3", **key)
            or 0) == 0
    assert value(s, "hbeat_peer_transitions_total", peer="n3", **key) == 1
    assert value(s, "hbeat_peers", state="dead") == 1

    # A reload that removes n3: its series end (the transitions kept for
    # it included), n2's stay.
    cfg = c.config_dict(1)
    cfg["peers"] = [p for p in cfg["peers"] if p["name"] != "n3"]
    c.write_config(1, cfg)
    c.send_signal(1, signal.SIGHUP)
    c.wait_until(lambda: value(scrape(c, 1)[1], "hbeat_reloads_total") == 1,
                 5.0, "n1's reload")
    text, s = scrape(c, 1)
    promtool_check(text)
    peers = {v for k in s for (n, v) in k[1] if n == "peer"}
    assert peers == {"n2"}, peers
    assert value(s, "hbeat_peer_false_suspicions_total", peer="n2") == 1
    assert value(s, "hbeat_peers", state="dead") == 0


@needs_promtool
def test_metrics_failover(make_cluster):
    c = make_cluster(3, start=False, election=True)
    with_http(c, lambda n: f"{n.host}:{HTTP_PORT}")
    for i in c.nodes:
        write_checks(c, i, [{"name": "app.x-1", "kind": "exec",
                             "command": ["/bin/true"], "interval_ms": 200,
                             "timeout_ms": 200, "rise": 1, "fall": 1}])
    c.start_all()
    c.wait_all_alive(timeout=c.recover_timeout())
    leader, _ = c.wait_leader(timeout=5.0)
    lid = int(leader.lstrip("n"))
    survivors = [i for i in c.nodes if i != lid]

    def passing():
        s = scrape(c, survivors[0])[1]
        return s if value(s, "hbeat_check_state", check="app.x-1",
                          kind="exec", state="passing") == 1 else None
    s = c.wait_until(passing, 5.0, "the check passing in /metrics")
    assert value(s, "hbeat_check_runs_total", check="app.x-1",
                 result="ok") >= 1
    text, s = scrape(c, survivors[0])
    promtool_check(text)
    assert value(s, "hbeat_election_enabled") == 1
    assert value(s, "hbeat_role", role="follower") == 1
    assert value(s, "hbeat_quorate") == 1
    assert value(s, "hbeat_term") >= 1
    before = {i: value(scrape(c, i)[1], "hbeat_failover_duration_seconds_count")
              for i in survivors}
    assert before == {i: 0 for i in survivors}, before

    c.kill(lid)
    c.wait_leader(nodes=survivors, timeout=c.detect_timeout() + 5.0,
                  exclude=(leader,))

    def counted():
        counts = {i: value(scrape(c, i)[1],
                           "hbeat_failover_duration_seconds_count")
                  for i in survivors}
        return counts if all(v >= 1 for v in counts.values()) else None
    c.wait_until(counted, 5.0, "a failover counted on both survivors")
    text, s = scrape(c, survivors[0])
    promtool_check(text)
    n = value(s, "hbeat_failover_duration_seconds_count")
    total = value(s, "hbeat_failover_duration_seconds_sum")
    inf = value(s, "hbeat_failover_duration_seconds_bucket", le="+Inf")
    assert inf == n >= 1 and 0 < total < n * (c.detect_timeout() + 5.0), \
        (n, inf, total)
    assert value(s, "hbeat_failovers_started_total") == n
    assert value(s, "hbeat_leaderless") == 0
