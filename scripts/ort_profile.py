#!/usr/bin/python3
"""Where a μLM's time goes: ONNX Runtime profiles (headstart bench --profile DIR) summed per op.

    scripts/ort_profile.py DIR [--md FILE]

Each DIR/<model>.<kernels>.t<threads>_<date>.json is one bench process's profile: every session run
("model_run") with the kernel time of each node inside it. A run is a prefill when its first MatMul-like
node saw more than one position, else a decode step. Per file, per kind of run: the mean ms per run, and
per op group (the attention and MLP projections, the output projection, attention itself, norms, the rest)
the share of the node time and ms per run. The profiler adds its own overhead; read the shares, and time
without --profile.
"""
import argparse
import glob
import json
import os
import re
import sys
from collections import defaultdict

MATMULS = {"MatMul", "MatMulNBits", "DynamicQuantizeMatMul", "MatMulInteger", "FusedMatMul", "Gemm"}


def rank_of_first_input(ev):
    for sh in ev["args"].get("input_type_shape") or []:
        for dims in sh.values():
            return len(dims)
    return None


def group(ev, vocab):
    """The op group of one node event."""
    op = ev["args"].get("op_name", "?")
    if op in MATMULS:
        out_last = None
        for sh in ev["args"].get("output_type_shape") or []:
            for dims in sh.values():
                out_last = dims[-1] if dims else None
        if out_last == vocab:
            return "output projection"
        if rank_of_first_input(ev) == 4:  # [batch, heads, positions, head_dim]
            return "attention (QK, AV)"
        return "attention + MLP projections"
    if op in ("Softmax", "Where"):
        return "attention (softmax, mask)"
    if op in ("SkipSimplifiedLayerNormalization", "SimplifiedLayerNormalization", "LayerNormalization"):
        return "norms"
    if op in ("Concat", "Reshape", "Shape", "Slice", "Unsqueeze", "Gather", "Transpose", "Range", "Cast", "Squeeze",
              "Expand", "ConstantOfShape", "Equal", "Greater", "LessOrEqual", "And", "Sub", "Neg", "Div"):
        return "shapes, KV concat, gathers"
    return "elementwise (" + ",".join(sorted({"Add", "Mul", "QuickGelu", "Sin", "Cos"} & {op})) + ")" \
        if op in ("Add", "Mul", "QuickGelu", "Sin", "Cos") else "other: " + op


def positions(ev):
    for s in ev["args"].get("input_type_shape") or []:
        for dims in s.values():
            if len(dims) == 3:
                return dims[1]
    return None


def summarize(path):
    events = json.load(open(path))
    runs = sorted((e for e in events if e.get("cat") == "Session" and e.get("name") == "model_run"),
                  key=lambda e: e["ts"])
    nodes = sorted((e for e in events if e.get("cat") == "Node" and e["name"].endswith("_kernel_time")),
                   key=lambda e: e["ts"])
    vocab = None
    for e in nodes:  # the output projection's width: the widest MatMul output
        if e["args"].get("op_name") in MATMULS:
            for s in e["args"].get("output_type_shape") or []:
                for dims in s.values():
                    if dims:
                        vocab = max(vocab or 0, dims[-1])
    kinds = {"prefill": defaultdict(float), "decode": defaultdict(float)}
    counts = {"prefill": 0, "decode": 0}
    node_count = {"prefill": 0, "decode": 0}
    wall = {"prefill": 0.0, "decode": 0.0}
    i = 0
    for r in runs:
        start, end = r["ts"], r["ts"] + r["dur"]
        inside = []
        while i < len(nodes) and nodes[i]["ts"] < start:
            i += 1
        j = i
        while j < len(nodes) and nodes[j]["ts"] <= end:
            inside.append(nodes[j])
            j += 1
        i = j
        first = next((positions(e) for e in inside if e["args"].get("op_name") in MATMULS and positions(e)), None)
        kind = "prefill" if first and first > 1 else "decode"
        counts[kind] += 1
        node_count[kind] += len(inside)
        wall[kind] += r["dur"] / 1000
        for e in inside:
            kinds[kind][group(e, vocab)] += e["dur"] / 1000
    return {"file": os.path.basename(path), "runs": counts,
            "node_count": {k: node_count[k] / counts[k] for k in counts if counts[k]}, "ms_per_run": {k: wall[k] / counts[k] for k in counts if counts[k]},
            "groups": {k: {g: {"ms_per_run": v / counts[k], "share": v / sum(kinds[k].values())}
                           for g, v in sorted(kinds[k].items(), key=lambda kv: -kv[1])}
                       for k in kinds if counts[k]}}


def markdown(summaries):
    lines = []
    for s in summaries:
        name = re.sub(r"_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d(_\d+)?\.json$", "", s["file"])
        lines.append(f"**{name}** — " + ", ".join(f"{k}: {s['runs'][k]} runs, {s['ms_per_run'][k]:.2f} ms each "
                                                   f"({s['node_count'][k]:.0f} nodes a run)"
                                                   for k in ("prefill", "decode") if k in s["ms_per_run"]))
        lines.append("")
        lines.append("| op group | prefill ms/run | prefill share | decode ms/run | decode share |")
        lines.append("| --- | --- | --- | --- | --- |")
        gs = list(dict.fromkeys(list(s["groups"].get("decode", {})) + list(s["groups"].get("prefill", {}))))
        for g in gs:
            p = s["groups"].get("prefill", {}).get(g)
            d = s["groups"].get("decode", {}).get(g)
            lines.append(f"| {g} | " + (f"{p['ms_per_run']:.3f} | {p['share'] * 100:.0f}%" if p else "— | —") + " | " +
                         (f"{d['ms_per_run']:.3f} | {d['share'] * 100:.0f}%" if d else "— | —") + " |")
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir")
    p.add_argument("--md", help="write the tables here too")
    p.add_argument("--json", help="write the summaries as JSON here")
    a = p.parse_args(argv)
    files = sorted(glob.glob(os.path.join(a.dir, "*.json")))
    if not files:
        raise SystemExit(f"scripts/ort_profile.py: no profiles in {a.dir} (headstart bench --profile {a.dir})")
    summaries = []
    for f in files:
        try:
            summaries.append(summarize(f))
        except (ValueError, KeyError) as e:
            raise SystemExit(f"scripts/ort_profile.py: {f} is not an ONNX Runtime profile: {e}")
    md = markdown(summaries)
    print(md)
    if a.md:
        open(a.md, "w").write(md + "\n")
    if a.json:
        json.dump(summaries, open(a.json, "w"), indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
