#!/usr/bin/python3
"""Parity: torch vs ONNX Runtime (onnxruntime-node, via parity.cjs) on an exported μLM.

Map of this file:
  torch_reference()  what torch computes for the same cases (full logits, padded batch, greedy ids)
  run_ort()          writes a spec, runs `node parity.cjs`, reads the logits back
  check_model()      compares and returns a list of Check(name, ok, detail)
  main()             CLI: --run RUN --onnx a.onnx [b-int8.onnx ...]

fp32 files are held to --tol (default 1e-4 max abs logit difference) against torch. int8 files are held
to the same tolerance against torch with the same int8-rounded weights (export.fake_quant_model) when ORT
folds DequantizeLinear (session.disable_quant_qdq=1); with ORT's default options (int8 MatMulNBits
kernels) their distance from the fp32 torch model is reported (max abs diff, top-1 agreement) and held
to a loose bound.
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass

import numpy as np
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # spinning OpenMP threads on a busy 2-core box: 10x slower
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from data import prompt_text  # noqa: E402
from export import fake_quant_model, load_run  # noqa: E402

REPO = os.path.dirname(HERE)
PROMPTS = ["What is the capital of France?", "How do I boil an egg?"]
INT8_RELATIVE_BOUND = 0.05  # int8 kernels vs fp32: |diff| <= 5% of max |logit| (the number is reported)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


def node_env():
    env = dict(os.environ)
    mods = os.path.join(REPO, ".deps", "web", "node_modules")
    env["NODE_PATH"] = os.pathsep.join(p for p in (os.environ.get("NODE_PATH"), mods) if p)
    return env


def f32(b64, shape):
    return np.frombuffer(base64.b64decode(b64), dtype=np.float32).reshape(shape)


@torch.no_grad()
def torch_reference(model, ids, batch_rows, greedy_prompt, greedy_steps):
    model = model.float().cpu().eval()
    logits, _ = model(torch.tensor([ids]))
    batch = [model(torch.tensor([r]))[0][0].numpy() for r in batch_rows]
    greedy = model.generate_greedy(greedy_prompt, greedy_steps, use_cache=False)
    greedy_cached = model.generate_greedy(greedy_prompt, greedy_steps, use_cache=True)
    return {"logits": logits[0].numpy(), "batch": batch, "greedy": greedy, "greedy_cached": greedy_cached}


def run_ort(onnx_path, cfg, ids, split, batch_rows, greedy_prompt, greedy_steps, session_config=None,
            timing_steps=32, threads=1, backend="node"):
    spec = {"model": os.path.abspath(onnx_path), "n_layers": cfg.n_layers, "n_kv_heads": cfg.n_kv_heads,
            "head_dim": cfg.head_dim, "vocab_size": cfg.vocab_size, "ids": ids, "split": split,
            "batch_rows": batch_rows, "greedy_prompt": greedy_prompt, "greedy_steps": greedy_steps,
            "timing_steps": timing_steps, "session_config": session_config or {}, "threads": threads,
            "backend": backend}
    with tempfile.TemporaryDirectory() as tmp:
        spec_path, out_path = os.path.join(tmp, "spec.json"), os.path.join(tmp, "out.json")
        with open(spec_path, "w") as f:
            json.dump(spec, f)
        proc = subprocess.run(["node", os.path.join(HERE, "parity.cjs"), spec_path, out_path],
                              env=node_env(), capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"parity.cjs failed on {onnx_path}:\n{proc.stderr[-3000:]}")
        with open(out_path) as f:
            out = json.load(f)
    V, N = cfg.vocab_size, len(ids)
    # a file with last-position logits (training/quant.py -last, the shipped form) gives one row per call
    out["prefill"] = f32(out["prefill"], (-1, V))
    out["chunked"] = f32(out["chunked"], (-1, V))
    out["stepwise"] = f32(out["stepwise"], (N, V))
    out["batch"] = f32(out["batch"], tuple(out["batch_shape"]))
    return out


def tail_diff(got, want):
    """max |got - want| over the rows both have at the end (all of them, or the last one of a -last file)."""
    k = min(len(got), len(want))
    return float(np.abs(got[-k:] - want[-k:]).max())


def parity_cases(tok, cfg):
    """Token ids for the checks: a ChatML prompt plus an answer, a padded batch and a greedy prompt."""
    text = prompt_text(PROMPTS[0]) + "The capital of France is Paris.<|im_end|>\n"
    ids = tok.encode(text)[: cfg.context_length]
    rows = [tok.encode(prompt_text(PROMPTS[1])), tok.encode(prompt_text("Hi"))]
    return ids, max(1, len(ids) // 2), rows, tok.encode(prompt_text(PROMPTS[0]))


def check_model(model, tok, onnx_path, kind, tol=1e-4, greedy_steps=8, web=True, log=print):
    """All parity checks of one exported file; kind is 'fp32' or 'int8'.

    int8 files run twice. With session config session.disable_quant_qdq=1, ONNX Runtime folds each
    DequantizeLinear into an fp32 weight at load, so the math is exactly the torch model with int8-rounded
    weights: held to `tol`. With default options ORT (1.29) turns DequantizeLinear+MatMul into
    MatMulNBits (8 bits, int8 activations): that run is compared with a loose, reported bound
    (a Cast+Mul file, export.py --int8-style cast, is exact in both runs)."""
    cfg = model.cfg
    ids, split, rows, gprompt = parity_cases(tok, cfg)
    ref_model = fake_quant_model(model) if kind == "int8" else model
    ref = torch_reference(ref_model, ids, rows, gprompt, greedy_steps)
    ref_label = "torch (int8-rounded weights)" if kind == "int8" else "torch"
    name = os.path.basename(onnx_path) + (" [session.disable_quant_qdq=1]" if kind == "int8" else "")
    checks, diffs = [], {}
    try:
        ort = run_ort(onnx_path, cfg, ids, split, rows, gprompt, greedy_steps,
                      session_config={"session.disable_quant_qdq": "1"} if kind == "int8" else None)
    except RuntimeError as e:
        log(str(e))
        return [Check(f"{name}: runs in ONNX Runtime", False, "see error above")], {}

    def close(label, got, want):
        d = tail_diff(got, want)
        checks.append(Check(f"{name}: {label}", d <= tol, f"max abs diff {d:.2e} (tol {tol:g})"))
        return d

    expect_in = ["input_ids", "attention_mask", "position_ids"] + [
        f"past_key_values.{i}.{kv}" for i in range(cfg.n_layers) for kv in ("key", "value")]
    expect_out = ["logits"] + [f"present.{i}.{kv}" for i in range(cfg.n_layers) for kv in ("key", "value")]
    checks.append(Check(f"{name}: input/output names follow the contract",
                        ort["input_names"] == expect_in and ort["output_names"] == expect_out))
    checks.append(Check(f"{name}: present shape after prefill",
                        ort["present_shape"] == [1, cfg.n_kv_heads, len(ids), cfg.head_dim], str(ort["present_shape"])))
    diffs["prefill"] = close(f"prefill (empty past) vs {ref_label}", ort["prefill"], ref["logits"])
    diffs["chunked"] = close(f"chunked prefill (past={split}) vs {ref_label}", ort["chunked"], ref["logits"][split:])
    diffs["stepwise"] = close(f"token-by-token decode vs {ref_label}", ort["stepwise"], ref["logits"])
    diffs["decode_vs_prefill"] = close("token-by-token decode vs prefill (both ORT)", ort["stepwise"], ort["prefill"])
    bd = max(tail_diff(ort["batch"][b], ref["batch"][b]) for b in range(len(rows)))  # left-padded: the tails line up
    checks.append(Check(f"{name}: left-padded batch of {len(rows)} vs {ref_label}", bd <= tol, f"max abs diff {bd:.2e}"))
    diffs["batch"] = bd
    checks.append(Check(f"{name}: greedy {greedy_steps} tokens = {ref_label}", ort["greedy"] == ref["greedy"],
                        f"ort {ort['greedy']} torch {ref['greedy']}"))
    checks.append(Check(f"{name}: torch greedy with cache = without", ref["greedy"] == ref["greedy_cached"]))
    if web:
        web_checks, diffs["web"] = check_web(model, tok, onnx_path, kind, tol, greedy_steps, ref=ref, log=log)
        checks += web_checks
    report = {"kind": kind, "max_abs_diff": diffs, "tolerance": tol, "greedy_ids": ort["greedy"],
              "ort_load_ms": round(ort["load_ms"], 1), "ort_prefill_ms": round(ort["prefill_ms"], 2),
              "ort_step_ms_median": round(ort["step_ms_median"], 3)}
    if kind == "int8":
        fp = torch_reference(model, ids, rows, gprompt, greedy_steps)
        scale = float(np.abs(fp["logits"]).max())
        name = os.path.basename(onnx_path) + " [ORT default options]"
        try:
            dflt = run_ort(onnx_path, cfg, ids, split, rows, gprompt, greedy_steps)
        except RuntimeError as e:
            log(str(e))
            return checks + [Check(f"{name}: runs in ONNX Runtime", False, "see error above")], report
        d_fq = tail_diff(dflt["prefill"], ref["logits"])
        d_fp = tail_diff(dflt["prefill"], fp["logits"])
        top1 = float((dflt["stepwise"].argmax(-1) == fp["logits"].argmax(-1)).mean())  # every position, decoded
        dd = tail_diff(dflt["stepwise"], dflt["prefill"])
        report["default_session"] = {"max_abs_diff_vs_int8_torch": d_fq, "max_abs_diff_vs_fp32_torch": d_fp,
                                     "top1_agreement_vs_fp32": top1, "decode_vs_prefill": dd,
                                     "greedy_ids": dflt["greedy"], "greedy_fp32_torch": fp["greedy"],
                                     "fp32_logit_max_abs": scale, "ort_step_ms_median": round(dflt["step_ms_median"], 3),
                                     "ort_prefill_ms": round(dflt["prefill_ms"], 2)}
        bound = INT8_RELATIVE_BOUND * scale
        checks.append(Check(f"{name}: vs fp32 torch (reported)", d_fp <= bound,
                            f"max abs diff {d_fp:.3f} (bound {bound:.3f} = {INT8_RELATIVE_BOUND:.0%} of max |logit| "
                            f"{scale:.1f}), top-1 agreement {top1:.0%}"))
        checks.append(Check(f"{name}: token-by-token decode vs prefill", dd <= bound, f"max abs diff {dd:.2e}"))
    return checks, report


def check_web(model, tok, onnx_path, kind, tol=1e-4, greedy_steps=8, ref=None, log=print):
    """The same file in onnxruntime-web's wasm backend (what the browser build runs): (checks, max diff)."""
    cfg = model.cfg
    ids, split, rows, gprompt = parity_cases(tok, cfg)
    if ref is None:
        ref = torch_reference(fake_quant_model(model) if kind == "int8" else model, ids, rows, gprompt, greedy_steps)
    ref_label = "torch (int8-rounded weights)" if kind == "int8" else "torch"
    name = os.path.basename(onnx_path) + " [onnxruntime-web wasm]"
    try:
        w = run_ort(onnx_path, cfg, ids, split, rows, gprompt, greedy_steps, backend="web", timing_steps=0,
                    session_config={"session.disable_quant_qdq": "1"} if kind == "int8" else None)
    except RuntimeError as e:
        log(str(e))
        return [Check(f"{name}: runs", False, "see error above")], None
    d = max(tail_diff(w["prefill"], ref["logits"]), tail_diff(w["stepwise"], ref["logits"]))
    return [Check(f"{name}: prefill + token-by-token decode vs {ref_label}", d <= tol, f"max abs diff {d:.2e} (tol {tol:g})"),
            Check(f"{name}: greedy {greedy_steps} tokens = {ref_label}", w["greedy"] == ref["greedy"])], d


def print_checks(checks, log=print):
    for c in checks:
        log(f"  {'PASS' if c.ok else 'FAIL'}  {c.name}" + (f"  [{c.detail}]" if c.detail else ""))


def main(argv=None):
    p = argparse.ArgumentParser(description="torch vs ONNX Runtime parity of exported μLMs.")
    p.add_argument("--run", required=True, help="run folder (ckpt.pt, tokenizer.json)")
    p.add_argument("--onnx", nargs="+", required=True, help="exported files; '-int8' in the name = int8")
    p.add_argument("--tol", type=float, default=1e-4)
    p.add_argument("--no-web", action="store_true", help="skip the onnxruntime-web (wasm) run")
    args = p.parse_args(argv)
    torch.set_num_threads(2)
    model, _, tok = load_run(args.run)
    all_checks = []
    for path in args.onnx:
        kind = "int8" if "int8" in os.path.basename(path) else "fp32"
        checks, report = check_model(model, tok, path, kind, tol=args.tol, web=not args.no_web)
        print(f"{path}:")
        print_checks(checks)
        if report:
            print("  " + json.dumps(report))
        all_checks += checks
    failed = sum(not c.ok for c in all_checks)
    print(f"{len(all_checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
