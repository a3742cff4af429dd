#!/usr/bin/python3
"""Writes the held-out split of training data as JSONL, for `headstart eval --heldout`.

  /usr/bin/python3 scripts/eval_heldout.py --out heldout.jsonl [--heldout 0.02] DATA [DATA ...]

The split is training/data.py's own (is_heldout() on the rendered example, exact duplicates dropped),
so the texts are the ones training never saw. Each line is {"messages": [...]} or {"text": ...};
the C++ side (core/eval_metrics.h heldout_text()) renders them back into the same ChatML documents.
The tiny test model (training/make_fixture.py) was split with --heldout 0.05.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "training"))
import data  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", nargs="+", help="data files or folders (as given to training/data.py)")
    p.add_argument("--out", required=True)
    p.add_argument("--heldout", type=float, default=0.02, help="held-out fraction used in training (0.02)")
    args = p.parse_args()
    held = []
    for _rel, ex, text, _w in data.iter_examples(args.data):
        if data.is_heldout(text, args.heldout):
            rec = ({"messages": [{"role": r, "content": c} for r, c in ex.turns]} if ex.is_chat else {"text": ex.text})
            held.append((data.example_hash("order:" + text), rec))
    held.sort(key=lambda h: h[0])  # a fixed order that mixes the sources, so any first N is a fair sample
    n = len(held)
    with open(args.out, "w", encoding="utf-8") as f:
        for _h, rec in held:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(f"eval_heldout: {n} held-out examples -> {args.out}")


if __name__ == "__main__":
    main()
