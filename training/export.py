#!/usr/bin/python3
"""ONNX export with a KV cache (the Optimum / transformers.js decoder layout), int8 weights, model cards.

Map of this file:
  io_spec()             THE CONTRACT the C++ core loads: input/output names, dtypes and shapes
  OnnxDecoder           wraps Transformer so torch.onnx sees flat inputs/outputs in contract order
  export_fp32()         torch.onnx.export + sharing the tied embedding between Gather and the output MatMul
  quantize_int8()       rewrites the graph: each 2-D weight -> int8 initializer + per-channel scale,
                        feeding DequantizeLinear, whose output keeps the weight's old name
  quantize_per_channel() the one quantizer (training/quant.py), also used by fake_quant_model() for parity
  int8 style "dqmm"     the DQ graph rewritten by training/quant.py build("dqmm") (the same int8 weights and
                        scales, run by DynamicQuantizeMatMul)
  write_card()          <name>.json beside the model
  main()                CLI: --run RUN --out DIR --name NAME

Contract (B batch, T new tokens, P past tokens; all three dynamic; P may be 0):
  inputs   input_ids        int64   [B, T]
           attention_mask   int64   [B, P + T]      1 = real token, 0 = padding
           position_ids     int64   [B, T]          usually P .. P+T-1
           past_key_values.{i}.key / .value   float32 [B, n_kv_heads, P, head_dim]   i = 0 .. n_layers-1
  outputs  logits           float32 [B, T, vocab_size]
           present.{i}.key / .value           float32 [B, n_kv_heads, P + T, head_dim]
Keys are cached after RoPE. A first call (prefill) passes past tensors with P = 0 (zero elements).
"""
import argparse
import copy
import datetime
import hashlib
import inspect
import json
import os
import shutil
import sys

import numpy as np
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # spinning OpenMP threads on a busy 2-core box: 10x slower
import onnx
import torch
from onnx import helper, numpy_helper, TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import ModelConfig, Transformer  # noqa: E402
from tokenizer import SPECIAL_TOKENS, Tokenizer  # noqa: E402
import quant  # noqa: E402
from quant import dequantize, quantize_per_channel  # noqa: E402  (the one quantizer)

OPSET = 14
CHAT_PROMPT = "<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n"


def io_spec(cfg):
    """(inputs, outputs) as lists of (name, dtype, shape with symbolic dims)."""
    kv = ["batch_size", cfg.n_kv_heads, "past_sequence_length", cfg.head_dim]
    kv_out = ["batch_size", cfg.n_kv_heads, "past_sequence_length + sequence_length", cfg.head_dim]
    inputs = [("input_ids", "int64", ["batch_size", "sequence_length"]),
              ("attention_mask", "int64", ["batch_size", "past_sequence_length + sequence_length"]),
              ("position_ids", "int64", ["batch_size", "sequence_length"])]
    outputs = [("logits", "float32", ["batch_size", "sequence_length", cfg.vocab_size])]
    for i in range(cfg.n_layers):
        inputs += [(f"past_key_values.{i}.key", "float32", kv), (f"past_key_values.{i}.value", "float32", kv)]
        outputs += [(f"present.{i}.key", "float32", kv_out), (f"present.{i}.value", "float32", kv_out)]
    return inputs, outputs


class OnnxDecoder(torch.nn.Module):
    """Flat signature for torch.onnx: (input_ids, attention_mask, position_ids, k0, v0, k1, v1, ...)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        logits, presents = self.model(input_ids, position_ids=position_ids, attention_mask=attention_mask,
                                      past_key_values=past)
        return (logits,) + tuple(t for kv in presents for t in kv)


def example_inputs(cfg, batch=2, seq=3, past=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, cfg.vocab_size, (batch, seq), generator=g)
    mask = torch.ones(batch, past + seq, dtype=torch.long)
    pos = (torch.arange(seq) + past)[None].expand(batch, seq).contiguous()
    kv = [torch.randn(batch, cfg.n_kv_heads, past, cfg.head_dim, generator=g) for _ in range(2 * cfg.n_layers)]
    return (ids, mask, pos, *kv)


def export_fp32(model, path, opset=OPSET):
    """Exports the decoder to `path` (fp32) and returns the onnx.ModelProto written."""
    cfg = model.cfg
    model = copy.deepcopy(model).float().cpu().eval()
    inputs, outputs = io_spec(cfg)
    dynamic = {name: {k: d for k, d in enumerate(shape) if isinstance(d, str)} for name, _, shape in inputs + outputs}
    # torch >= 2.x: keep the TorchScript exporter this file was verified with
    extra = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    with torch.no_grad():
        torch.onnx.export(OnnxDecoder(model), example_inputs(cfg), path, opset_version=opset,
                          input_names=[n for n, _, _ in inputs], output_names=[n for n, _, _ in outputs],
                          dynamic_axes=dynamic, do_constant_folding=True, **extra)
    proto = onnx.load(path)
    name_weights(proto, model)
    proto.doc_string = "Headstart μLM decoder with KV cache (training/export.py)"
    onnx.checker.check_model(proto)
    onnx.save(proto, path)
    return proto


def name_weights(proto, model):
    """Gives the folded, transposed Linear weights (`onnx::MatMul_123`) readable names (`<param>.T`) and
    makes the output MatMul use the embedding table through a Transpose instead of a second copy."""
    g = proto.graph
    inits = {t.name: t for t in g.initializer}
    params = {"model." + k: v.detach().cpu().numpy() for k, v in model.named_parameters() if v.dim() == 2}
    renames = {}
    for name, init in list(inits.items()):
        if not name.startswith("onnx::") or len(init.dims) != 2:
            continue
        arr = numpy_helper.to_array(init)
        match = next((p for p, w in params.items() if w.shape == arr.shape[::-1] and np.array_equal(w.T, arr)), None)
        if match is None:
            continue
        if match in inits:  # the tied embedding: Gather reads the table, the output MatMul its transpose
            g.initializer.remove(init)
            g.node.insert(0, helper.make_node("Transpose", [match], [name], perm=[1, 0], name="tied_output_transpose"))
            renames[name] = match + ".T"
        else:
            renames[name] = match + ".T"
            init.name = renames[name]
    for node in g.node:
        for i, n in enumerate(node.input):
            if n in renames and not (node.op_type == "Transpose" and node.name == "tied_output_transpose"):
                node.input[i] = renames[n]
        for i, n in enumerate(node.output):
            if n in renames and node.name == "tied_output_transpose":
                node.output[i] = renames[n]


# ----------------------------------------------------------------------------------------------
# int8 weight-only quantization

def quantize_int8(proto, min_elements=1024, style="dq"):
    """Returns a copy of `proto` whose 2-D MatMul/Gather weights are int8 + per-channel scales.

    style "dq": int8 -> DequantizeLinear -> weight (ONNX Runtime may turn DQ+MatMul into int8 kernels,
    and does not fold DQ at load unless session.disable_quant_qdq=1). style "cast": int8 -> Cast ->
    Mul(scale) -> weight: the same numbers, and plain ops that every runtime folds into fp32 at load.

    Axis: MatMul B is [in, out] -> one scale per output column (axis 1); a Gather table [vocab, d] or a
    matrix that reaches MatMul through Transpose (the tied embedding) -> one scale per row (axis 0).
    """
    proto = copy.deepcopy(proto)
    g = proto.graph
    consumers = {}
    for node in g.node:
        for k, name in enumerate(node.input):
            consumers.setdefault(name, []).append((node, k))
    new_nodes, quantized = [], []
    for init in list(g.initializer):
        if init.data_type != TensorProto.FLOAT or len(init.dims) != 2 or np.prod(init.dims) < min_elements:
            continue
        uses = consumers.get(init.name, [])
        kinds = {(n.op_type, k) for n, k in uses}
        if kinds == {("MatMul", 1)}:
            axis = 1                       # [in, out]: one scale per output column
        elif ("Gather", 0) in kinds and kinds <= {("Gather", 0), ("Transpose", 0)}:
            axis = 0                       # [vocab, d] table (and its transpose for tied logits): per row
        else:
            continue
        w = numpy_helper.to_array(init)
        q, scale = quantize_per_channel(w, axis)
        g.initializer.remove(init)
        g.initializer.append(numpy_helper.from_array(q, init.name + "_quantized"))
        if style in ("dq", "dqmm"):
            g.initializer.extend([numpy_helper.from_array(scale, init.name + "_scale"),
                                  numpy_helper.from_array(np.zeros_like(scale, dtype=np.int8), init.name + "_zero_point")])
            new_nodes.append(helper.make_node("DequantizeLinear",
                                              [init.name + "_quantized", init.name + "_scale", init.name + "_zero_point"],
                                              [init.name], name=init.name + "_dequantize", axis=axis))
        else:
            g.initializer.append(numpy_helper.from_array(scale.reshape((-1, 1) if axis == 0 else (1, -1)), init.name + "_scale"))
            new_nodes += [helper.make_node("Cast", [init.name + "_quantized"], [init.name + "_int8_as_float"],
                                           name=init.name + "_cast", to=TensorProto.FLOAT),
                          helper.make_node("Mul", [init.name + "_int8_as_float", init.name + "_scale"], [init.name],
                                           name=init.name + "_rescale")]
        quantized.append({"name": init.name, "shape": list(w.shape), "axis": axis})
    for node in reversed(new_nodes):
        g.node.insert(0, node)
    proto.doc_string = "Headstart μLM decoder with KV cache, int8 weight-only (training/export.py)"
    if style == "dqmm":
        proto = quant.build("dqmm", proto)
        proto.doc_string = "Headstart μLM decoder with KV cache, int8 weights, DynamicQuantizeMatMul (training/export.py)"
    onnx.checker.check_model(proto)
    return proto, quantized


def fake_quant_model(model):
    """A copy of the torch model whose 2-D weights went through the same int8 round trip as the ONNX file."""
    fq = copy.deepcopy(model).float().cpu().eval()
    with torch.no_grad():
        for name, p in fq.named_parameters():
            if p.dim() != 2:
                continue
            # nn.Linear weight is [out, in] (the ONNX MatMul sees [in, out]: per output = axis 0 here);
            # the embedding [vocab, d] is per row as well
            q, scale = quantize_per_channel(p.detach().numpy(), axis=0)
            p.copy_(torch.from_numpy(dequantize(q, scale, 0)))
    return fq


# ----------------------------------------------------------------------------------------------
# runs and cards

def heldout_loss(model, ck):
    """Held-out losses of `model` on the run's own eval windows (None when the shards are gone)."""
    import train  # local import: train.py is only needed here
    a = ck.get("args", {})
    folder = a.get("data")
    if not folder or not os.path.exists(os.path.join(folder, "manifest.json")):
        return None
    seq_len = min(a.get("seq_len") or model.cfg.context_length, model.cfg.context_length)
    res = {}
    for stream, at_starts in (("pretrain", False), ("sft", True)):
        windows = train.Stream(os.path.join(folder, stream), "val").eval_windows(seq_len, a.get("eval_windows", 200), at_starts)
        loss = train.evaluate(model, windows, "cpu", 16, lambda: torch.autocast("cpu", enabled=False))
        if loss is not None:
            res[stream] = {"loss": round(loss, 5), "perplexity": round(float(np.exp(min(loss, 50))), 3)}
    return res


def load_run(run_dir, device="cpu"):
    """(model, checkpoint dict, tokenizer) of a run folder written by train.py."""
    ck = torch.load(os.path.join(run_dir, "ckpt.pt"), map_location=device)
    model = Transformer(ModelConfig.from_dict(ck["config"]))
    model.load_state_dict(ck["model"])
    model.eval()
    tok = Tokenizer.load(os.path.join(run_dir, "tokenizer.json"))
    return model, ck, tok


def load_resume_point(resume_dir, data_dir=None, device="cpu"):
    """(model, checkpoint-like dict, tokenizer) of a committed resume point (training/runs/SIZE: resume.pt with
    bf16 weights and the segment history), so a finished segment exports after its run folder is gone. The
    held-out figures are the last segment's; `data_dir` (the prepared shards) adds the int8-weight ones."""
    rp = torch.load(os.path.join(resume_dir, "resume.pt"), map_location=device)
    model = Transformer(ModelConfig.from_dict(rp["config"]))
    model.load_state_dict({k: v.float() for k, v in rp["model"].items()})
    model.eval()
    segments = list(rp.get("segments") or [])
    if not segments:
        raise SystemExit(f"{resume_dir}/resume.pt has no segment history")
    last = segments[-1]
    heldout = {}
    for k in ("pretrain", "sft", "opener"):
        loss = last.get(f"val_{k}_loss")
        if loss not in (None, ""):
            heldout[k] = {"loss": float(loss), "perplexity": round(float(np.exp(min(float(loss), 50))), 3)}
    tok_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets", "models", "tokenizer.json")
    tok = Tokenizer.load(tok_path)
    if rp.get("tokenizer_sha256") and rp["tokenizer_sha256"] != sha256(tok_path):
        raise SystemExit(f"{resume_dir}/resume.pt was trained with another tokenizer than {tok_path}")
    ck = {"config": rp["config"], "history": segments[:-1], "segment": last, "heldout": heldout,
          "tokens_seen": int(last.get("tokens_total") or sum(int(sg["tokens"]) for sg in segments)),
          "step": sum(int(sg.get("steps", 0)) for sg in segments),
          "elapsed_s": sum(float(sg.get("wall_s", 0)) for sg in segments), "device": last.get("device"),
          "args": {"seq_len": int(last.get("seq_len") or 256), "batch_size": int(last.get("batch") or 16),
                   "sft_lr": float(last.get("sft_lr") or 0), "opener_frac": float(last.get("opener_frac") or 0),
                   "opener_tokens": int(last.get("opener_tokens") or 0),
                   "prompt_weight": float(last.get("prompt_weight") or 0), "eval_windows": 200,
                   "precision": last.get("precision"), "data": data_dir}}
    return model, ck, tok, tok_path


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_card(model_path, model, ck, tok, tokenizer_file, fmt, quantized=None, manifest=None, parity=None,
               int8_style="dq"):
    """Writes <model name>.json beside the model and returns it."""
    cfg = model.cfg
    inputs, outputs = io_spec(cfg)
    heldout = ck.get("heldout", {})
    final = heldout.get("sft") or heldout.get("pretrain") or {}
    sources = (manifest or {}).get("sources", [])
    segments = list(ck.get("history") or []) + ([ck["segment"]] if ck.get("segment", {}).get("steps") else [])
    name = os.path.splitext(os.path.basename(model_path))[0]
    card = {
        "name": name,
        "file": os.path.basename(model_path),
        "format": fmt,
        "file_size_bytes": os.path.getsize(model_path),
        "sha256": sha256(model_path),
        "architecture": {
            "type": "decoder-only transformer (llama-style)",
            "vocab_size": cfg.vocab_size, "d_model": cfg.d_model, "n_layers": cfg.n_layers,
            "n_heads": cfg.n_heads, "n_kv_heads": cfg.n_kv_heads, "head_dim": cfg.head_dim,
            "ffn_dim": cfg.ffn_dim, "context_length": cfg.context_length, "rope_theta": cfg.rope_theta,
            "norm_eps": cfg.norm_eps, "norm": "pre-norm RMSNorm", "rope": "half-split (rotate_half)",
            "attention": "grouped-query", "ffn": "SwiGLU", "tied_embeddings": True,
        },
        "parameters": model.num_parameters(),
        "config": cfg.name,
        "tokenizer": {
            "file": tokenizer_file, "type": "byte-level BPE (GPT-2 bytes and pre-tokenizer regex)",
            "vocab_size": tok.vocab_size, "special_tokens": {t: i for i, t in enumerate(SPECIAL_TOKENS)},
        },
        "chat_format": {
            "name": "ChatML", "prompt": CHAT_PROMPT, "stop_tokens": ["<|im_end|>", "<|endoftext|>"],
            "stop_token_ids": [tok.special_id("<|im_end|>"), tok.eot_id], "bos": None,
        },
        "onnx": {
            "opset": OPSET,
            "inputs": [{"name": n, "dtype": d, "shape": s} for n, d, s in inputs],
            "outputs": [{"name": n, "dtype": d, "shape": s} for n, d, s in outputs],
            "kv_cache": "keys after RoPE; prefill passes past tensors with past_sequence_length = 0",
        },
        "training": {
            "data_sources": [{"file": s.get("file"), "license": s.get("license"), "examples": s.get("examples"),
                              "train_tokens": s.get("train_tokens"), "weight": s.get("weight")} for s in sources],
            "data_readme": ((manifest or {}).get("readme") or "")[:2000],
            "tokens_seen": ck.get("tokens_seen"),
            "steps": ck.get("step"),
            "phase_steps": ck.get("phase_steps"),
            "train_seconds": round(ck.get("elapsed_s", 0.0), 1),
            "device": ck.get("device"),
            "heldout_loss": final.get("loss"),
            "heldout_perplexity": final.get("perplexity"),
            "heldout": heldout,
            "precision": (ck.get("segment") or {}).get("precision") or ck.get("args", {}).get("precision"),
            "segments": segments,
            "tokens_seen_all_segments": sum(int(sg.get("tokens", 0)) for sg in segments) if segments else ck.get("tokens_seen"),
            "wall_seconds_all_segments": round(sum(float(sg.get("wall_s", 0)) for sg in segments), 1) if segments
            else round(ck.get("elapsed_s", 0.0), 1),
            "args": {k: v for k, v in (ck.get("args") or {}).items()
                     if k in ("batch_size", "seq_len", "sft_lr", "min_lr_ratio", "sft_warmup", "weight_decay", "opener_frac",
                              "opener_tokens", "prompt_weight", "minutes", "pretrain_steps", "sft_steps", "lr")},
        },
        "exported_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if quantized is not None:
        card["quantization"] = {
            "form": quant.SHIPPED if int8_style == "dq" else int8_style,
            "scheme": "int8 weight-only, symmetric, one scale per output channel (per row of the embedding)",
            "graph": {"dq": quant.describe(quant.SHIPPED), "cast": "Cast + Mul",
                      "dqmm": "DynamicQuantizeMatMul (com.microsoft) for the attention and MLP MatMuls; the "
                              "embedding table (and the tied output projection) DequantizeLinear, folded to fp32 at load"}[int8_style],
            "tensors": len(quantized),
            "runtime_note": ("training/quant.py's shipped form (" + quant.SHIPPED + "). " + quant.SHIPPED_NOTE
                             if int8_style == "dq" else
                             "Cast+Mul on initializers is folded to fp32 at load by every ONNX Runtime" if int8_style == "cast"
                             else "int8 x uint8 GEMMs (activations quantized per call, one scale per tensor)")}
    if parity is not None:
        card["parity"] = parity
    with open(os.path.splitext(model_path)[0] + ".json", "w", encoding="utf-8") as f:
        json.dump(card, f, indent=1, ensure_ascii=False)
        f.write("\n")
    return card


def export_run(run_dir, out_dir, name, formats=("fp32", "int8"), tokenizer_file="tokenizer.json", int8_style="dq",
               log=print):
    """Exports a run folder: <name>.onnx (fp32) and/or <name>-int8.onnx, cards and the tokenizer."""
    model, ck, tok = load_run(run_dir)
    return export_model(model, ck, tok, out_dir, name, formats, tokenizer_file, manifest=read_manifest(run_dir),
                        tokenizer_src=os.path.join(run_dir, "tokenizer.json"), int8_style=int8_style, log=log)


def read_manifest(run_dir):
    path = os.path.join(run_dir, "data_manifest.json")
    return json.load(open(path, encoding="utf-8")) if os.path.exists(path) else {}


def export_model(model, ck, tok, out_dir, name, formats=("fp32", "int8"), tokenizer_file="tokenizer.json",
                 manifest=None, tokenizer_src=None, int8_style="dq", log=print):
    os.makedirs(out_dir, exist_ok=True)
    tok_dst = os.path.join(out_dir, tokenizer_file)
    if not tokenizer_src:
        tok.save(tok_dst)
    elif os.path.abspath(tokenizer_src) != os.path.abspath(tok_dst):
        shutil.copyfile(tokenizer_src, tok_dst)
    fp32_path = os.path.join(out_dir, f"{name}.onnx")
    written = {}
    proto = export_fp32(model, fp32_path)
    if "fp32" in formats:
        written["fp32"] = fp32_path
        write_card(fp32_path, model, ck, tok, tokenizer_file, "onnx-fp32", manifest=manifest)
        log(f"wrote {fp32_path} ({os.path.getsize(fp32_path) / 1e6:.2f} MB)")
    if "int8" in formats:
        q_proto, quantized = quantize_int8(proto, style=int8_style)
        if int8_style == "dq":
            q_proto = quant.build(quant.SHIPPED, q_proto)
            onnx.checker.check_model(q_proto)
        int8_path = os.path.join(out_dir, f"{name}-int8.onnx")
        onnx.save(q_proto, int8_path)
        written["int8"] = int8_path
        card = write_card(int8_path, model, ck, tok, tokenizer_file, "onnx-int8-weight-only", quantized,
                          manifest=manifest, int8_style=int8_style)
        int8_heldout = heldout_loss(fake_quant_model(model), ck)
        if int8_heldout:  # the same held-out windows, with the int8-rounded weights
            card["training"]["heldout_int8_weights"] = int8_heldout
            with open(os.path.splitext(int8_path)[0] + ".json", "w", encoding="utf-8") as f:
                json.dump(card, f, indent=1, ensure_ascii=False)
                f.write("\n")
        log(f"wrote {int8_path} ({os.path.getsize(int8_path) / 1e6:.2f} MB, {len(quantized)} int8 tensors)")
    if "fp32" not in formats:
        os.remove(fp32_path)
    return written


def main(argv=None):
    p = argparse.ArgumentParser(description="Export a trained run to ONNX (fp32 and int8) with model cards.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--run", help="run folder written by train.py")
    src.add_argument("--resume", help="a committed resume point instead (training/runs/SIZE)")
    p.add_argument("--data", help="with --resume: the prepared shards, for the int8-weight held-out loss")
    p.add_argument("--out", required=True, help="output folder (e.g. assets/)")
    p.add_argument("--name", required=True, help="model name, e.g. headstart-28m")
    p.add_argument("--formats", default="fp32,int8", help="comma list of fp32, int8")
    p.add_argument("--tokenizer-file", default="tokenizer.json", help="name of the tokenizer copy in --out")
    p.add_argument("--int8-style", choices=("dq", "dqmm", "cast"), default="dq",
                   help="dq: DequantizeLinear, folded to fp32 at load (default; training/quant.py --in-place rewrites it "
                        "into the form scripts/quant_candidates chose); dqmm: DynamicQuantizeMatMul; cast: Cast+Mul, "
                        "folded to fp32 at load by any runtime")
    args = p.parse_args(argv)
    torch.set_num_threads(2)
    formats = tuple(args.formats.split(","))
    if args.run:
        export_run(args.run, args.out, args.name, formats, args.tokenizer_file, args.int8_style)
    else:
        model, ck, tok, tok_path = load_resume_point(args.resume, args.data)
        mpath = os.path.join(args.data, "manifest.json") if args.data else ""
        manifest = json.load(open(mpath, encoding="utf-8")) if os.path.exists(mpath) else {}
        export_model(model, ck, tok, args.out, args.name, formats, args.tokenizer_file, manifest=manifest,
                     tokenizer_src=tok_path, int8_style=args.int8_style)
    return 0


if __name__ == "__main__":
    sys.exit(main())
