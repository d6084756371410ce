# SPDX-License-Identifier: MIT
"""The control socket answers every request line with exactly one line
(docs/control-protocol.md), blank ones included (review F11: a bare "\\n"
got no answer while "   \\n" got "bad request"), and goes on serving the
connection after them."""

import json
import socket
import time


def test_blank_lines_get_one_answer_each(make_cluster):
    c = make_cluster(2)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(c.nodes[1].sock_path)
        s.sendall(b'\n   \n\r\n\t\n{"cmd":"status"}\n')
        f = s.makefile("rb")
        answers = [json.loads(f.readline()) for _ in range(5)]
    for a in answers[:4]:
        assert a["ok"] is False, answers
        assert "empty line" in a["error"], answers
    assert answers[4]["ok"] is True, answers
    assert answers[4]["node"]["name"] == "n1", answers


def test_idle_clients_do_not_lock_out(make_cluster):
    """Review F7: 64 idle connections locked every client out for good, and
    each refusal logged a line. Now one uid holds at most 32; a refusal is
    logged at most once per 10 s with a count; and once a connection has
    been idle for 10 s, a new client takes its place."""
    c = make_cluster(2)
    path = c.nodes[1].sock_path
    held, refused = [], 0
    try:
        for _ in range(32):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            held.append(s)
        # Same uid, none idle yet: refused (accepted, then closed).
        for _ in range(100):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(2)
                s.connect(path)
                try:
                    s.sendall(b'{"cmd":"status"}\n')
                    refused += s.recv(4096) == b""
                except (BrokenPipeError, ConnectionResetError):
                    refused += 1
        assert refused == 100, refused
        log = c.log_tail(1, lines=200)
        lines = [ln for ln in log.splitlines()
                 if "refusing a connection" in ln]
        assert 1 <= len(lines) <= 2, lines
        # Idle for 10 s: the next client gets in, and is answered.
        time.sleep(10.5)
        assert c.status(1)["node"]["name"] == "n1"
    finally:
        for s in held:
            s.close()
