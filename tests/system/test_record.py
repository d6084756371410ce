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
    assert "cannot show a rate below" in sg.stdout, sg.stdout


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
