"""The 28M μLM's matrix products and nothing else, as an ONNX graph (for web/bench_matmul.sh).

For each layer of a training/configs/*.json config: q, k, v, o, gate, up (from a [T, d_model] input) and
down (from a [T, ffn_dim] input), plus the tied LM head [d_model, vocab]: the MatMuls a prefill of T
tokens runs, with random fp32 weights, each output a graph output so none is optimised away.
    python3 web/matmul_only.py --config training/configs/28m.json --out build/bench-models/matmul-28m.onnx
"""
import argparse
import json

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    c = json.load(open(a.config))
    d, ffn, kv = c["d_model"], c["ffn_dim"], c["d_model"] * c["n_kv_heads"] // c["n_heads"]
    per_layer = [("x", d, d), ("x", d, kv), ("x", d, kv), ("x", d, d), ("x", d, ffn), ("x", d, ffn), ("h", ffn, d)]
    shapes = per_layer * c["n_layers"] + [("x", d, c["vocab_size"])]
    rng = np.random.default_rng(0)
    nodes, inits, outputs = [], [], []
    for i, (src, k, n) in enumerate(shapes):
        inits.append(numpy_helper.from_array((rng.standard_normal((k, n)) * 0.02).astype(np.float32), f"w{i}"))
        nodes.append(helper.make_node("MatMul", [src, f"w{i}"], [f"y{i}"]))
        outputs.append(helper.make_tensor_value_info(f"y{i}", TensorProto.FLOAT, ["T", n]))
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["T", d]),
              helper.make_tensor_value_info("h", TensorProto.FLOAT, ["T", ffn])]
    graph = helper.make_graph(nodes, "matmul_only", inputs, outputs, inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), a.out)
    print(f"{a.out}: {len(shapes)} MatMuls, {sum(k * n for _, k, n in shapes):,} weights")


if __name__ == "__main__":
    main()
