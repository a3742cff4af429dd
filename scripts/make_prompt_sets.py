#!/usr/bin/python3
"""Copies the evaluation prompt sets from ../shared/data/eval into assets/prompts (reproducible).

  /usr/bin/python3 scripts/make_prompt_sets.py [--eval ../shared/data/eval] [--out assets/prompts]

Each output line keeps `id`, `category`, `prompt` and, where the set has one, `reference` (the set's
strong-model answer; `reference_model` names it). Sets and licenses: assets/prompts/README.md.
These prompts are for evaluation only: nothing here may reach training (training/ reads
../shared/data/train only).
"""
import argparse
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SETS = {  # output name: (source file, rows kept: None = all)
    "vicuna_bench.jsonl": ("vicuna_bench.jsonl", None),
    "mt_bench.jsonl": ("mt_bench.jsonl", None),
}
KEEP = ("id", "category", "prompt", "reference", "reference_model")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--eval", default=os.path.join(HERE, "..", "..", "shared", "data", "eval"))
    p.add_argument("--out", default=os.path.join(HERE, "..", "assets", "prompts"))
    a = p.parse_args()
    for name, (src, limit) in SETS.items():
        rows = []
        with open(os.path.join(a.eval, src), encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    rec = json.loads(line)
                    rows.append({k: rec[k] for k in KEEP if k in rec})
        rows = rows[:limit] if limit else rows
        with open(os.path.join(a.out, name), "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(f"wrote {name}: {len(rows)} prompts, {sum('reference' in r for r in rows)} with a reference")


if __name__ == "__main__":
    main()
