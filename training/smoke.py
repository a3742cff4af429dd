#!/usr/bin/python3
"""CI smoke test of the training pipeline (2 CPU cores, well under 3 minutes).

  /usr/bin/python3 training/smoke.py [--keep DIR]        (or training/smoke.sh)

Checks, in order: the fixture corpus is reproducible; the tokenizer (determinism, round trips, special
tokens, save/load); data prep (every schema, README licenses, missing folder message, deterministic
shards, assistant-only loss mask); the model (parameter counts, KV cache = full recompute); then
make_fixture.py end to end (tokenizer -> data -> train -> export fp32 + int8 -> ONNX Runtime parity);
resuming a run from its checkpoint; the model cards. Ends with "N passed, M failed"; exit 1 on failure.
"""
import argparse
import gzip
import json
import os
import shutil
import sys
import tempfile
import time
import traceback

import numpy as np
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # spinning OpenMP threads on a busy 2-core box: 10x slower
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "fixtures"))
import data  # noqa: E402
import make_fixture  # noqa: E402
import make_tiny_corpus  # noqa: E402
import model as model_lib  # noqa: E402
import parity  # noqa: E402
import quant  # noqa: E402
import topic  # noqa: E402
import tokenizer  # noqa: E402
import train  # noqa: E402
from parity import Check  # noqa: E402

CARD_KEYS = ["name", "file", "format", "file_size_bytes", "architecture", "parameters", "tokenizer",
             "chat_format", "onnx", "training"]
ARCH_KEYS = ["vocab_size", "d_model", "n_layers", "n_heads", "n_kv_heads", "head_dim", "ffn_dim",
             "context_length", "rope_theta"]


class Suite:
    def __init__(self):
        self.checks = []

    def add(self, name, ok, detail=""):
        c = Check(name, bool(ok), detail)
        self.checks.append(c)
        print(f"  {'PASS' if c.ok else 'FAIL'}  {name}" + (f"  [{detail}]" if detail else ""), flush=True)

    def extend(self, checks):
        for c in checks:
            self.add(c.name, c.ok, c.detail)

    def guard(self, name, fn):
        """Runs one group of checks; an exception counts as one failure instead of ending the run."""
        print(f"-- {name}", flush=True)
        try:
            fn()
        except BaseException as e:  # SystemExit from a pipeline step is a failure too
            traceback.print_exc()
            self.add(f"{name}: ran without error", False, f"{type(e).__name__}: {e}")


def check_corpus(s):
    path = os.path.join(HERE, "fixtures", "tiny_corpus.jsonl")
    want = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in make_tiny_corpus.build())
    got = open(path, encoding="utf-8").read()
    s.add("fixture corpus matches make_tiny_corpus.py", got == want, f"{len(got)} bytes")


def check_tokenizer(s, work):
    texts = data.training_texts([make_fixture.CORPUS])
    t0 = time.time()
    a = tokenizer.train_tokenizer(texts, 400, log=None)
    b = tokenizer.train_tokenizer(texts, 400, log=None)
    s.add("tokenizer training is deterministic", a.merges == b.merges and a.vocab_size == 400,
          f"vocab {a.vocab_size} in {time.time() - t0:.2f}s")
    bad = [t for t in tokenizer.TRICKY_TEXTS if a.decode(a.encode(t)) != t]
    s.add("tokenizer round-trips the tricky texts", not bad, f"{len(tokenizer.TRICKY_TEXTS) - len(bad)}/"
          f"{len(tokenizer.TRICKY_TEXTS)}")
    ids = a.encode("<|im_start|>user\nhi<|im_end|>\n<|endoftext|>")
    s.add("special tokens are single ids 1, 2, 0",
          ids[0] == 1 and ids.count(2) == 1 and ids[-1] == 0 and a.encode("<|im_start") != [1], str(ids))
    path = os.path.join(work, "tok.json")
    a.save(path)
    c = tokenizer.Tokenizer.load(path)
    spec = json.load(open(path, encoding="utf-8"))
    same = all(c.encode(t) == a.encode(t) for t in tokenizer.TRICKY_TEXTS)
    s.add("tokenizer.json save/load keeps every encoding", same)
    fmt = (spec["model"]["type"] == "BPE" and spec["pre_tokenizer"]["type"] == "ByteLevel"
           and spec["pre_tokenizer"]["add_prefix_space"] is False and spec["decoder"]["type"] == "ByteLevel"
           and all(t["special"] for t in spec["added_tokens"]) and isinstance(spec["model"]["merges"][0], str)
           and len(spec["model"]["vocab"]) == a.vocab_size)
    s.add("tokenizer.json has the HF layout (BPE, ByteLevel, specials, 'a b' merges)", fmt)


def write_schema_folder(root):
    os.makedirs(os.path.join(root, "sub"), exist_ok=True)
    with open(os.path.join(root, "README.md"), "w") as f:
        f.write("# test data\n\n- chat.jsonl: license CC-BY-4.0\n- alpaca.jsonl: license Apache-2.0\n"
                "- notes.txt — public domain, no licence needed\n")

    def jl(name, recs, gz=False):
        opener = gzip.open if gz else open
        with opener(os.path.join(root, name), "wt", encoding="utf-8") as f:
            for r in recs:
                f.write(json.dumps(r) + "\n")
    jl("chat.jsonl", [{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": f"Q{i}?"},
                                    {"role": "assistant", "content": f"Answer {i}."}]} for i in range(20)]
       + [{"messages": [{"role": "user", "content": "dup?"}, {"role": "assistant", "content": "dup."}]}] * 3)
    jl("alpaca.jsonl", [{"instruction": f"Do {i}", "input": "ctx" if i % 2 else "", "output": f"Done {i}."}
                        for i in range(10)] + [{"weird": 1}])
    with open(os.path.join(root, "pr.json"), "w") as f:
        json.dump([{"prompt": f"P{i}", "response": f"R{i}"} for i in range(5)], f)
    jl("sub/qa.jsonl.gz", [{"question": f"What is {i}?", "answer": f"It is {i}."} for i in range(7)], gz=True)
    jl("share.jsonl", [{"conversations": [{"from": "human", "value": "hey"}, {"from": "gpt", "value": "Hello!"}]}])
    jl("prose.jsonl", [{"text": f"Plain text number {i}."} for i in range(4)])
    with open(os.path.join(root, "notes.txt"), "w") as f:
        f.write("\n\n".join(f"Paragraph {i} " + "word " * 300 for i in range(6)))


def check_data(s, work):
    root = os.path.join(work, "schemas")
    write_schema_folder(root)
    try:
        data.find_sources([os.path.join(work, "no-such-folder")])
        s.add("missing data folder fails with a clear message", False)
    except SystemExit as e:
        s.add("missing data folder fails with a clear message", "does not exist" in str(e), str(e).splitlines()[0])
    texts = data.training_texts([root])
    tok = tokenizer.train_tokenizer(texts, 400, log=None)
    tok_path = os.path.join(work, "schemas-tok.json")
    tok.save(tok_path)
    m1 = data.prepare([root], tok_path, os.path.join(work, "prep1"), heldout=0.2, workers=1, log=None)
    m2 = data.prepare([root], tok_path, os.path.join(work, "prep2"), heldout=0.2, workers=2, log=None)
    src = {x["file"]: x for x in m1["sources"]}
    want = {"chat.jsonl": 21, "alpaca.jsonl": 10, "pr.json": 5, os.path.join("sub", "qa.jsonl.gz"): 7,
            "share.jsonl": 1, "prose.jsonl": 4}
    got = {k: src.get(k, {}).get("examples") for k in want}
    s.add("every schema is read (messages, instruction, prompt, question, ShareGPT, text, .gz, .json)",
          got == want and "README.md" not in src, str(got))
    s.add("prose files are cut into documents", src.get("notes.txt", {}).get("text_examples", 0) >= 2,
          f"{src.get('notes.txt', {}).get('text_examples')} documents")
    s.add("duplicates and unknown records are dropped and counted",
          src["chat.jsonl"]["skipped"].get("duplicates") == 2 and src["alpaca.jsonl"]["skipped"].get("unknown_schema") == 1)
    s.add("licenses come from the data README", "CC-BY-4.0" in src["chat.jsonl"]["license"]
          and "Apache" in src["alpaca.jsonl"]["license"] and "public domain" in src["notes.txt"]["license"])
    same = all(open(os.path.join(work, "prep1", st, f"{sp}_000{ext}"), "rb").read()
               == open(os.path.join(work, "prep2", st, f"{sp}_000{ext}"), "rb").read()
               for st in ("pretrain", "sft") for sp in ("train", "val") for ext in (".bin", ".mask.bin"))
    s.add("shards are deterministic (1 vs 2 workers)", same and m1["streams"] == m2["streams"])
    val, train_ = m1["streams"]["pretrain"]["val"]["documents"], m1["streams"]["pretrain"]["train"]["documents"]
    s.add("held-out split is non-empty on both sides", val > 0 and train_ > 0, f"train {train_} / val {val} docs")
    ids = np.fromfile(os.path.join(work, "prep1", "sft", "train_000.bin"), dtype=np.uint16)
    mask = np.fromfile(os.path.join(work, "prep1", "sft", "train_000.mask.bin"), dtype=np.uint8)
    starts = np.load(os.path.join(work, "prep1", "sft", "train_000.starts.npy"))
    doc = ids[starts[0]:starts[1]]
    target = tok.decode([int(t) for t, m in zip(doc, mask[starts[0]:starts[1]]) if m])
    full = tok.decode([int(t) for t in doc])
    s.add("sft loss mask covers exactly the assistant reply + <|im_end|>",
          target.endswith("<|im_end|>") and "<|im_start|>assistant\n" + target in full and "user" not in target,
          repr(target))


def check_model(s):
    counts = {}
    for name in ("tiny", "8m", "16m", "28m"):
        counts[name] = model_lib.count_parameters(model_lib.ModelConfig.load(name))["total"]
    ok = counts["tiny"] < 1_000_000 and all(8_000_000 <= counts[n] <= 30_000_000 for n in ("8m", "16m", "28m"))
    s.add("config sizes: tiny < 1M, 8m/16m/28m within 8M-30M", ok, ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    torch.manual_seed(0)
    m = model_lib.Transformer(model_lib.ModelConfig.load("tiny")).eval()
    s.add("built model has the counted parameters", m.num_parameters() == counts["tiny"])
    ids = torch.randint(0, 512, (2, 12))
    with torch.no_grad():
        full, _ = m(ids)
        out, past = m(ids[:, :5])
        outs = [out]
        for t in range(5, 12):
            out, past = m(ids[:, t:t + 1], past_key_values=past)
            outs.append(out)
    d = float((torch.cat(outs, 1) - full).abs().max())
    s.add("torch: prefill + cached decode = full forward", d < 1e-5, f"max abs diff {d:.1e}")


def check_fixture_and_resume(s, out, work):
    t0 = time.time()
    checks, info = make_fixture.make_fixture(out, work=work, log=lambda m: print("     " + m, flush=True))
    secs = time.time() - t0
    s.extend(checks)
    files = ["tiny.onnx", "tiny-int8.onnx", "tiny.json", "tiny-int8.json", "tokenizer.json",
             "tokenizer_fixture.json", "reference.json"]
    missing = [f for f in files if not os.path.exists(os.path.join(out, f))]
    s.add("make_fixture wrote every file", not missing, f"{secs:.1f}s" + (f", missing {missing}" if missing else ""))
    model, _, tok = make_fixture.export.load_run(info["run"])
    for kind, path in info["written"].items():
        s.extend(parity.check_web(model, tok, path, kind)[0])
    s.guard("inference candidates (quant.py)", lambda: check_quant(s, out, work, model, tok))
    fp32, int8 = (os.path.getsize(os.path.join(out, f)) for f in ("tiny.onnx", "tiny-int8.onnx"))
    s.add("int8 file is about a third of fp32 or less", int8 < 0.4 * fp32, f"{fp32:,} -> {int8:,} bytes")
    for name in ("tiny.json", "tiny-int8.json"):
        card = json.load(open(os.path.join(out, name), encoding="utf-8"))
        lacking = [k for k in CARD_KEYS if k not in card] + [k for k in ARCH_KEYS if k not in card.get("architecture", {})]
        tr = card.get("training", {})
        ok = (not lacking and tr.get("heldout_loss") is not None and tr.get("tokens_seen") and tr.get("steps")
              and tr.get("data_sources") and tr["data_sources"][0].get("license")
              and card["file_size_bytes"] == os.path.getsize(os.path.join(out, card["file"])))
        s.add(f"card {name} has every field", ok, f"missing {lacking}" if lacking else
              f"held-out loss {tr.get('heldout_loss')}, ppl {tr.get('heldout_perplexity')}")
    ref = json.load(open(os.path.join(out, "reference.json"), encoding="utf-8"))
    tok = tokenizer.Tokenizer.load(os.path.join(out, "tokenizer.json"))
    s.add("reference.json: shape, prompt ids, last logits, 8 greedy ids (the keys tests/test_ort_model.cpp reads)",
          ref["prompt_ids"] == tok.encode(ref["prompt"]) and len(ref["prefill_last_logits"]) == tok.vocab_size
          and len(ref["greedy_ids"]) == 8 and ref["vocab_size"] == tok.vocab_size and ref["n_layers"] == 2
          and ref["n_kv_heads"] == 2 and ref["head_dim"] == 16, ref["greedy_text"])
    pairs = json.load(open(os.path.join(out, "tokenizer_fixture.json"), encoding="utf-8"))
    s.add("tokenizer_fixture.json pairs re-encode the same", all(tok.encode(p["text"]) == p["ids"] for p in pairs),
          f"{len(pairs)} pairs")

    # resume: the same run with 10 more sft steps continues from the checkpoint
    run = info["run"]
    args = train.parser().parse_args([
        "--config", "tiny", "--data", os.path.join(work, "data"), "--out", run, "--pretrain-steps", "160",
        "--sft-steps", "70", "--batch-size", "16", "--eval-every", "0", "--save-every", "0", "--log-every", "5",
        "--threads", "1", "--seed", "7"])
    lines = []
    _, summary = train.train(args, log=lambda m: (lines.append(m), print("     " + m, flush=True)))
    s.add("training resumes from its checkpoint", any("resumed from" in m and "step 220" in m for m in lines)
          and summary["steps"] == 230 and summary["phase_steps"] == {"pretrain": 160, "sft": 70},
          f"steps {summary['steps']}")
    rows = open(os.path.join(run, "log.csv")).read().splitlines()
    s.add("log.csv keeps the loss curve across the resume", rows[0].startswith("step,phase") and
          any(r.startswith("230,sft") for r in rows) and any(",eval," in r for r in rows), f"{len(rows) - 1} rows")
    # Durations are reported, not asserted: a loaded CI machine must not fail a correct pipeline.
    print(f"     make_fixture took {secs:.1f} s (budget: 60 s on an idle 2-core machine)", flush=True)


def check_topic(s):
    Ex = data.Example
    on = Ex("t", [("user", "How do plants make food?"), ("assistant", "Plants make their food by photosynthesis.")])
    stem = Ex("t", [("user", "Which planets are gaseous?"), ("assistant", "The gaseous planet Jupiter is largest.")])
    off = Ex("t", [("user", "How do plants make food?"), ("assistant", "Sure! Here is a short answer for you now, "
                                                                          "about how plants make food.")])
    s.add("topic: a reply restating the question's words is on topic, a stem counts",
          topic.opener_restates_question(on) is True and topic.opener_restates_question(stem) is True)
    s.add("topic: 'Sure! Here is…' whose content words come after 8 words is off topic",
          topic.opener_restates_question(off) is False and topic.opener_restates_question(Ex("t", text="x")) is None)
    late = Ex("t", [("user", "How do plants make food?"), ("assistant", "There are several ways plants make food.")])
    s.add("topic: the window is a parameter ('There are several ways plants…' is on topic in 8 words, not in 4)",
          topic.opener_restates_question(late) is True and topic.opener_restates_question(late, 4) is False)
    mix = {"@off_topic_opener": 0.25, "@opener_words": 5}
    s.add("mix: the @off_topic_opener key is never taken for a file pattern",
          data.weight_for("chat/a.jsonl", mix) == 1.0 and data.weight_for("@opener_words", mix) == 1.0, f"{data.weight_for('chat/a.jsonl', mix)}")


def check_quant(s, out, work, model, tok):
    """Every inference candidate of the fixture's int8 export loads in ONNX Runtime (onnxruntime-node) and
    stays near torch; the fp32 fold is exact; the DynamicQuantizeMatMul form holds the DQ form's numbers."""
    import onnx
    from onnx import numpy_helper
    src = onnx.load(os.path.join(out, "tiny-int8.onnx"))
    qdir = os.path.join(work, "quant")
    os.makedirs(qdir, exist_ok=True)
    paths = {}
    # -head needs d_model (64 here) to be a multiple of its block: the tiny model runs the candidates that fit
    # (nbits8-b32-head among them)
    d = model.cfg.d_model
    cands = [c for c in quant.CANDIDATES if not ("-head" in c and d % quant.parse(c)[1])]
    for c in cands:
        proto = quant.build(c, src)
        onnx.checker.check_model(proto)
        paths[c] = os.path.join(qdir, f"tiny.{c}.onnx")
        onnx.save(proto, paths[c])
    names = lambda p: ([i.name for i in p.graph.input], [o.name for o in p.graph.output])  # noqa: E731
    s.add("quant: every candidate keeps the decoder's inputs and outputs",
          all(names(onnx.load(p)) == names(src) for p in paths.values()), ", ".join(cands))
    w = lambda p: {i.name: numpy_helper.to_array(i) for i in p.graph.initializer}  # noqa: E731
    a, b = w(quant.build("fp32", src)), w(quant.build("fp32", onnx.load(paths["dqmm"])))
    s.add("quant: fp32 from the DynamicQuantizeMatMul form == fp32 from the DQ form (same int8 numbers)",
          sorted(map(np.shape, a.values())) == sorted(map(np.shape, b.values())) and
          np.allclose(sorted(float(np.abs(v).sum()) for v in a.values()), sorted(float(np.abs(v).sum()) for v in b.values()),
                      rtol=1e-6))
    cfg = model.cfg
    ids, split, rows, gprompt = parity.parity_cases(tok, cfg)
    ref = parity.torch_reference(parity.fake_quant_model(model), ids, rows, gprompt, 4)
    scale = float(np.abs(ref["logits"]).max())
    for c in ("fp32", "dqmm", "nbits8-b32", "nbits4-b32"):
        o = parity.run_ort(paths[c], cfg, ids, split, rows, gprompt, 4, timing_steps=0,
                           session_config={"session.disable_quant_qdq": "1"})
        d = parity.tail_diff(o["prefill"], ref["logits"])
        bound = 1e-4 if c == "fp32" else (0.05 if c != "nbits4-b32" else 0.25) * scale
        s.add(f"quant: {c} runs in ONNX Runtime within {bound:.2g} of torch (int8-rounded weights)", d <= bound,
              f"max |diff| {d:.3g}")


def check_ddp(s, work):
    """Two gloo ranks on this CPU, launched as torchrun would (MASTER_ADDR/PORT, WORLD_SIZE, RANK,
    LOCAL_RANK): the run completes, rank 0 alone writes, and a step covers both ranks' rows.
    (Debian's torch 1.13 `torchrun` fails under Python 3.11 before it starts any worker, so the
    environment is set here by hand; the code path in train.py is the same.)"""
    import socket
    import subprocess
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = os.path.join(work, "ddp-run")
    cmd = [sys.executable, os.path.join(HERE, "train.py"), "--config", "tiny", "--data", os.path.join(work, "data"),
           "--out", out, "--pretrain-steps", "6", "--sft-steps", "4", "--batch-size", "4", "--seq-len", "64",
           "--threads", "1", "--eval-every", "0", "--save-every", "0", "--eval-windows", "4", "--log-every", "5"]
    procs = []
    for rank in (0, 1):
        env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE="2", RANK=str(rank),
                   LOCAL_RANK=str(rank))
        procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    logs = [p.communicate(timeout=300)[0] for p in procs]
    codes = [p.returncode for p in procs]
    s.add("DDP: two gloo ranks finish", codes == [0, 0], f"exit codes {codes}" + ("" if codes == [0, 0] else logs[0][-400:] + logs[1][-400:]))
    summary = json.load(open(os.path.join(out, "summary.json"), encoding="utf-8")) if os.path.exists(os.path.join(out, "summary.json")) else {}
    s.add("DDP: rank 0 writes the run, a step is both ranks' rows", summary.get("world_size") == 2 and summary.get("steps") == 10
          and summary.get("tokens_seen") == 10 * 4 * 64 * 2 and "DDP x 2" in logs[0] and "step" not in logs[1],
          f"tokens {summary.get('tokens_seen')}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--keep", help="write the fixture model and work files here instead of a temp folder")
    args = p.parse_args(argv)
    torch.set_num_threads(2)
    t0 = time.time()
    base = args.keep or tempfile.mkdtemp(prefix="headstart-smoke-")
    work, out = os.path.join(base, "work"), os.path.join(base, "fixture")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work, exist_ok=True)
    s = Suite()
    try:
        s.guard("fixture corpus", lambda: check_corpus(s))
        s.guard("tokenizer", lambda: check_tokenizer(s, work))
        s.guard("data", lambda: check_data(s, work))
        s.guard("model", lambda: check_model(s))
        s.guard("make_fixture + parity + resume", lambda: check_fixture_and_resume(s, out, work))
        s.guard("topic filter and mix factor", lambda: check_topic(s))
        s.guard("DDP (torchrun's environment, gloo)", lambda: check_ddp(s, work))
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    secs = time.time() - t0
    print(f"smoke test took {secs:.0f} s (budget: 3 minutes on an idle 2-core machine)")
    failed = sum(not c.ok for c in s.checks)
    print(f"{len(s.checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
