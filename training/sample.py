#!/usr/bin/python3
"""Greedy openers of a checkpoint for the first N prompts of a prompt set, to read while a run trains.

  /usr/bin/python3 training/sample.py --run build/training/run-8m [--prompts assets/prompts/vicuna_bench.jsonl]
                                      [-n 20] [--tokens 16] [--resume training/runs/8m/resume.pt]

Reads ckpt.pt (or a committed resume.pt) and the run's tokenizer.json; prints one line per prompt:
the question, then the reply's first --tokens greedy tokens (cut at <|im_end|>). The figures that
count come from `headstart eval` on the exported ONNX; this is for looking.
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import torch  # noqa: E402
from data import prompt_text  # noqa: E402
from model import ModelConfig, Transformer  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402


def load(run, resume=None):
    path = resume or os.path.join(run, "ckpt.pt")
    ck = torch.load(path, map_location="cpu")
    model = Transformer(ModelConfig.from_dict(ck["config"]))
    model.load_state_dict({k: v.float() for k, v in ck["model"].items()})
    model.eval()
    return model


def prompts_of(path, n):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                out.append(rec.get("prompt") or rec.get("question") or (rec.get("turns") or [""])[0])
            if len(out) >= n:
                break
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", required=True)
    p.add_argument("--resume")
    p.add_argument("--prompts", default=os.path.join(HERE, "..", "assets", "prompts", "vicuna_bench.jsonl"))
    p.add_argument("-n", type=int, default=20)
    p.add_argument("--tokens", type=int, default=16)
    a = p.parse_args()
    torch.set_num_threads(1)
    tok = Tokenizer.load(os.path.join(a.run, "tokenizer.json"))
    model = load(a.run, a.resume)
    for q in prompts_of(a.prompts, a.n):
        ids = tok.encode(prompt_text(q))
        out = model.generate_greedy(ids, a.tokens, stop_ids=(0, 2))
        text = tok.decode([t for t in out if t > 2])
        print(f"{q[:70]!r:74} -> {text!r}")


if __name__ == "__main__":
    main()
