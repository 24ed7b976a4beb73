#!/usr/bin/env python3
"""Helpers of tests/e2e/convert.t, on what the clients printed.

  stacks.py pprof-traces FILE        go tool pprof -traces output -> folded
                                     lines "comm;root;...;leaf COUNT", sorted
  stacks.py perf-tidy FILE           trec report --folded lines with the
                                     names as stackcollapse-perf writes them
                                     (arguments cut, "dso+0xOFF" -> "[dso]")
  stacks.py share FOLDED WORD        percent of the total whose stack has a
                                     frame WORD
  stacks.py speedscope DOM           sandwich table rows: "self% total% name"
                                     per row, from the widths of its bars
"""
import html
import re
import sys
from collections import Counter


def pprof_traces(path):
    out = Counter()
    comm, frames, count = None, [], None

    def flush():
        if count is not None:
            out[";".join([comm or "?"] + frames[::-1])] += count

    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        if line.startswith("-----------+"):
            flush()
            comm, frames, count = None, [], None
            continue
        m = re.match(r"^\s+(\w+):\s+(.*)$", line)
        if m and count is None and m.group(1) in ("pid", "tid", "comm", "host", "event"):
            if m.group(1) == "comm":
                comm = m.group(2)
            continue
        m = re.match(r"^\s+(\d+)\s{3}(\S.*)$", line)
        if m and count is None:
            count = int(m.group(1))
            frames.append(m.group(2).strip())
            continue
        if count is not None and line.startswith("             ") and line.strip():
            frames.append(line.strip())
    flush()
    for k in sorted(out):
        print(k, out[k])


def tidy(f):
    kernel = f.endswith("_[k]")
    if kernel:
        f = f[:-4]
    m = re.match(r"^(.+)\+0x[0-9a-f]+$", f)
    if m and "(" not in f:
        f = "[" + m.group(1) + "]"
    elif not re.search(r"\.\(.*\)\.", f):
        f = re.sub(r"\((?!anonymous namespace\)).*", "", f)
    f = f.replace('"', "")
    return f + ("_[k]" if kernel else "")


def perf_tidy(path):
    out = Counter()
    for line in open(path, encoding="utf-8", errors="replace"):
        stack, count = line.rstrip("\n").rsplit(" ", 1)
        parts = stack.split(";")
        out[";".join([parts[0].replace(" ", "_")] + [tidy(p) for p in parts[1:]])] += int(count)
    for k in sorted(out):
        print(k, out[k])


def share(path, word):
    total = hit = 0
    for line in open(path, encoding="utf-8", errors="replace"):
        stack, count = line.rstrip("\n").rsplit(" ", 1)
        total += int(count)
        if word in stack.split(";"):
            hit += int(count)
    print("%.2f" % (100.0 * hit / total if total else 0))


def speedscope(path):
    s = open(path, encoding="utf-8", errors="replace").read()
    for row in re.findall(r"<tr class=\"[^\"]*\">(.*?)</tr>", s, re.S):
        w = re.findall(r'style="width: ([0-9.]+)%;"', row)
        name = re.sub(r"<[^>]+>", "", row.split("</td>")[-2] if row.count("</td>") >= 3 else "")
        if len(w) >= 2:
            print("%s %s %s" % (w[1], w[0], html.unescape(name)))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "pprof-traces":
        pprof_traces(sys.argv[2])
    elif cmd == "perf-tidy":
        perf_tidy(sys.argv[2])
    elif cmd == "share":
        share(sys.argv[2], sys.argv[3])
    elif cmd == "speedscope":
        speedscope(sys.argv[2])
    else:
        sys.exit("unknown command " + cmd)
