# SPDX-License-Identifier: MIT
"""The control socket answers every request line with exactly one line
(docs/control-protocol.md), blank ones included (review F11: a bare "\\n"
got no answer while "   \\n" got "bad request"), and goes on serving the
connection after them."""

import json
import socket


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
