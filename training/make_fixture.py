#!/usr/bin/python3
"""Builds the tiny test model the C++ tests load, from the fixture corpus, in well under a minute.

  /usr/bin/python3 training/make_fixture.py --out DIR

writes
  DIR/tokenizer.json            byte-level BPE, vocab 512 (trained on training/fixtures/tiny_corpus.jsonl)
  DIR/tokenizer_fixture.json    [{text, ids}] over tricky texts, for the C++ tokenizer parity test
  DIR/tiny.onnx, DIR/tiny.json  fp32 decoder with KV cache + its card
  DIR/tiny-int8.onnx, DIR/tiny-int8.json   int8 weight-only variant + card
  DIR/tiny-int8.onnx            the int8 export in its shipped form (training/quant.py "dq-last")
  DIR/tiny-int8.{fp32,nbits8-b32,nbits8-b32-head}.onnx   training/quant.py candidates of it
  DIR/tiny-int8.dq-head-last.onnx   the shipped form with the output projection's own int8 copy
  DIR/tiny-int8.dq-folded.onnx  the int8 export before that form: all positions' logits, DequantizeLinear table
  DIR/reference.json            for a fixed prompt: ids, torch logits of the last prefill position, greedy ids
Steps: tokenizer.py -> data.py -> train.py (config tiny) -> export.py -> parity.py (unless --no-parity;
--web adds the onnxruntime-web wasm run).
The model is a test fixture, not a real μLM: it has seen only the fixture corpus.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np
import onnx
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # spinning OpenMP threads on a busy 2-core box: 10x slower
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402
import export  # noqa: E402
import parity  # noqa: E402
import quant  # noqa: E402
import tokenizer  # noqa: E402
import train  # noqa: E402

CORPUS = os.path.join(HERE, "fixtures", "tiny_corpus.jsonl")
REFERENCE_QUESTION = "What is the capital of France?"
GREEDY_STEPS = 8
CORPUS_LICENSE = "written for Headstart's tests (training/fixtures/make_tiny_corpus.py); the repository's license"


def reference(model, tok, question=REFERENCE_QUESTION, steps=GREEDY_STEPS):
    """Prompt ids, last-position prefill logits and greedy ids (no stop token) of a torch model."""
    ids = tok.encode(data.prompt_text(question))
    with torch.no_grad():
        logits, _ = model.float().eval()(torch.tensor([ids]))
    greedy = model.generate_greedy(ids, steps, use_cache=False)
    last = logits[0, -1].numpy()
    return {"prompt_ids": ids, "prefill_last_logits": [float(x) for x in last], "prefill_argmax": int(np.argmax(last)),
            "greedy_ids": greedy, "greedy_text": tok.decode(greedy)}


def make_fixture(out, work=None, pretrain_steps=160, sft_steps=60, run_parity=True, web=False, log=print):
    """Returns (parity checks, info). `work` keeps the intermediate data and run folders."""
    t0 = time.time()
    os.makedirs(out, exist_ok=True)
    own_work = work is None
    work = work or tempfile.mkdtemp(prefix="headstart-fixture-")
    try:
        tok_path = os.path.join(out, "tokenizer.json")
        tok = tokenizer.train_tokenizer(data.training_texts([CORPUS], heldout=0.05), 512, log=None)
        tok.save(tok_path)
        tokenizer.write_fixture(tok, os.path.join(out, "tokenizer_fixture.json"))
        data.prepare([CORPUS], tok_path, os.path.join(work, "data"), heldout=0.05, workers=1, log=None,
                     licenses={"tiny_corpus.jsonl": CORPUS_LICENSE})
        log(f"make_fixture: tokenizer ({tok.vocab_size}) + data in {time.time() - t0:.1f}s")

        run = os.path.join(work, "run")
        args = train.parser().parse_args([
            "--config", "tiny", "--data", os.path.join(work, "data"), "--out", run, "--fresh",
            "--pretrain-steps", str(pretrain_steps), "--sft-steps", str(sft_steps), "--batch-size", "16",
            "--warmup", "20", "--sft-warmup", "10", "--eval-every", "0", "--save-every", "0",
            "--log-every", "100", "--threads", "1", "--seed", "7"])
        train.train(args, log=log)
        log(f"make_fixture: trained in {time.time() - t0:.1f}s")

        model, ck, tok = export.load_run(run)
        manifest = export.read_manifest(run)
        written = export.export_model(model, ck, tok, out, "tiny", ("fp32", "int8"), manifest=manifest,
                                      tokenizer_src=tok_path, log=log)
        # training/quant.py candidates of the shipped int8 file (test_ort_model.cpp: the loader's kernels give
        # their numbers), and the raw int8 export with every position's logits
        int8_proto = onnx.load(written["int8"])
        for form in ("fp32", "nbits8-b32", "nbits8-b32-head", "dq-head-last"):
            onnx.save(quant.build(form, int8_proto), os.path.join(out, f"tiny-int8.{form}.onnx"))
        onnx.save(export.quantize_int8(onnx.load(written["fp32"]))[0], os.path.join(out, "tiny-int8.dq-folded.onnx"))
        # a valid ONNX model that is not a causal LM (no input_ids, no KV cache): the loaders must say so
        h = onnx.helper
        odd = h.make_model(h.make_graph([h.make_node("Identity", ["pixel_values"], ["embedding"])], "not_a_lm",
                                        [h.make_tensor_value_info("pixel_values", onnx.TensorProto.FLOAT, [1, 3])],
                                        [h.make_tensor_value_info("embedding", onnx.TensorProto.FLOAT, [1, 3])]),
                           opset_imports=[h.make_opsetid("", 17)])
        odd.ir_version = 8
        onnx.checker.check_model(odd)
        onnx.save(odd, os.path.join(out, "wrong-layout.onnx"))
        cfg = model.cfg
        ref = {"question": REFERENCE_QUESTION, "prompt": data.prompt_text(REFERENCE_QUESTION),
               "vocab_size": cfg.vocab_size, "n_layers": cfg.n_layers, "n_kv_heads": cfg.n_kv_heads,
               "head_dim": cfg.head_dim, "special_tokens": {t: i for i, t in enumerate(tokenizer.SPECIAL_TOKENS)}}
        ref.update(reference(model, tok))
        q = reference(export.fake_quant_model(model), tok)
        ref["int8_rounded_weights"] = {k: q[k] for k in ("prefill_last_logits", "prefill_argmax", "greedy_ids", "greedy_text")}
        ref["notes"] = {
            "prefill_last_logits": "torch fp32 logits at the last prompt position; tiny.onnx in ORT matches within 1e-4",
            "int8_rounded_weights": "torch with the int8-rounded weights of tiny-int8.onnx: ORT matches within 1e-4 "
                                    "with session config session.disable_quant_qdq=1; with default options ORT runs "
                                    "int8 MatMulNBits kernels (int8 activations): expect ~0.05 abs",
            "greedy_ids": f"{GREEDY_STEPS} argmax steps after the prompt, no stop token, with the KV cache",
            "positions": "position_ids 0..len(prompt_ids)-1 for the prefill, then one more per step"}
        with open(os.path.join(out, "reference.json"), "w", encoding="utf-8") as f:
            json.dump(ref, f, indent=1, ensure_ascii=False)
            f.write("\n")

        checks, reports = [], {}
        if run_parity:
            for kind, path in written.items():
                c, report = parity.check_model(model, tok, path, kind, web=web, log=log)
                checks += c
                reports[kind] = report
                card_path = os.path.splitext(path)[0] + ".json"
                card = json.load(open(card_path, encoding="utf-8"))
                card["parity"] = report
                with open(card_path, "w", encoding="utf-8") as f:
                    json.dump(card, f, indent=1, ensure_ascii=False)
                    f.write("\n")
        info = {"seconds": round(time.time() - t0, 1), "written": written, "parity": reports,
                "run": run, "work": work, "heldout": ck.get("heldout")}
        log(f"make_fixture: wrote {out} in {info['seconds']}s")
        return checks, info
    finally:
        if own_work:
            shutil.rmtree(work, ignore_errors=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--no-parity", action="store_true", help="skip the ONNX Runtime checks (no node needed)")
    p.add_argument("--web", action="store_true", help="also check onnxruntime-web (wasm); adds a few seconds")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    checks, info = make_fixture(args.out, run_parity=not args.no_parity, web=args.web)
    parity.print_checks(checks)
    failed = sum(not c.ok for c in checks)
    if checks:
        print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
