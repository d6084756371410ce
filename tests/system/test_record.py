# SPDX-License-Identifier: MIT
"""`hbeatctl record`: a live peer's heartbeat arrivals as a trace file
(docs/trace-format.md) that the trace reader accepts (`hbeat-sim eval`),
and `hbeatctl suggest --trace` on it."""

import csv
import os
import signal
import statistics
import subprocess
import time

import pytest

HEADER = ["kind", "peer", "seq", "send_ns", "arrival_ns"]


def read_trace(path):
    """(metadata dict, rows) of a trace file, checking its layout."""
    meta, rows = {}, []
    with open(path, newline="") as f:
        lines = f.read().splitlines()
    assert lines and lines[0] == "# hbeat-trace v1", lines[:3]
    body = []
    for ln in lines[1:]:
        if ln.startswith("#"):
            k, _, v = ln[1:].strip().partition("=")
            meta[k] = v
        else:
            body.append(ln)
    reader = csv.reader(body)
    assert next(reader) == HEADER
    for r in reader:
        rows.append(r)
    return meta, rows


def hbeat_sim_eval_works(build_dir):
    sim = os.path.join(build_dir, "hbeat-sim")
    if not os.access(sim, os.X_OK):
        return False
    p = subprocess.run([sim, "eval", "--help"], capture_output=True,
                       text=True, timeout=10)
    return p.returncode == 0


def record(c, peer, *args, timeout=30):
    return subprocess.run([c.hbeatctl, "-s", c.nodes[1].sock_path, "record",
                           peer, *args], capture_output=True, text=True,
                          timeout=timeout)


def test_record_live_peer(make_cluster, build_dir, tmp_path):
    c = make_cluster(2)
    out = tmp_path / "n2.csv"
    t0 = time.monotonic_ns()
    p = record(c, "n2", "--duration", "3", "-o", str(out))
    t1 = time.monotonic_ns()
    assert p.returncode == 0, p.stderr
    assert "heartbeats of n2" in p.stdout, p.stdout

    meta, rows = read_trace(out)
    assert meta["interval_ns"] == str(c.interval_ms * 1_000_000), meta
    assert meta["peer"] == "n2", meta
    assert meta["source"] == "hbeatctl record (node n1)", meta
    hb = [r for r in rows if r[0] == "hb"]
    assert rows[-1][0] == "end" and len(rows) == len(hb) + 1, rows[-3:]
    assert all(r[1] == "n2" for r in rows), rows[:3]

    seqs = [int(r[2]) for r in hb]
    arr = [int(r[4]) for r in hb]
    end = int(rows[-1][4])
    gaps = [(b - a) / 1e6 for a, b in zip(arr, arr[1:])]
    print(f"{len(hb)} heartbeats, seq {seqs[0]}..{seqs[-1]}, arrival "
          f"intervals median {statistics.median(gaps):.2f} ms, min "
          f"{min(gaps):.2f}, max {max(gaps):.2f}; recorded "
          f"{(end - arr[0]) / 1e6:.0f} ms")
    assert 27 <= len(hb) <= 32, len(hb)
    assert all(b > a for a, b in zip(seqs, seqs[1:])), seqs
    assert all(int(r[3]) > 0 for r in hb)
    assert 95 <= statistics.median(gaps) <= 105, gaps
    assert all(50 < g < 150 for g in gaps), gaps
    # Arrival and end times are this host's CLOCK_MONOTONIC.
    assert t0 <= arr[0] and end <= t1 and arr[-1] <= end, (t0, arr, end, t1)
    assert 2.9e9 <= end - t0 <= 3.5e9, end - t0

    if hbeat_sim_eval_works(build_dir):
        ev = subprocess.run([os.path.join(build_dir, "hbeat-sim"), "eval",
                             str(out), "--detector", "phi"],
                            capture_output=True, text=True, timeout=30)
        assert ev.returncode == 0, ev.stderr
        print(ev.stdout)
        assert "phi" in ev.stdout, ev.stdout
    else:
        print("hbeat-sim eval not available: checked with Python only")

    sg = subprocess.run([c.hbeatctl, "suggest", "--trace", str(out),
                         "--max-mistakes-per-week", "1", "--detector",
                         "phi,fixed"],
                        capture_output=True, text=True, timeout=60)
    print(sg.stdout)
    assert sg.returncode == 0, sg.stderr
    assert "detector:\n  kind: " in sg.stdout, sg.stdout
    # 3 s cannot show one mistake per week: the output says so.
    assert "no count in this trace" in sg.stdout, sg.stdout


def test_record_unknown_peer(make_cluster, tmp_path):
    c = make_cluster(2)
    out = tmp_path / "x.csv"
    p = record(c, "nX", "--duration", "1", "-o", str(out))
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert "unknown peer 'nX'" in p.stderr, p.stderr
    assert not out.exists()


def test_record_until_sigint(make_cluster, tmp_path):
    """Without --duration, Ctrl-C ends the recording cleanly (exit 0, an
    end row)."""
    c = make_cluster(2)
    out = tmp_path / "n2.csv"
    proc = subprocess.Popen([c.hbeatctl, "-s", c.nodes[1].sock_path,
                             "record", "n2", "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    # Rows are flushed one by one: wait for the first few.
    c.wait_until(lambda: out.exists() and
                 out.read_bytes().count(b"\nhb,") >= 3,
                 timeout=10 * c.interval_s + 2,
                 what="rows in the recording", interval=0.05)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 0, stderr
    meta, rows = read_trace(out)
    assert len(rows) >= 4 and rows[-1][0] == "end", rows[-3:]
    assert int(rows[-1][4]) >= int(rows[-2][4]), rows[-2:]


@pytest.mark.parametrize("args", [[], ["n2", "extra"],
                                  ["n2", "--duration", "0"],
                                  ["n2", "--duration", "x"]])
def test_record_usage(build_dir, args):
    p = subprocess.run([os.path.join(build_dir, "hbeatctl"), "-s",
                        "/nonexistent.sock", "record", *args],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 2, (args, p.stderr)


def test_record_stream_protocol(make_cluster):
    """The raw stream: ack, arrival lines; a reload that removes the peer
    ends it with an error line."""
    import json
    import socket

    c = make_cluster(3)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(c.nodes[1].sock_path)
        s.sendall(b'{"cmd":"record","peer":"n3"}\n')
        f = s.makefile("rb")
        ack = json.loads(f.readline())
        assert ack["ok"] and ack["record"] and ack["peer"] == "n3", ack
        assert ack["node"] == "n1" and ack["peer_id"] == 3, ack
        assert ack["interval_ns"] == c.interval_ms * 1_000_000, ack
        lines = [json.loads(f.readline()) for _ in range(3)]
        for ln in lines:
            assert set(ln) == {"seq", "send_ns", "arrival_ns"}, ln
            assert ln["arrival_ns"] >= ack["now_ns"], (ack, ln)
        assert [x["seq"] for x in lines] == \
            list(range(lines[0]["seq"], lines[0]["seq"] + 3)), lines

        cfg = c.config_dict(1)
        cfg["peers"] = [p for p in cfg["peers"] if p["name"] != "n3"]
        c.write_config(1, cfg)
        assert c.ctl(1, {"cmd": "reload"}, timeout=5.0)["ok"]
        # Arrivals already queued may come first; then the error, then EOF.
        last = None
        for raw in f:
            last = json.loads(raw)
        assert last is not None and last.get("ok") is False, last
        assert "removed from the configuration" in last["error"], last


def _snippets(text):
    """The YAML config snippets in suggest's output: each starts at a
    'heartbeat:' line and ends at the first blank or comment line."""
    out, cur = [], None
    for ln in text.splitlines():
        if ln == "heartbeat:":
            cur = [ln]
            out.append(cur)
        elif cur is not None and ln and not ln.startswith("#"):
            cur.append(ln)
        else:
            cur = None
    return ["\n".join(s) + "\n" for s in out]


def _check_snippet(ctl, tmp_path, snippet):
    key = tmp_path / "cluster.key"
    if not key.exists():
        subprocess.run([ctl, "keygen", str(key)], check=True, timeout=10)
    cfg = tmp_path / "n1.yaml"
    cfg.write_text(
        "node: {name: n1, id: 1}\n"
        "listen: \"127.0.0.1:7401\"\n"
        f"cluster: {{id: 7, key_file: \"{key}\"}}\n"
        f"control: {{socket: \"{tmp_path}/n1.sock\"}}\n"
        "peers:\n  - {name: n2, id: 2, address: \"127.0.0.1:7402\"}\n"
        + snippet)
    p = subprocess.run([ctl, "check-config", str(cfg)], capture_output=True,
                       text=True, timeout=10)
    assert p.returncode == 0, (snippet, p.stderr)


def test_suggested_configs_load(build_dir, tmp_path):
    """Every snippet suggest prints is a config hbeatd accepts."""
    import random
    ctl = os.path.join(build_dir, "hbeatctl")
    rnd = random.Random(3)
    trace = tmp_path / "t.csv"
    rows, t = [], 10**9
    for seq in range(1, 3001):
        t += 100_000_000 + rnd.randint(-2_000_000, 2_000_000)
        if rnd.random() < 0.01:
            continue                    # lost
        rows.append(f"hb,n2,{seq},{seq * 100_000_000},{t}")
    trace.write_text("# hbeat-trace v1\n# interval_ns=100000000\n"
                     "# peer=n2\nkind,peer,seq,send_ns,arrival_ns\n"
                     + "\n".join(rows) + f"\nend,n2,,,{t + 50_000_000}\n")

    p = subprocess.run([ctl, "suggest", "--interval-ms", "100", "--rtt-ms",
                        "20"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 0, p.stderr
    snips = _snippets(p.stdout)
    assert len(snips) == 2, p.stdout
    for s in snips:
        _check_snippet(ctl, tmp_path, s)

    for kind in ("fixed", "phi", "chen", "bertier", "phi_exp", "adaptive"):
        p = subprocess.run([ctl, "suggest", "--trace", str(trace),
                            "--max-mistakes-per-week", "5000",
                            "--detector", kind],
                           capture_output=True, text=True, timeout=60)
        print(p.stdout)
        assert p.returncode in (0, 1), p.stderr
        if p.returncode == 1:
            assert "No detector meets the budget" in p.stdout, p.stdout
            continue
        snips = _snippets(p.stdout)
        assert len(snips) == 1 and f"kind: {kind}\n" in snips[0], p.stdout
        _check_snippet(ctl, tmp_path, snips[0])
