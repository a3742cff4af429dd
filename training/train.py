#!/usr/bin/python3
"""Training: pretrain on all text, then fine-tune on assistant replies only; CPU or CUDA; resumable.

Map of this file:
  Stream         the memory-mapped shards of one stream/split written by data.py
  lr_at()        per-phase schedule: linear warmup, cosine decay to min_lr_ratio * peak
  evaluate()     held-out loss (token-weighted) over fixed windows of the val shards
  train()        the loop: resume, progress lines, log.csv, periodic eval, checkpoints, summary.json
  main()         CLI

Phases (one global step counter):
  pretrain  steps [0, pretrain_steps)          random windows of the `pretrain` stream, loss on every token
  sft       steps [pretrain_steps, total)      windows starting at a conversation's first token in the
                                              `sft` stream, loss only on assistant replies (+ their <|im_end|>)
Files in --out RUN: ckpt.pt (latest; rerunning the same command resumes from it), log.csv (loss curve;
eval rows carry val_*), summary.json, loss.png, tokenizer.json and data_manifest.json (copies).
"""
import argparse
import csv
import glob
import json
import math
import os
import shutil
import signal
import sys
import time

import numpy as np
if "GOMP_SPINCOUNT" not in os.environ:  # spinning OpenMP threads on a busy 2-core box: 10x slower
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import ModelConfig, Transformer  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402

LOG_FIELDS = ["step", "phase", "lr", "loss", "tokens_seen", "tokens_per_s", "elapsed_s",
              "val_pretrain_loss", "val_sft_loss", "val_opener_loss", "segment"]
SEGMENT_FIELDS = ["segment", "started", "device", "precision", "steps", "tokens", "wall_s", "tokens_per_s",
                  "tokens_total", "train_loss", "val_pretrain_loss", "val_sft_loss", "val_opener_loss",
                  "opener_frac", "opener_tokens", "prompt_weight", "seq_len", "batch", "sft_lr", "mix"]
OPENER_EVAL_TOKENS = 16   # held-out "opener" loss: the first 16 tokens of each held-out reply


def cpu_has_bf16():
    """AVX512-BF16 or AMX: bf16 autocast on CPU is then ~3x faster than fp32 (measured with this model)."""
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


class Stream:
    """Shards {split}_NNN.bin (uint16 ids) + .mask.bin (uint8) + .starts.npy (document offsets)."""

    def __init__(self, folder, split, eot_id=0):
        self.eot_id = eot_id
        self.shards = []
        for path in sorted(glob.glob(os.path.join(folder, f"{split}_*.bin"))):
            if path.endswith(".mask.bin") or os.path.getsize(path) == 0:
                continue
            stem = path[:-4]
            ids = np.memmap(path, dtype=np.uint16, mode="r")
            mask = np.memmap(stem + ".mask.bin", dtype=np.uint8, mode="r")
            starts = np.load(stem + ".starts.npy")
            self.shards.append((ids, mask, starts))
        self.tokens = sum(len(s[0]) for s in self.shards)

    def __bool__(self):
        return bool(self.tokens > 0)

    def window(self, shard, start, length):
        """ids, loss mask and validity (0 = padding) of length+1 tokens from start; padded past the end."""
        ids, mask, _ = self.shards[shard]
        out_ids = np.full(length + 1, self.eot_id, dtype=np.int64)
        out_mask = np.zeros(length + 1, dtype=np.int64)
        valid = np.zeros(length + 1, dtype=np.int64)
        chunk = slice(start, min(start + length + 1, len(ids)))
        n = chunk.stop - chunk.start
        out_ids[:n] = ids[chunk]
        out_mask[:n] = mask[chunk]
        valid[:n] = 1
        return out_ids, out_mask, valid

    def sample(self, rng, n, length, at_doc_starts, prompt_weight=0.0):
        return batch_tensors(self.sample_rows(rng, n, length, at_doc_starts), prompt_weight)

    def sample_rows(self, rng, n, length, at_doc_starts):
        sizes = np.array([len(s[0]) for s in self.shards], dtype=np.float64)
        picks = rng.choice(len(self.shards), size=n, p=sizes / sizes.sum())
        rows = []
        for shard in picks:
            ids, _, starts = self.shards[shard]
            if at_doc_starts:
                start = int(starts[rng.integers(len(starts))])
            else:
                start = int(rng.integers(max(1, len(ids) - length - 1)))
            rows.append(self.window(shard, start, length))
        return rows

    def eval_windows(self, length, max_windows, at_doc_starts, first_reply_tokens=0):
        """A fixed list of windows: consecutive ones (pretrain) or one per document start (sft); with
        first_reply_tokens, the loss mask keeps only that many tokens of the document's first reply."""
        out = []
        for shard, (ids, _, starts) in enumerate(self.shards):
            offsets = starts if at_doc_starts else range(0, max(1, len(ids) - 1), length)
            for start in offsets:
                w_ids, w_mask, w_valid = self.window(shard, int(start), length)
                if first_reply_tokens:
                    on = np.flatnonzero(w_mask[1:])  # targets are shifted by one
                    if len(on) == 0:
                        continue
                    w_mask = np.zeros_like(w_mask)
                    w_mask[1 + on[:first_reply_tokens]] = 1
                out.append((w_ids, w_mask, w_valid))
                if len(out) >= max_windows:
                    return out
        return out


class OpenerStream(Stream):
    """Opener windows of a chat stream: each conversation from its first token to `reply_tokens` tokens into
    its first assistant reply, packed one after another into one in-memory shard. The product only ever
    shows a reply's first ~8-16 tokens, so a window costs a fraction of a whole reply and the same number of
    tokens sees each question many more times. Conversations whose prompt is longer than max_prompt are
    left out (the runtime prompts are short questions)."""

    def __init__(self, source, reply_tokens, max_prompt):
        self.eot_id = source.eot_id
        ids_out, mask_out, starts_out, self.skipped = [], [], [], 0
        n = 0
        for ids, mask, starts in source.shards:
            ends = np.append(starts[1:], len(ids))
            for a, b in zip(starts, ends):
                first = np.flatnonzero(mask[a:b])
                if len(first) == 0 or first[0] > max_prompt:
                    self.skipped += 1
                    continue
                stop = a + int(first[0]) + reply_tokens
                # a reply shorter than the window: take it whole (its <|im_end|>) and the document's end
                stop = b if stop >= b - 2 else stop
                starts_out.append(n)
                ids_out.append(np.asarray(ids[a:stop]))
                mask_out.append(np.asarray(mask[a:stop]))
                n += int(stop - a)
        self.shards = []
        if starts_out:
            self.shards.append((np.concatenate(ids_out), np.concatenate(mask_out), np.array(starts_out)))
        self.tokens = n
        self.windows = len(starts_out)


def mixed_sample(streams, fracs, rng, n, length):
    """One batch whose rows come from several streams (at document starts), in the given proportions."""
    counts = [int(round(f * n)) for f in fracs]
    counts[0] = n - sum(counts[1:])
    rows = []
    for st, k in zip(streams, counts):
        if k > 0:
            rows += st.sample_rows(rng, k, length, True)
    return rows


def batch_tensors(rows, prompt_weight=0.0):
    """inputs, targets and the loss weight of each target: 1 on targets the mask marks (assistant replies),
    prompt_weight on the other real tokens, 0 on padding."""
    ids = torch.from_numpy(np.stack([r[0] for r in rows]))
    mask = torch.from_numpy(np.stack([r[1] for r in rows])).float()
    valid = torch.from_numpy(np.stack([r[2] for r in rows])).float()
    weight = mask + prompt_weight * (valid - mask) if prompt_weight else mask
    return ids[:, :-1], ids[:, 1:], weight[:, 1:]


def lr_at(step, a, segment_fraction=None):
    """Learning rate at a global step: each phase warms up and decays on its own. In a timed segment
    (--minutes) the decay follows the fraction of the segment's time budget spent, not steps."""
    if segment_fraction is not None:
        warm = a.sft_warmup
        if step < warm:
            return a.sft_lr * (step + 1) / warm
        low = a.sft_lr * a.min_lr_ratio
        return low + 0.5 * (a.sft_lr - low) * (1 + math.cos(math.pi * min(1.0, segment_fraction)))
    if step < a.pretrain_steps:
        s, n, peak, warm = step, a.pretrain_steps, a.lr, a.warmup
    else:
        s, n, peak, warm = step - a.pretrain_steps, a.sft_steps, a.sft_lr, a.sft_warmup
    warm = min(warm, max(1, n // 10))
    if s < warm:
        return peak * (s + 1) / warm
    progress = min(1.0, (s - warm) / max(1, n - warm))
    low = peak * a.min_lr_ratio
    return low + 0.5 * (peak - low) * (1 + math.cos(math.pi * progress))


def masked_loss(model, x, y, w, reduction="mean", weighted=False):
    """Cross-entropy in fp32 (also under bf16 autocast) over the targets where w > 0; with weighted,
    each target's loss is scaled by w (the mean is then over the weights)."""
    logits, _ = model(x)
    if not weighted:
        y = y.masked_fill(w == 0, -1)
        return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-1,
                               reduction=reduction)
    ce = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="none")
    total = (ce * w.reshape(-1)).sum()
    return total if reduction == "sum" else total / w.sum().clamp(min=1e-9)


@torch.no_grad()
def evaluate(model, windows, device, batch_size, autocast):
    """Token-weighted mean loss over the windows (None when there are none)."""
    if not windows:
        return None
    model.eval()
    total, count = 0.0, 0
    for i in range(0, len(windows), batch_size):
        x, y, m = (t.to(device) for t in batch_tensors(windows[i:i + batch_size]))
        with autocast():
            total += masked_loss(model, x, y, m, reduction="sum").item()
        count += float(m.sum())
    model.train()
    return total / max(1, count)


def fmt_time(s):
    s = int(max(0, s))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def save_checkpoint(path, state):
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def plot_loss(log_path, out_png):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    rows = list(csv.DictReader(open(log_path)))
    fig, ax = plt.subplots(figsize=(7, 4))
    tr = [(int(r["step"]), float(r["loss"])) for r in rows if r["loss"]]
    if tr:
        ax.plot(*zip(*tr), label="train", lw=1)
    for key, label in (("val_pretrain_loss", "held-out (all tokens)"), ("val_sft_loss", "held-out (replies)")):
        pts = [(int(r["step"]), float(r[key])) for r in rows if r.get(key)]
        if pts:
            ax.plot(*zip(*pts), "o-", label=label, ms=3)
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats/token)")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)


def train(a, log=print):
    torch.set_num_threads(a.threads)
    device = a.device if a.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    is_cuda = device.startswith("cuda")
    # Under torchrun (WORLD_SIZE > 1): DDP, one process per GPU (nccl) or per CPU worker (gloo). Every
    # rank draws its own rows of each step; rank 0 alone logs, evaluates into the files and saves.
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0")) if world > 1 else 0
    if world > 1:
        import torch.distributed as dist
        dist.init_process_group("nccl" if is_cuda else "gloo")
        if is_cuda:
            local_rank = int(os.environ.get("LOCAL_RANK", "0"))
            torch.cuda.set_device(local_rank)
            device = f"cuda:{local_rank}"
        if rank != 0:
            log = lambda *args, **kwargs: None  # noqa: E731
    main_rank = rank == 0
    os.makedirs(a.out, exist_ok=True)
    manifest_path = os.path.join(a.data, "manifest.json")
    if not os.path.exists(manifest_path):
        raise SystemExit(f"{a.data} has no manifest.json: run training/data.py first")
    manifest = json.load(open(manifest_path, encoding="utf-8"))
    tok_path = a.tokenizer or manifest["tokenizer"]
    tok = Tokenizer.load(tok_path)
    run_tok = os.path.join(a.out, "tokenizer.json")
    if main_rank and os.path.abspath(tok_path) != os.path.abspath(run_tok):
        shutil.copyfile(tok_path, run_tok)
    if main_rank:
        shutil.copyfile(manifest_path, os.path.join(a.out, "data_manifest.json"))

    cfg = ModelConfig.load(a.config)
    if cfg.vocab_size != tok.vocab_size:
        log(f"note: config {cfg.name} says vocab {cfg.vocab_size}, tokenizer has {tok.vocab_size}: using the tokenizer's")
        cfg.vocab_size = tok.vocab_size
    seq_len = min(a.seq_len or cfg.context_length, cfg.context_length)

    pre_train = Stream(os.path.join(a.data, "pretrain"), "train", tok.eot_id)
    pre_val = Stream(os.path.join(a.data, "pretrain"), "val", tok.eot_id)
    sft_train = Stream(os.path.join(a.data, "sft"), "train", tok.eot_id)
    sft_val = Stream(os.path.join(a.data, "sft"), "val", tok.eot_id)
    if a.pretrain_steps and not pre_train:
        raise SystemExit("the pretrain stream is empty")
    if a.sft_steps and not sft_train:
        log("note: no chat examples: skipping the sft phase")
        a.sft_steps = 0
    eval_sets = {"pretrain": pre_val.eval_windows(seq_len, a.eval_windows, False),
                 "sft": sft_val.eval_windows(seq_len, a.eval_windows, True),
                 "opener": sft_val.eval_windows(seq_len, a.eval_windows, True, OPENER_EVAL_TOKENS)}
    opener_train = None
    if a.opener_frac > 0 and sft_train:
        opener_train = OpenerStream(sft_train, a.opener_tokens, max(8, seq_len - a.opener_tokens))
        log(f"opener windows: {opener_train.windows:,} conversations to {a.opener_tokens} reply tokens, "
            f"{opener_train.tokens:,} tokens ({opener_train.skipped} with longer prompts left out); "
            f"{a.opener_frac:.0%} of each sft batch")
    timed = a.minutes > 0
    if timed:  # one timed segment of reply training; its schedule follows the time budget
        a.pretrain_steps, a.sft_steps = 0, 10 ** 9

    torch.manual_seed(a.seed)
    model = Transformer(cfg).to(device)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=a.lr, betas=(0.9, 0.95),
                            eps=1e-8, **({"fused": True} if is_cuda and "fused" in
                                         torch.optim.AdamW.__init__.__code__.co_varnames else {}))
    if a.precision == "auto":
        use_bf16 = torch.cuda.is_bf16_supported() if is_cuda else cpu_has_bf16()
    else:
        use_bf16 = a.precision == "bf16"
    precision = "bf16" if use_bf16 else "fp32"
    if is_cuda:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True

    def autocast():
        """bf16 autocast of the matmuls; master weights, optimizer and loss stay fp32."""
        if use_bf16:
            return torch.autocast("cuda" if is_cuda else "cpu", dtype=torch.bfloat16)
        return torch.autocast("cpu", enabled=False)

    ckpt_path = os.path.join(a.out, "ckpt.pt")
    log_path = os.path.join(a.out, "log.csv")
    step, tokens_seen, elapsed, heldout = 0, 0, 0.0, {}
    history = []                      # finished segments (from the committed resume point)
    segment = {"segment": 1, "started": time.strftime("%Y-%m-%d %H:%M"), "device": device, "precision": precision}
    resume_pt = os.path.join(a.resume, "resume.pt") if a.resume else None
    if os.path.exists(ckpt_path) and not a.fresh:
        ck = torch.load(ckpt_path, map_location=device)
        if ck["config"] != cfg.to_dict():
            raise SystemExit(f"{ckpt_path} was trained with another config; use --fresh or another --out")
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        step, tokens_seen, elapsed, heldout = ck["step"], ck["tokens_seen"], ck["elapsed_s"], ck.get("heldout", {})
        history, segment = ck.get("history", []), ck.get("segment", segment)
        log(f"resumed from {ckpt_path} at step {step}")
    else:
        if main_rank and os.path.exists(log_path):
            os.remove(log_path)
        if resume_pt and os.path.exists(resume_pt):
            rp = torch.load(resume_pt, map_location="cpu")
            if rp["config"] != cfg.to_dict():
                raise SystemExit(f"{resume_pt} holds another config ({rp['config'].get('name')})")
            if rp.get("tokenizer_sha256") and rp["tokenizer_sha256"] != manifest.get("tokenizer_sha256"):
                raise SystemExit(f"{resume_pt} was trained with another tokenizer than {a.data}'s "
                                 "(prepare the data with assets/models/tokenizer.json)")
            model.load_state_dict({k: v.float() for k, v in rp["model"].items()})
            history = rp.get("segments", [])
            segment["segment"] = len(history) + 1
            old_log = os.path.join(a.resume, "log.csv")
            if main_rank and os.path.exists(old_log):  # the earlier segments' rows, in this version's column order
                with open(old_log, newline="") as f_in, open(log_path, "w", newline="") as f_out:
                    wr = csv.writer(f_out)
                    wr.writerow(LOG_FIELDS)
                    for row in csv.DictReader(f_in):
                        wr.writerow([row.get(k, "") for k in LOG_FIELDS])
            log(f"segment {segment['segment']}: weights from {resume_pt} "
                f"({sum(int(h['tokens']) for h in history):,} tokens over {len(history)} segments); "
                f"optimizer restarts with a {a.sft_warmup}-step warm-up")
    if main_rank and not os.path.exists(log_path):
        with open(log_path, "w", newline="") as f:
            csv.writer(f).writerow(LOG_FIELDS)

    train_model = torch.compile(model) if a.compile and hasattr(torch, "compile") else model
    if world > 1:
        train_model = torch.nn.parallel.DistributedDataParallel(
            train_model, device_ids=[torch.cuda.current_device()] if is_cuda else None)
    total_steps = a.pretrain_steps + a.sft_steps
    tokens_per_step = a.batch_size * a.grad_accum * seq_len * world
    where = (f"cpu, {a.threads} threads" if device == "cpu" else device) + f", {precision}"
    if world > 1:
        where += f", DDP x {world}"
    log(f"model {cfg.name}: {model.num_parameters():,} parameters, vocab {cfg.vocab_size}, device {where}")
    log(f"data: pretrain {pre_train.tokens:,} train / {pre_val.tokens:,} val tokens; "
        f"sft {sft_train.tokens:,} train / {sft_val.tokens:,} val tokens")
    plan = (f"segment {segment['segment']}: {a.minutes:g} minutes of reply training" if timed
            else f"{a.pretrain_steps} pretrain + {a.sft_steps} sft steps")
    log(f"plan: {plan}, {tokens_per_step:,} tokens/step (batch {a.batch_size} x accum {a.grad_accum} x seq {seq_len})")

    def state():
        return {"model": model.state_dict(), "optimizer": opt.state_dict(), "config": cfg.to_dict(),
                "step": step, "tokens_seen": tokens_seen, "elapsed_s": elapsed, "heldout": heldout,
                "phase_steps": {"pretrain": min(step, a.pretrain_steps), "sft": max(0, step - a.pretrain_steps)},
                "device": device, "args": vars(a), "tokenizer": "tokenizer.json",
                "data_manifest": "data_manifest.json", "torch": torch.__version__,
                "history": history, "segment": segment}

    seg_step0 = step - segment.get("steps", 0)
    seg_elapsed0 = elapsed - segment.get("wall_s", 0.0)
    seg_tokens0 = tokens_seen - segment.get("tokens", 0)

    def update_segment(train_loss=None):
        segment.update({"steps": step - seg_step0, "tokens": tokens_seen - seg_tokens0,
                        "wall_s": round(elapsed - seg_elapsed0, 1), "seq_len": seq_len,
                        "batch": a.batch_size * a.grad_accum, "opener_frac": a.opener_frac,
                        "opener_tokens": a.opener_tokens, "prompt_weight": a.prompt_weight, "sft_lr": a.sft_lr,
                        "mix": manifest.get("mix", {}).get("name", "")})
        segment["tokens_per_s"] = round(segment["tokens"] / max(segment["wall_s"], 1e-9), 1)
        segment["tokens_total"] = sum(int(h["tokens"]) for h in history) + segment["tokens"]
        if train_loss is not None:
            segment["train_loss"] = round(train_loss, 5)
        for k in ("pretrain", "sft", "opener"):
            if k in heldout:
                segment[f"val_{k}_loss"] = heldout[k]["loss"]

    def save_resume_point():
        """The compact, committed resume point: bf16 weights + the segment history (no optimizer)."""
        if not a.resume or not main_rank:
            return
        os.makedirs(a.resume, exist_ok=True)
        segs = history + [dict(segment)]
        save_checkpoint(os.path.join(a.resume, "resume.pt"),
                        {"model": {k: v.detach().to("cpu", torch.bfloat16) for k, v in model.state_dict().items()},
                         "config": cfg.to_dict(), "segments": segs, "tokenizer_sha256": manifest.get("tokenizer_sha256"),
                         "format": "headstart resume point: bf16 weights, no optimizer state"})
        with open(os.path.join(a.resume, "segments.csv"), "w", newline="") as f:
            wr = csv.writer(f)
            wr.writerow(SEGMENT_FIELDS)
            for sg in segs:
                wr.writerow([sg.get(k, "") for k in SEGMENT_FIELDS])
        shutil.copyfile(log_path, os.path.join(a.resume, "log.csv"))
        plot_loss(log_path, os.path.join(a.resume, "loss.png"))

    def write_log(row):
        if not main_rank:
            return
        row = dict(row, segment=segment["segment"])
        with open(log_path, "a", newline="") as f:
            csv.writer(f).writerow([row.get(k, "") for k in LOG_FIELDS])

    def run_eval():
        res = {}
        for name, windows in eval_sets.items():
            loss = evaluate(model, windows, device, a.batch_size, autocast)
            if loss is not None:
                res[name] = {"loss": round(loss, 5), "perplexity": round(math.exp(min(loss, 50)), 3),
                             "windows": len(windows), "step": step}
        heldout.update(res)
        write_log({"step": step, "phase": "eval", "elapsed_s": round(elapsed, 1), "tokens_seen": tokens_seen,
                   "val_pretrain_loss": res.get("pretrain", {}).get("loss", ""),
                   "val_sft_loss": res.get("sft", {}).get("loss", ""),
                   "val_opener_loss": res.get("opener", {}).get("loss", "")})
        log("  held-out: " + ", ".join(f"{k} loss {v['loss']:.4f} (ppl {v['perplexity']:.2f})" for k, v in res.items()))

    model.train()
    recent = []  # (seconds, tokens, loss) of recent steps, for tokens/s, ETA and the segment's train loss
    budget = a.minutes * 60.0
    try:
        while step < total_steps and not (timed and elapsed - seg_elapsed0 >= budget):
            phase = "pretrain" if step < a.pretrain_steps else "sft"
            stream = pre_train if phase == "pretrain" else sft_train
            lr = lr_at(step - seg_step0 if timed else step, a, (elapsed - seg_elapsed0) / budget if timed else None)
            for g in opt.param_groups:
                g["lr"] = lr
            t0 = time.time()
            # segment 1 keeps the stream a one-segment run always had (the test fixtures depend on it)
            seed = [a.seed, step] if segment["segment"] == 1 else [a.seed, segment["segment"], step]
            rng = np.random.default_rng(seed + ([rank] if world > 1 else []))
            loss_sum = 0.0
            for _ in range(a.grad_accum):
                if phase == "sft" and opener_train:
                    batch = batch_tensors(mixed_sample([sft_train, opener_train], [1 - a.opener_frac, a.opener_frac],
                                                       rng, a.batch_size, seq_len), a.prompt_weight)
                else:
                    batch = stream.sample(rng, a.batch_size, seq_len, phase == "sft",
                                          a.prompt_weight if phase == "sft" else 0.0)
                x, y, m = (t.to(device, non_blocking=True) for t in batch)
                with autocast():
                    loss = masked_loss(train_model, x, y, m, weighted=phase == "sft" and a.prompt_weight > 0) / a.grad_accum
                loss.backward()
                loss_sum += loss.item()
            torch.nn.utils.clip_grad_norm_(model.parameters(), a.grad_clip)
            opt.step()
            opt.zero_grad(set_to_none=True)
            if is_cuda:
                torch.cuda.synchronize()
            dt = time.time() - t0
            if world > 1:  # rank 0's clock for all: the same evals, saves and end of a timed segment
                t = torch.tensor([dt], dtype=torch.float64, device=device if is_cuda else "cpu")
                dist.broadcast(t, 0)
                dt = float(t.item())
            step += 1
            elapsed += dt
            tokens_seen += tokens_per_step
            recent = (recent + [(dt, tokens_per_step, loss_sum)])[-50:]
            if step % a.log_every == 0 or step == total_steps or step == 1:
                secs = sum(r[0] for r in recent)
                tps = sum(r[1] for r in recent) / max(secs, 1e-9)
                eta = (budget - (elapsed - seg_elapsed0)) if timed else (total_steps - step) * secs / len(recent)
                log(f"[{phase}] step {step}{'' if timed else '/' + str(total_steps)}  loss {loss_sum:.4f}  lr {lr:.2e}  {tps:,.0f} tok/s  "
                    f"elapsed {fmt_time(elapsed)}  ETA {fmt_time(eta)}")
                write_log({"step": step, "phase": phase, "lr": f"{lr:.3e}", "loss": round(loss_sum, 5),
                           "tokens_seen": tokens_seen, "tokens_per_s": round(tps, 1), "elapsed_s": round(elapsed, 1)})
            boundary = step == a.pretrain_steps or step == total_steps or (timed and elapsed - seg_elapsed0 >= budget)
            if (a.eval_every and step % a.eval_every == 0) or boundary:
                run_eval()
            if (a.save_every and step % a.save_every == 0) or boundary:
                update_segment(sum(r[2] for r in recent) / len(recent))
                if main_rank:
                    save_checkpoint(ckpt_path, state())
                save_resume_point()
    except KeyboardInterrupt:
        log(f"interrupted at step {step}: saving {ckpt_path} (rerun the same command to resume)")
        update_segment(sum(r[2] for r in recent) / len(recent) if recent else None)
        if main_rank:
            save_checkpoint(ckpt_path, state())
        save_resume_point()
        raise SystemExit(130)

    if world > 1:
        dist.destroy_process_group()
        if not main_rank:
            return model, {}
    if not os.path.exists(ckpt_path):
        save_checkpoint(ckpt_path, state())
    summary = {"config": cfg.to_dict(), "parameters": model.num_parameters(), "steps": step,
               "phase_steps": {"pretrain": min(step, a.pretrain_steps), "sft": max(0, step - a.pretrain_steps)},
               "tokens_seen": tokens_seen, "train_seconds": round(elapsed, 1), "device": device, "world_size": world,
               "heldout": heldout, "data_sources": manifest.get("sources", []), "seq_len": seq_len,
               "precision": precision, "segments": history + [dict(segment)] if a.resume else []}
    with open(os.path.join(a.out, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1, ensure_ascii=False)
    plot_loss(log_path, os.path.join(a.out, "loss.png"))
    log(f"done: {step} steps, {tokens_seen:,} tokens in {fmt_time(elapsed)}; wrote {a.out}")
    return model, summary


def parser():
    p = argparse.ArgumentParser(description="Train a μLM (pretrain, then assistant-reply fine-tune).")
    p.add_argument("--config", required=True, help="config name (tiny, 8m, 16m, 28m) or path")
    p.add_argument("--data", required=True, help="folder written by data.py")
    p.add_argument("--out", required=True, help="run folder (checkpoint, logs); an existing checkpoint is resumed")
    p.add_argument("--tokenizer", help="tokenizer.json (default: the one in the data manifest)")
    p.add_argument("--pretrain-steps", type=int, default=2000)
    p.add_argument("--sft-steps", type=int, default=500)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--grad-accum", type=int, default=1)
    p.add_argument("--seq-len", type=int, default=0, help="default: the config's context_length")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--sft-lr", type=float, default=3e-4)
    p.add_argument("--min-lr-ratio", type=float, default=0.1)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--sft-warmup", type=int, default=50)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--grad-clip", type=float, default=1.0)
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--eval-windows", type=int, default=200, help="held-out windows per stream")
    p.add_argument("--save-every", type=int, default=250)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--device", default="auto", help="auto | cpu | cuda")
    p.add_argument("--threads", type=int, default=2, help="CPU threads (torch.set_num_threads)")
    p.add_argument("--compile", action="store_true", help="torch.compile (torch >= 2, CUDA)")
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--precision", default="auto", choices=["auto", "bf16", "fp32"],
                   help="bf16 autocast (fp32 master weights and loss) or fp32; auto = bf16 where the CPU/GPU has it")
    p.add_argument("--opener-frac", type=float, default=0.0,
                   help="share of each sft batch's rows that are opener windows (prompt + first reply tokens)")
    p.add_argument("--opener-tokens", type=int, default=24, help="reply tokens in an opener window")
    p.add_argument("--prompt-weight", type=float, default=0.0,
                   help="loss weight of the non-reply tokens of sft windows (replies weigh 1)")
    p.add_argument("--minutes", type=float, default=0.0,
                   help="one timed segment: reply training for this many minutes, lr warm-up then cosine over the time")
    p.add_argument("--resume", help="folder of the committed resume point (resume.pt, segments.csv, log.csv): a "
                                    "new segment starts from its weights; every checkpoint rewrites it")
    p.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint in --out")
    return p


def main(argv=None):
    # `kill -INT` stops a segment gracefully (checkpoint + resume point) even when the shell that started it
    # in the background left SIGINT ignored, and `kill -TERM` (the end of a session) does the same
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    train(parser().parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
