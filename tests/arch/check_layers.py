#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""No include cycle and no call cycle among the files of a directory.

    check_layers.py NM SOURCE_DIR OBJECT_DIR PREFIX

Includes: the `#include "daemon/x.h"`-style lines of SOURCE_DIR's .c and
.h files (x.h stands for x.c). Calls: for each object file of OBJECT_DIR
whose name contains PREFIX (meson names them src_daemon_x.c.o), the
global functions it defines and the ones it uses (nm); x.o -> y.o when x
uses a function y defines. Either graph with a cycle fails, printing the
cycle. The architecture issue asks that modules only talk through the
bus: this keeps it so.
"""

import os
import re
import subprocess
import sys


def find_cycle(graph):
    """A list of nodes forming a cycle, or None (iterative DFS)."""
    state = {}
    for start in sorted(graph):
        if state.get(start):
            continue
        stack = [(start, iter(sorted(graph.get(start, ()))))]
        path = [start]
        state[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, iter(sorted(graph.get(nxt, ())))))
    return None


def main():
    nm, src, objdir, prefix = sys.argv[1:5]
    base = os.path.basename(os.path.normpath(src))
    inc = re.compile(r'#include "' + re.escape(base) + r'/([a-z_]+)\.h"')
    graph = {}
    for f in sorted(os.listdir(src)):
        if not f.endswith((".c", ".h")):
            continue
        me = f[:-2]
        with open(os.path.join(src, f)) as fh:
            for m in inc.finditer(fh.read()):
                if m.group(1) != me:
                    graph.setdefault(me, set()).add(m.group(1))
    cycle = find_cycle(graph)
    status = 0
    if cycle:
        print("FAIL: include cycle: " + " -> ".join(cycle))
        status = 1

    defs, uses = {}, {}
    objs = [o for o in os.listdir(objdir)
            if prefix in o and o.endswith(".o")]
    for o in objs:
        name = o.split(prefix, 1)[1].split(".")[0]
        out = subprocess.run([nm, os.path.join(objdir, o)], check=True,
                             capture_output=True, text=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] == "T":
                defs[parts[2]] = name
            elif len(parts) == 2 and parts[0] == "U":
                uses.setdefault(name, set()).add(parts[1])
    calls = {}
    for name, syms in uses.items():
        for s in syms:
            if s in defs and defs[s] != name:
                calls.setdefault(name, set()).add(defs[s])
    cycle = find_cycle(calls)
    if cycle:
        print("FAIL: call cycle: " + " -> ".join(cycle))
        status = 1
    if not objs:
        print("FAIL: no object files with %r in %s" % (prefix, objdir))
        status = 1
    if status == 0:
        print("ok: %d files, %d include and %d call edges, no cycle" % (
            len(set(graph) | {n for v in graph.values() for n in v}),
            sum(len(v) for v in graph.values()),
            sum(len(v) for v in calls.values())))
    return status


if __name__ == "__main__":
    sys.exit(main())
