#!/usr/bin/python3
"""Training speed and precision, measured in one process: bf16 autocast against fp32, and batch shapes.

  /usr/bin/python3 training/bench_train.py --data build/training/data-8192 [--config 8m] [--steps 200]
                                           [--batch 8] [--seq 128] [--shapes] [--threads 2]

1. tracking: the same model (same init) trained twice on the same batches, once in fp32 and once with
   bf16 autocast (fp32 master weights, loss in fp32); prints both losses every 25 steps, the largest
   gap, the held-out reply loss of each at the end and tokens/s of each.
2. --shapes: tokens/s of a few training steps for batch x sequence shapes at the same tokens per step,
   and for a smaller vocabulary (4096: the embedding and the output matrix shrink), bf16.
Both phases draw reply windows from the sft stream (data.py output) as train.py does.
"""
import argparse
import copy
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import numpy as np  # noqa: E402
import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import train  # noqa: E402
from model import ModelConfig, Transformer  # noqa: E402


def autocast(bf16):
    return torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else torch.autocast("cpu", enabled=False)


def run(model, stream, steps, batch, seq, bf16, seed, lr=1e-3, vocab_clip=None):
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    losses, t_total = [], 0.0
    for step in range(steps):
        rng = np.random.default_rng([seed, step])
        x, y, w = stream.sample(rng, batch, seq, True)
        if vocab_clip:
            x, y = x % vocab_clip, y % vocab_clip
        t0 = time.perf_counter()
        with autocast(bf16):
            loss = train.masked_loss(model, x, y, w)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        t_total += time.perf_counter() - t0
        losses.append(loss.item())
    return losses, steps * batch * seq / t_total


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True)
    p.add_argument("--config", default="8m")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--shapes", action="store_true")
    p.add_argument("--shape-steps", type=int, default=12)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    stream = train.Stream(os.path.join(a.data, "sft"), "train")
    val = train.Stream(os.path.join(a.data, "sft"), "val").eval_windows(a.seq, 200, True)
    cfg = ModelConfig.load(a.config)
    print(f"bf16 autocast on this CPU: {train.cpu_has_bf16()}; torch {torch.__version__}, {a.threads} threads")
    torch.manual_seed(0)
    base = Transformer(cfg)
    results = {}
    for name, bf16 in (("fp32", False), ("bf16", True)):
        model = copy.deepcopy(base)
        losses, tps = run(model, stream, a.steps, a.batch, a.seq, bf16, seed=1)
        held = train.evaluate(model, val, "cpu", 16, lambda: autocast(False))
        results[name] = (losses, tps, held)
        print(f"{name}: {a.steps} steps of {a.batch}x{a.seq}, {tps:,.0f} tokens/s, final held-out reply loss "
              f"(fp32 eval) {held:.4f}", flush=True)
    f32, b16 = results["fp32"][0], results["bf16"][0]
    print("\nstep   fp32 loss  bf16 loss  (mean of the last 25 steps)")
    for s in range(25, a.steps + 1, 25):
        print(f"{s:5d}  {np.mean(f32[s - 25:s]):9.4f}  {np.mean(b16[s - 25:s]):9.4f}")
    gap = max(abs(np.mean(f32[s - 25:s]) - np.mean(b16[s - 25:s])) for s in range(25, a.steps + 1, 25))
    print(f"largest gap of the 25-step means: {gap:.4f}; held-out fp32 {results['fp32'][2]:.4f} vs bf16 "
          f"{results['bf16'][2]:.4f}; speed bf16 / fp32 = {results['bf16'][1] / results['fp32'][1]:.2f}x")
    if a.shapes:
        tokens = a.batch * a.seq * 2
        print(f"\nshapes (bf16, {tokens} tokens per step, {a.shape_steps} steps after 2 warm-up steps):")
        print("batch x seq   vocab   tokens/s")
        for batch, seq, vocab in ((tokens // 128, 128, cfg.vocab_size), (tokens // 256, 256, cfg.vocab_size),
                                  (tokens // 512, 512, cfg.vocab_size), (tokens // 256, 256, 4096)):
            c = copy.deepcopy(cfg)
            c.vocab_size = vocab
            torch.manual_seed(0)
            m = Transformer(c)
            run(m, stream, 2, batch, seq, True, seed=3, vocab_clip=vocab)
            _, tps = run(m, stream, a.shape_steps, batch, seq, True, seed=4, vocab_clip=vocab)
            print(f"{batch:5d} x {seq:<4d}  {vocab:5d}   {tps:8,.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
