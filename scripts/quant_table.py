#!/usr/bin/python3
"""The inference-path table: quality cost (trained μLMs) and speed (every size) of each candidate.

    scripts/quant_table.py --bench build/quant/bench.json --eval build/quant/eval-mulm-8m,... --out build/quant

Quality, per trained μLM, against its fp32 candidate in the same `headstart eval` run: held-out reply
perplexity change and the share of Vicuna-bench prompts whose greedy opener (the μLM's own words,
"mulm_text") is identical. Speed, per model, from one `headstart bench` process (1 thread, cold prompt):
TTFT, 4 words and decode p50, each with its ratio to the fp32 candidate of the same model. The chosen
path: the fastest candidate (the μLM's own time to 4 words) whose perplexity cost
is <= 1% and whose openers are >= 95% identical, chosen per trained μLM (choose()) among those the native
loader makes from the one shipped file (runtime_kernels(): fp32, nbits8-bN, and nbits8-bN-head when the
file is in the form with the output projection's own int8 copy), since the browser needs that file as it is. Writes <out>/candidates.md, <out>/candidates.json and, with --kernels-out, the manifest the
loader reads (assets/models/kernels.json, native/ort_model.h).
"""
import argparse
import json
import os
import re
import sys

PPL_LIMIT = 0.01
IDENTICAL_MIN = 0.95


def split_name(path):
    """'build/quant/mulm-8m.dqmm.onnx' -> ('mulm-8m', 'dqmm'); a shipped 'mulm-8m-int8.onnx' -> ('mulm-8m', 'shipped')."""
    base = os.path.basename(path)
    base = base[:-5] if base.endswith(".onnx") else base
    stem, _, cand = base.partition(".")
    if not cand and stem.endswith("-int8"):
        return stem[:-5], "shipped"
    return stem, cand


def runtime_kernels(cand):
    """(the native loader's kernels, the shipped file's training/quant.py form) that give this candidate's
    numbers (native/ort_model.h; tests/test_ort_model.cpp), or None when only a file of the candidate's own
    form would (dqmm, 4-bit, fp16w)."""
    m = re.fullmatch(r"nbits8-b(\d+)(-head)?(-last)?", cand)
    if m:
        return f"nbits8-b{m.group(1)}", "dq-head-last" if m.group(2) else "dq-last"
    return ("fp32", "dq-last") if cand in ("fp32", "fp32-last") else None


def size_of(stem):
    m = re.search(r"(\d+m)", stem)
    return m.group(1).upper() if m else stem


def load_quality(eval_dir):
    summary = json.load(open(os.path.join(eval_dir, "summary.json")))
    openers = {}
    with open(os.path.join(eval_dir, "turns.jsonl")) as f:
        for line in f:
            row = json.loads(line)
            openers.setdefault(row["system"], {})[row["prompt_id"]] = row.get("mulm_text", "")
    out = {}
    systems = summary.get("systems", {})
    for name, sys_ in systems.items():
        stem, cand = split_name(name)
        if not cand:
            continue
        h = sys_.get("heldout") or {}
        out.setdefault(stem, {})[cand] = {"reply_perplexity": h.get("reply_perplexity"),
                                         "openers": openers.get(name, {})}
    for stem, cands in out.items():
        ref = cands.get("fp32")
        if not ref:
            raise SystemExit(f"scripts/quant_table.py: {eval_dir} has no {stem}.fp32 system")
        for cand, q in cands.items():
            ids = sorted(ref["openers"])
            same = sum(1 for i in ids if q["openers"].get(i) == ref["openers"][i])
            q["identical_openers"] = same / len(ids) if ids else None
            q["identical_count"] = [same, len(ids)]
            p, p0 = q["reply_perplexity"], ref["reply_perplexity"]
            q["perplexity_change"] = (p / p0 - 1) if p and p0 else None
            q["differing_examples"] = [(i, ref["openers"][i], q["openers"].get(i)) for i in ids
                                       if q["openers"].get(i) != ref["openers"][i]][:3]
        for q in cands.values():
            q.pop("openers")
    return out


def load_speed(bench_path, threads=1):
    report = json.load(open(bench_path))
    out = {}
    for r in report["results"]:
        if r.get("threads") != threads:
            continue
        stem, cand = split_name(r["model"])
        if cand == "shipped":  # scripts/bench: the shipped file with the loader's chosen kernels and with fp32
            cand = "fp32" if r.get("kernels_asked") == "fp32" else f"shipped ({r.get('kernels', 'fp32')})"
        kv = r["kv_cache"]
        out.setdefault(stem, {})[cand] = {
            "model": r["model"], "threads": threads, "teacher_forced": report.get("teacher_forced", False),
            "ttft_p95_ms": kv["ttft_ms"]["p95"], "four_words_p95_ms": kv["time_to_4_words_ms"]["p95"],
            "decode_p95_ms": kv["decode_ms_per_token"]["p95"],
            "typed_ahead_ttft_ms": (r.get("typed_ahead") or {}).get("ttft_ms", {}).get("p50"),
            "file_mb": os.path.getsize(r["model"]) / 1e6 if os.path.exists(r["model"]) else None,
            "load_ms": r["load_ms"], "rss_mb": r["rss_mb"],
            "ttft_ms": kv["ttft_ms"]["p50"], "four_words_ms": kv["time_to_4_words_ms"]["p50"],
            "decode_ms": kv["decode_ms_per_token"]["p50"],
            "tokens_to_4_words": kv.get("tokens_to_4_words_p50"),
            "no_kv_four_words_ms": (r.get("no_kv_cache") or {}).get("time_to_4_words_ms", {}).get("p50"),
            "kv_speedup_4_words": r.get("speedup_4_words_p50"),  # headstart bench's own no-KV / KV ratio
        }
    for stem, cands in out.items():
        ref = cands.get("fp32")
        for c in cands.values():
            for k in ("ttft_ms", "four_words_ms", "decode_ms"):
                c[k.replace("_ms", "_vs_fp32")] = c[k] / ref[k] if ref and ref[k] else None
    return out


def choose(quality, speed):
    """Per trained μLM: the fastest candidate (its own time to 4 words) within the perplexity and opener bars;
    None where no candidate but fp32 meets them (then fp32 stays)."""
    chosen = {}
    for stem, cands in quality.items():
        ok = [c for c, q in cands.items() if c != "fp32" and q["perplexity_change"] is not None and
              q["identical_openers"] is not None and q["perplexity_change"] <= PPL_LIMIT and
              q["identical_openers"] >= IDENTICAL_MIN and c in speed.get(stem, {})]
        fp32 = speed.get(stem, {}).get("fp32", {}).get("four_words_ms")
        ok = [c for c in ok if fp32 is None or speed[stem][c]["four_words_ms"] < fp32]  # faster than fp32 or not worth it
        ok = [c for c in ok if runtime_kernels(c)]
        chosen[stem] = min(ok, key=lambda c: speed[stem][c]["four_words_ms"]) if ok else None
    return chosen


def passing_file_forms(quality, speed):
    """Per trained μLM: candidates within the bars and faster than fp32 that only a file of their own form
    would give (not chosen: the browser needs the shipped file), fastest first."""
    out = {}
    for stem, cands in quality.items():
        fp32 = speed.get(stem, {}).get("fp32", {}).get("four_words_ms")
        out[stem] = sorted((c for c, q in cands.items() if not runtime_kernels(c) and c in speed.get(stem, {}) and
                            q["perplexity_change"] is not None and q["perplexity_change"] <= PPL_LIMIT and
                            q["identical_openers"] is not None and q["identical_openers"] >= IDENTICAL_MIN and
                            (fp32 is None or speed[stem][c]["four_words_ms"] < fp32)),
                           key=lambda c: speed[stem][c]["four_words_ms"])
    return out


def fmt(v, d=2, pct=False):
    if v is None:
        return "—"
    if pct:
        return f"{v * 100:+.2f}%"
    return f"{v:.{d}f}"


def table(quality, speed, chosen):
    q_stems = sorted(quality, key=lambda s: int(re.search(r"(\d+)m", s).group(1)))
    s_stems = sorted(speed, key=lambda s: int(re.search(r"(\d+)m", s).group(1)))
    cands = list(speed[s_stems[-1]])
    head = ["candidate", "file MB (" + size_of(s_stems[-1]) + ")"]
    for s in q_stems:
        head += [f"{size_of(s)} ppl change", f"{size_of(s)} identical openers"]
    for s in s_stems:
        untrained = " (untrained)" if s.startswith("untrained") else ""
        head += [f"{size_of(s)}{untrained} TTFT / 4 words / decode ms (× fp32)"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for c in cands:
        big = speed[s_stems[-1]][c]
        row = [c + "".join(f" **← {size_of(s)}**" for s, ch in chosen.items() if ch == c), fmt(big["file_mb"], 1)]
        for s in q_stems:
            q = quality[s].get(c)
            row += [fmt(q["perplexity_change"], pct=True) if q else "—",
                    f"{q['identical_openers'] * 100:.0f}% ({q['identical_count'][0]}/{q['identical_count'][1]})"
                    if q and q["identical_openers"] is not None else "—"]
        for s in s_stems:
            v = speed[s].get(c)
            row.append(f"{v['ttft_ms']:.2f} / {v['four_words_ms']:.1f} / {v['decode_ms']:.2f} "
                       f"({v['ttft_vs_fp32']:.2f}× / {v['four_words_vs_fp32']:.2f}× / {v['decode_vs_fp32']:.2f}×)"
                       if v and v.get("ttft_vs_fp32") else "—")
        lines.append("| " + " | ".join(row) + " |")
    rule = (f"Chosen per trained μLM (← in the table): the candidate with the shortest time to 4 words among those "
            f"faster than fp32 with ≤ {PPL_LIMIT * 100:.0f}% perplexity cost and ≥ {IDENTICAL_MIN * 100:.0f}% greedy "
            "openers identical to fp32 on Vicuna-bench, of those the native loader makes from the shipped file "
            "(fp32, nbits8-bN, nbits8-bN-head): " +
            ", ".join(f"{size_of(s)} {c or 'none (fp32 stays)'}" for s, c in sorted(chosen.items())) + ".")
    others = passing_file_forms(quality, speed)
    if any(others.values()):
        rule += (" Within the bars too, but only as a file of their own form: " +
                 "; ".join(f"{size_of(s)} {', '.join(v)}" for s, v in sorted(others.items()) if v) + ".")
    return "\n".join(lines) + "\n\n" + rule + "\n"


def summary(reports, json_path=None):
    """scripts/bench's last step: every model x threads of the bench reports, with its ratios against its fp32
    twin (same process) and against no KV cache; optionally one JSON file of it all."""
    rows = []
    for path in reports:
        for threads in (1, 2, 4):
            for stem, cands in load_speed(path, threads).items():
                for cand, v in cands.items():
                    if cand == "fp32":
                        continue
                    rows.append(dict(v, stem=stem, form=cand, fp32=cands.get("fp32"), report=path))
    head = ("| model | form | threads | load ms | RSS MB | TTFT p50 / p95 | 4 words p50 / p95 | decode ms/token p50 / p95 "
            "| × fp32 (TTFT / 4 words / decode) | KV cache speed-up (4 words) |")
    lines = [head, "|" + " --- |" * 10]
    for r in rows:
        f = r["fp32"] or {}
        lines.append(f"| {size_of(r['stem'])}{' (untrained)' if r['stem'].startswith('untrained') else ''} | "
                     f"{r['form']} | "
                     f"{r['threads']} | {r['load_ms']:.0f} | {r['rss_mb']:.0f} | {r['ttft_ms']:.2f} / {r['ttft_p95_ms']:.2f} | "
                     f"{r['four_words_ms']:.1f} / {r['four_words_p95_ms']:.1f} | {r['decode_ms']:.2f} / {r['decode_p95_ms']:.2f} | "
                     + (f"{r['ttft_ms'] / f['ttft_ms']:.2f}× / {r['four_words_ms'] / f['four_words_ms']:.2f}× / "
                        f"{r['decode_ms'] / f['decode_ms']:.2f}× (fp32 {f['ttft_ms']:.2f} / {f['four_words_ms']:.1f} / "
                        f"{f['decode_ms']:.2f})" if f else "—") + " | "
                     + (f"{r['kv_speedup_4_words']:.2f}×" if r.get("kv_speedup_4_words") else "—") + " |")
    md = "\n".join(lines) + "\n"
    print(md)
    if json_path:
        for r in rows:
            fp = r.pop("fp32") or {}
            r["fp32"] = {k: fp.get(k) for k in ("ttft_ms", "four_words_ms", "decode_ms", "load_ms", "rss_mb")} if fp else None
        with open(json_path, "w") as f:
            json.dump({"created_by": "scripts/bench", "models": rows}, f, indent=2)
        print("wrote " + json_path)
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bench")
    p.add_argument("--eval", help="comma list of `headstart eval` output folders")
    p.add_argument("--out")
    p.add_argument("--summary", help="comma list of bench reports: print scripts/bench's table instead")
    p.add_argument("--json", help="with --summary: write it as JSON too")
    p.add_argument("--kernels-out", help="write the chosen kernels per shipped file here (assets/models/kernels.json)")
    a = p.parse_args(argv)
    if a.summary:
        summary([r for r in a.summary.split(",") if r], a.json)
        return 0
    if not (a.bench and a.eval and a.out):
        p.error("--bench, --eval and --out (or --summary)")
    quality = {}
    for d in [d for d in a.eval.split(",") if d]:
        quality.update(load_quality(d))
    speed = load_speed(a.bench)
    if not speed:
        raise SystemExit("scripts/quant_table.py: no 1-thread rows in " + a.bench)
    chosen = choose(quality, speed)
    md = table(quality, speed, chosen)
    os.makedirs(a.out, exist_ok=True)
    open(os.path.join(a.out, "candidates.md"), "w").write(md)
    json.dump({"chosen": chosen, "ppl_limit": PPL_LIMIT, "identical_min": IDENTICAL_MIN,
               "quality": quality, "speed": speed}, open(os.path.join(a.out, "candidates.json"), "w"), indent=2)
    print(md)
    if a.kernels_out:
        pick = {f"{stem}-int8.onnx": runtime_kernels(c) if c else ("fp32", "dq-last") for stem, c in sorted(chosen.items())}
        native = {f: k for f, (k, _) in pick.items()}
        forms = {f: form for f, (_, form) in pick.items()}
        with open(a.kernels_out, "w", encoding="utf-8") as f:
            json.dump({"written_by": "scripts/quant_candidates (scripts/quant_table.py)",
                       "rule": f"per shipped μLM, the fastest of fp32 and MatMulNBits 8-bit in blocks of N made at load "
                               f"with <= {PPL_LIMIT * 100:.0f}% held-out perplexity cost and >= "
                               f"{IDENTICAL_MIN * 100:.0f}% greedy Vicuna-bench openers identical to fp32",
                       "native": native, "forms": forms}, f, indent=1)
            f.write("\n")
        print("wrote " + a.kernels_out)


if __name__ == "__main__":
    sys.exit(main())
