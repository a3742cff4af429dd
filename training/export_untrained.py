#!/usr/bin/env python3
"""Exports an UNTRAINED μLM of a given config, for speed benchmarks only.

Latency depends on the architecture (layers, widths, vocabulary), not on what the weights learned,
so `scripts/bench` can measure every size before trained weights exist. These files are never
shipped: they are written under build/ and their card says "untrained".

To keep the benchmark's openers made of real words, token ids the benchmark tokenizer does not have
get zero embeddings (the tied output layer then gives them logit 0, so greedy decoding stays inside
the tokenizer's vocabulary); every matrix keeps its full size, so the compute is the config's.

  /usr/bin/python3 training/export_untrained.py --config 28m --tokenizer-vocab 512 --out build/bench-models
"""
import argparse
import json
import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import onnx  # noqa: E402
import torch  # noqa: E402

import quant  # noqa: E402
from export import export_fp32, quantize_int8  # noqa: E402
from model import ModelConfig, Transformer, count_parameters  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--config", required=True, help="config name (training/configs) or JSON path")
    p.add_argument("--out", required=True)
    p.add_argument("--tokenizer-vocab", type=int, required=True, help="ids at or above this get zero embeddings")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    cfg = ModelConfig.load(a.config)
    torch.manual_seed(a.seed)
    model = Transformer(cfg).eval()
    with torch.no_grad():
        model.tok_embeddings.weight[a.tokenizer_vocab:] = 0.0
    os.makedirs(a.out, exist_ok=True)
    name = f"untrained-{cfg.name}"
    fp32 = os.path.join(a.out, f"{name}.onnx")
    proto = export_fp32(model, fp32)
    q_proto = quant.build(quant.SHIPPED, quantize_int8(proto)[0])  # the form the trained μLMs ship in
    int8 = os.path.join(a.out, f"{name}-int8.onnx")
    onnx.save(q_proto, int8)
    card = {"name": name, "untrained": True, "purpose": "speed benchmark only, never shipped",
            "architecture": {**cfg.to_dict()}, "parameters": count_parameters(cfg),
            "files": {"fp32": os.path.getsize(fp32), "int8": os.path.getsize(int8)}}
    for path in (fp32, int8):
        with open(os.path.splitext(path)[0] + ".json", "w", encoding="utf-8") as f:
            json.dump(card, f, indent=1)
    print(f"wrote {fp32} and {int8} ({card['parameters']['total']:,} parameters, untrained)")


if __name__ == "__main__":
    main()
