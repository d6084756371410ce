# SPDX-License-Identifier: MIT
"""Round-trip times: every node measures each peer by echo (every 10th
heartbeat asks for an ACK) and reports them in `members` (JSON and the
table) and `status`; `hbeatctl suggest` turns the worst one into a
timeout."""

import re
import subprocess


def _rtt_ready(c, nodes):
    """{observer: members} once every member everywhere has a sample."""
    out = {}
    for i in nodes:
        ms = c.members_full(i)
        if not ms or any(m["rtt_samples"] == 0 for m in ms):
            return None
        out[i] = ms
    return out


def test_rtt_measured_on_every_link(make_cluster):
    c = make_cluster(3)
    # One probe per 10 heartbeats: a sample per peer every second.
    seen = c.wait_until(lambda: _rtt_ready(c, (1, 2, 3)),
                        timeout=20 * c.interval_s + 2.0,
                        what="an RTT sample for every member")
    for i, ms in seen.items():
        for m in ms:
            med, p99 = m["rtt_median_ms"], m["rtt_p99_ms"]
            print(f"n{i} -> {m['name']}: median {med} ms, p99 {p99} ms, "
                  f"{m['rtt_samples']} samples")
            assert 0 < med < 10, f"n{i}: {m['name']}: {m}"
            assert med <= p99 < 100, f"n{i}: {m['name']}: {m}"
        ctr = c.status(i)["counters"]
        assert ctr["acks_sent"] > 0 and ctr["rtt_samples"] > 0, ctr
        assert ctr["acks_withheld"] == 0 and ctr["local_pauses"] == 0, ctr

    table = subprocess.run([c.hbeatctl, "-s", c.nodes[1].sock_path,
                            "members"], capture_output=True, text=True,
                           timeout=10)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert "RTT" in lines[0].split(), lines[0]
    for line in lines[1:]:
        assert re.search(r"\b\d+\.\d\d/\d+\.\d\d ms\b", line), line


def test_rtt_null_before_first_sample(make_cluster):
    """A peer never heard from has no sample: null in JSON, '-' in the
    table."""
    c = make_cluster(2, start=False)
    c.start(1)
    m = c.members_full(1)[0]
    assert m["rtt_samples"] == 0, m
    assert m["rtt_median_ms"] is None and m["rtt_p99_ms"] is None, m
    table = subprocess.run([c.hbeatctl, "-s", c.nodes[1].sock_path,
                            "members"], capture_output=True, text=True,
                           timeout=10)
    assert table.returncode == 0, table.stderr
    head, row = table.stdout.splitlines()[:2]
    assert "RTT" in head.split(), head
    # LAST HB is "never", and the RTT cell right after it "-".
    assert row.split("never", 1)[1].split()[0] == "-", row


def test_suggest_from_the_daemon(make_cluster):
    c = make_cluster(3)
    c.wait_until(lambda: _rtt_ready(c, (1,)), timeout=20 * c.interval_s + 2,
                 what="RTT samples at n1")
    p = subprocess.run([c.hbeatctl, "-s", c.nodes[1].sock_path, "suggest"],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 0, p.stderr
    print(p.stdout)
    # On one machine 10 x RTT is far below 3 x interval.
    assert re.search(r"^timeout:\s+300 ms = max\(3 x interval = 300 ms, "
                     r"10 x RTT = ", p.stdout, re.M), p.stdout
    assert re.search(r"^RTT:\s+\d+\.\d+ ms \(p99 of peer n[23], the worst "
                     r"of 2 measured\)", p.stdout, re.M), p.stdout
    assert "suspect_threshold: 3\n" in p.stdout, p.stdout


def test_suggest_rule_offline(build_dir):
    """No daemon needed when both inputs are given."""
    import os
    ctl = os.path.join(build_dir, "hbeatctl")
    p = subprocess.run([ctl, "-s", "/nonexistent.sock", "suggest",
                        "--interval-ms", "100", "--rtt-ms", "50"],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 0, p.stderr
    assert re.search(r"^timeout:\s+500 ms = max\(3 x interval = 300 ms, "
                     r"10 x RTT = 500 ms\)", p.stdout, re.M), p.stdout
    # fixed: k = 5; phi: 100 + pause + 5.226 x 25 >= 500 -> pause 270 ms
    assert "suspect_threshold: 5\n  dead_threshold: 7\n" in p.stdout
    assert "acceptable_pause_ms: 270\n" in p.stdout, p.stdout
    assert "phi 8 at 500.65 ms" in p.stdout, p.stdout
