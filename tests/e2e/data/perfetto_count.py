#!/usr/bin/env python3
"""Counts what a Perfetto trace holds, from `protoc --decode=perfetto.protos.Trace`
text on stdin (tests/e2e/convert_perfetto.t). Prints "key value" lines:
packets, samples (PerfSample), bad_refs (a callstack, frame or name iid used
before it was interned), top_leaf (the most frequent leaf function of the
samples), switches (sched_switch ftrace events), begins:NAME, ends_thread and
ends_child (slice ends on thread tracks and on their child tracks),
depth:TRACKNAME (deepest nesting of slices on tracks of that name),
unbalanced (ends with no open slice), instants:NAME, thread:TID NAME,
clock:ID."""
import collections
import sys


def parse(lines):
    """The text format as nested lists of (key, value-or-children)."""
    root = []
    stack = [root]
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if line.endswith("{"):
            node = (line[:-1].strip(), [])
            stack[-1].append(node)
            stack.append(node[1])
        elif line == "}":
            stack.pop()
        else:
            k, _, v = line.partition(":")
            v = v.strip()
            if v.startswith('"'):
                v = bytes(v[1:-1], "utf-8").decode("unicode_escape")
            stack[-1].append((k.strip(), v))
    return root


def get(node, key, default=None):
    for k, v in node:
        if k == key:
            return v
    return default


def main():
    packets = [v for k, v in parse(sys.stdin) if k == "packet"]
    out = collections.Counter()
    names = {}
    frames = {}
    stacks = {}
    track_name = {}
    track_parent = {}
    depth = collections.defaultdict(int)
    open_ = collections.defaultdict(int)
    leaves = collections.Counter()
    threads = {}
    for p in packets:
        out["packets"] += 1
        for k, v in p:
            if k == "interned_data":
                for ik, iv in v:
                    if ik == "function_names":
                        names[get(iv, "iid")] = get(iv, "str")
                    elif ik == "frames":
                        frames[get(iv, "iid")] = get(iv, "function_name_id")
                        if get(iv, "function_name_id") not in names:
                            out["bad_refs"] += 1
                    elif ik == "callstacks":
                        ids = [fv for fk, fv in iv if fk == "frame_ids"]
                        if any(f not in frames for f in ids):
                            out["bad_refs"] += 1
                        stacks[get(iv, "iid")] = ids
            elif k == "clock_snapshot":
                for ck, cv in v:
                    print("clock:%s" % get(cv, "clock_id"))
        seq = get(p, "trusted_packet_sequence_id")
        if seq != "1":
            out["bad_seq"] += 1
        td = get(p, "track_descriptor")
        if td is not None:
            uuid = get(td, "uuid")
            track_name[uuid] = get(td, "name")
            track_parent[uuid] = get(td, "parent_uuid")
            th = get(td, "thread")
            if th is not None:
                threads[get(th, "tid")] = get(th, "thread_name")
        ps = get(p, "perf_sample")
        if ps is not None:
            out["samples"] += 1
            cs = get(ps, "callstack_iid")
            if cs is not None:
                if cs not in stacks:
                    out["bad_refs"] += 1
                else:
                    leaves[names[frames[stacks[cs][-1]]]] += 1
        fe = get(p, "ftrace_events")
        if fe is not None:
            for ek, ev in fe:
                if ek == "event" and get(ev, "sched_switch") is not None:
                    out["switches"] += 1
        te = get(p, "track_event")
        if te is not None:
            typ, uuid = get(te, "type"), get(te, "track_uuid")
            if uuid not in track_name:
                out["bad_refs"] += 1
            child = track_name.get(uuid) is not None and track_parent.get(uuid) is not None
            if typ == "TYPE_SLICE_BEGIN":
                out["begins:" + get(te, "name", "?")] += 1
                open_[uuid] += 1
                label = track_name.get(uuid) or "thread"
                depth[label] = max(depth[label], open_[uuid])
            elif typ == "TYPE_SLICE_END":
                if open_[uuid] == 0:
                    out["unbalanced"] += 1
                else:
                    open_[uuid] -= 1
                out["ends_child" if child else "ends_thread"] += 1
            elif typ == "TYPE_INSTANT":
                out["instants:" + get(te, "name", "?")] += 1
                for dk, dv in te:
                    if dk == "debug_annotations":
                        out["args:" + get(dv, "name", "?")] += 1
    for k in ("packets", "samples", "switches", "bad_refs", "bad_seq", "unbalanced", "ends_thread", "ends_child"):
        out.setdefault(k, 0)
    for k, v in sorted(out.items()):
        print(k, v)
    for k, v in sorted(depth.items()):
        print("depth:%s %d" % (k, v))
    if leaves:
        print("top_leaf", leaves.most_common(1)[0][0])
    for tid, name in sorted(threads.items()):
        print("thread:%s %s" % (tid, name))


if __name__ == "__main__":
    main()
