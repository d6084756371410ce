# SPDX-License-Identifier: MIT
"""Bad configuration stops hbeatd with exit status 2 and FILE:LINE:COL;
`hbeatctl check-config` agrees, and explains a good config's timings."""

import base64
import os
import re
import subprocess

import pytest

TIMEOUT_S = 10


def write_key(path, mode=0o600):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(base64.b64encode(os.urandom(32)) + b"\n")
    os.chmod(path, mode)


def config_lines(tmp_path):
    key = tmp_path / "cluster.key"
    if not key.exists():
        write_key(key)
    return [
        "node: {name: n1, id: 1}",
        'listen: "127.0.0.1:17401"',
        f"cluster: {{id: 7, key_file: {key}}}",
        "heartbeat:",
        "  interval_ms: 100",
        "detector:",
        "  kind: phi",
        "membership: {probation_ms: 500}",
        f"control: {{socket: {tmp_path / 'n1.sock'}}}",
        "peers:",
        '  - {name: n2, id: 2, address: "127.0.0.1:17402"}',
    ]


def write(tmp_path, lines, name="hbeatd.yaml"):
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return str(p)


def run(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True,
                              timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(argv)} still running after {TIMEOUT_S}s "
                    "(it should have refused the config and exited 2)")


def broken_unknown_key(lines):
    lines.insert(5, "  bogus_knob: 3")          # inside heartbeat:
    return 6


def broken_bad_value(lines):
    lines[4] = "  interval_ms: 0"               # range 1..3600000
    return 5


def broken_bad_enum(lines):
    lines[6] = "  kind: banana"
    return 7


def broken_peer_address(lines):
    lines.append('  - {name: n3, id: 3, address: "127.0.0.1:99999"}')
    return len(lines)


BROKEN = [broken_unknown_key, broken_bad_value, broken_bad_enum,
          broken_peer_address]


@pytest.mark.parametrize("breaker", BROKEN, ids=lambda f: f.__name__[7:])
def test_broken_config_exit_2_with_line(tmp_path, build_dir, breaker):
    lines = config_lines(tmp_path)
    line = breaker(lines)
    path = write(tmp_path, lines)
    pat = re.compile(re.escape(os.path.basename(path)) + rf":{line}:\d+: ")

    p = run([os.path.join(build_dir, "hbeatd"), "-c", path])
    assert p.returncode == 2, f"hbeatd exit {p.returncode}, stderr: {p.stderr}"
    assert pat.search(p.stderr), \
        f"hbeatd stderr lacks '{os.path.basename(path)}:{line}:COL: ': " \
        f"{p.stderr!r}"
    assert path in p.stderr, f"message should name the file as given: " \
        f"{p.stderr!r}"

    q = run([os.path.join(build_dir, "hbeatctl"), "check-config", path])
    assert q.returncode == 2, \
        f"check-config exit {q.returncode}: {q.stdout} {q.stderr}"
    assert pat.search(q.stderr + q.stdout), (q.stdout, q.stderr)


def test_key_file_readable_by_others_refused(tmp_path, build_dir):
    lines = config_lines(tmp_path)
    os.chmod(tmp_path / "cluster.key", 0o644)
    path = write(tmp_path, lines)
    p = run([os.path.join(build_dir, "hbeatd"), "-c", path])
    assert p.returncode == 2, f"exit {p.returncode}: {p.stderr}"
    assert "key" in p.stderr.lower(), p.stderr


def test_check_config_valid(tmp_path, build_dir):
    path = write(tmp_path, config_lines(tmp_path))
    q = run([os.path.join(build_dir, "hbeatctl"), "check-config", path])
    assert q.returncode == 0, f"exit {q.returncode}: {q.stdout} {q.stderr}"
    out = q.stdout
    print(out)
    assert re.search(r"suspect[^\n]*\d", out, re.I), \
        f"no suspect timing in: {out!r}"
    assert re.search(r"dead[^\n]*\d", out, re.I), \
        f"no dead timing in: {out!r}"


@pytest.mark.parametrize("remote_votes,pace,by", [(1, "1 s", "remote"),
                                                  (0, "100 ms", "default")])
def test_check_config_explains_classes(tmp_path, build_dir, remote_votes,
                                       pace, by):
    """check-config prints each class's timing and peers, the traffic per
    class, and the interval the election counts in: the slowest class
    that holds a voter (docs/classes.md)."""
    lines = config_lines(tmp_path) + [
        f'  - {{name: n3, id: 3, address: "127.0.0.1:17403", '
        f'class: remote, votes: {remote_votes}}}',
        "classes:",
        "  - {name: remote, interval_ms: 1000, detector: fixed,"
        " dead_threshold: 5}",
        f"election: {{enabled: true, state_file: {tmp_path / 'state'}}}",
    ]
    path = write(tmp_path, lines)
    q = run([os.path.join(build_dir, "hbeatctl"), "check-config", path])
    assert q.returncode == 0, f"exit {q.returncode}: {q.stdout} {q.stderr}"
    out = q.stdout
    print(out)
    assert re.search(r"remote: every 1 s, fixed\n +suspect 3\.00, dead "
                     r"5\.00.*\n.*suspect after 3 s, dead after 5 s",
                     out), out
    assert re.search(r"peers: n3\b", out), out
    assert "class remote: 84.00 B/s to each of 1 peers" in out, out
    m = re.search(r"liveness: +interval (\S+ \S+) \(class (\S+),", out)
    assert m, out
    assert (m.group(1), m.group(2)) == (pace, by), out
