#!/usr/bin/python3
"""Copies the evaluation prompt sets from ../shared/data/eval into assets/prompts (reproducible).

  /usr/bin/python3 scripts/make_prompt_sets.py [--eval ../shared/data/eval] [--out assets/prompts]

Each output line keeps `id`, `category`, `prompt` and, where the set has one, `reference` (the set's
strong-model answer; `reference_model` names it). Vicuna-bench, MT-bench and LIMA test are copied whole;
WikiHow, advice and AlpacaEval are repo-sized samples, drawn with a fixed seed so the same files come out
every time (AlpacaEval's `vicuna` subset is left out: it is the Vicuna-bench questions again).
Sets and licenses: assets/prompts/README.md.
These prompts are for evaluation only: nothing here may reach training (training/ reads
../shared/data/train only).
"""
import argparse
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 14
# output name: (source file, rows kept: None = all, categories left out)
SETS = {
    "vicuna_bench.jsonl": ("vicuna_bench.jsonl", None, ()),
    "mt_bench.jsonl": ("mt_bench.jsonl", None, ()),
    "wikihow.jsonl": ("wikihow_questions.jsonl", 300, ()),
    "advice.jsonl": ("advice_asq.jsonl", 300, ()),
    "alpaca_eval.jsonl": ("alpaca_eval.jsonl", 200, ("vicuna",)),
    "lima_test.jsonl": ("lima_test.jsonl", None, ()),
}
KEEP = ("id", "category", "prompt", "reference", "reference_model")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--eval", default=os.path.join(HERE, "..", "..", "shared", "data", "eval"))
    p.add_argument("--out", default=os.path.join(HERE, "..", "assets", "prompts"))
    a = p.parse_args()
    for name, (src, limit, skip) in SETS.items():
        rows = []
        with open(os.path.join(a.eval, src), encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    rec = json.loads(line)
                    if rec.get("category") in skip:
                        continue
                    rows.append({k: rec[k] for k in KEEP if k in rec})
        if limit and len(rows) > limit:
            picked = sorted(random.Random(f"{SEED}:{name}").sample(range(len(rows)), limit))
            rows = [rows[i] for i in picked]
        with open(os.path.join(a.out, name), "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(f"wrote {name}: {len(rows)} prompts, {sum('reference' in r for r in rows)} with a reference")


if __name__ == "__main__":
    main()
