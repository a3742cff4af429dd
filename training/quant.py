#!/usr/bin/python3
"""The μLM's inference-path candidates: one exported decoder rewritten for each way ONNX Runtime can run it.

    training/quant.py --model assets/models/mulm-8m-int8.onnx --out build/quant [--candidates a,b]

Reads an int8 export of training/export.py (weights int8 + per-channel scale -> DequantizeLinear, or the
shipped DynamicQuantizeMatMul form, which holds the same numbers) and
writes <out>/<stem>.<candidate>.onnx for every candidate:

  fp32         every DequantizeLinear folded offline: fp32 weights, fp32 MatMuls. What the app ran
               before this file (the loader folds DQ at load with session.disable_quant_qdq=1), so
               it is the baseline every other candidate is judged against
  dq-folded    the export itself (int8 on disk, folded to fp32 at load): the same numbers as fp32
  dq           the shipped form: the export's DequantizeLinear projections, which the loader folds to fp32
               (the browser; native "fp32") or lets ONNX Runtime fuse into MatMulNBits 8-bit at load
               (native "nbits8-bN": the numbers of the nbits8-bN candidate), and the embedding table as
               int8 -> Cast -> Mul(scale), which every runtime folds at load whatever its QDQ setting
  dqmm         com.microsoft DynamicQuantizeMatMul: int8 weights, one scale per output column (the
               export's own scales, so no second rounding), activations quantized to uint8 per call
  nbits8-bN    com.microsoft MatMulNBits, 8-bit weights in blocks of N along K, accuracy_level 4
               (int8 activations, the VNNI / wasm int8 kernels)
  nbits4-bN    the same with 4-bit weights
  nbits8-bN-fp / nbits4-bN-fp   accuracy_level 0: weights dequantized per block, fp32 arithmetic
  fp16w        fp16 weights + Cast (half the file; folded to fp32 at load: the fp32 arithmetic)

Every candidate but dq-folded also gets static_shapes(): the Reshape targets and Slice bounds the export
computes from tensor shapes on every run become constants (8M: 632 nodes a decode step -> 601 for the
segment-3 export, 411 for an export of today's model.py; ~7% of a decode step, node-timed A/B).

and two options, appended to a name (e.g. nbits8-b128-head-last):

  -head        the tied output projection too (MatMulNBits 8-bit, blocks of N, on the embedding table's own
               int8 rows and scales; the embedding Gather reads the same uint8 table and dequantizes the
               rows it picks, so the table is on disk and in memory once, not folded to two fp32 copies)
  -last        the output projection only for the last position (logits [batch, 1, vocab]): the C++ core
               and the browser read only the last position's logits, so a prefill of T tokens skips
               T-1 rows of the largest MatMul; the numbers of that row do not change

8-bit MatMulNBits reuses the export's per-column scales in every block, so its weights are the export's
int8 numbers exactly (no second rounding); 4-bit rescales per block.

Only the MatMuls whose B is a weight change (the attention and MLP projections); the embedding table
stays int8 + DequantizeLinear on disk, and the tied output projection (Transpose of that table) is folded
to fp32 at load like the Gather's (session.disable_quant_qdq=1), so the logits keep fp32 arithmetic. Every
file keeps the contract of training/export.py (inputs, outputs, KV cache), so the C++ core, the bench and
`headstart eval` load any of them unchanged. scripts/quant_candidates runs the whole comparison.
"""
import argparse
import copy
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SHIPPED = "dq-last"  # the form training/export.py writes and assets/models ships (see "dq" above)
CANDIDATES = ["fp32", "dqmm", "nbits8-b16", "nbits8-b32", "nbits8-b64", "nbits8-b128", "nbits8-b256", "nbits8-b32-head",
              "nbits8-b128-head", "nbits4-b32", "nbits4-b128", "fp16w"]  # also known: nbits8-b32-fp, nbits4-b32-fp
SHIPPED_NOTE = ("The native loader runs it with the kernels assets/models/kernels.json names (scripts/quant_candidates): "
                "fp32 (session.disable_quant_qdq=1 folds every weight to fp32 at load: exact) or nbits8-bN (ONNX Runtime "
                "fuses DequantizeLinear + MatMul into MatMulNBits 8-bit at load); the browser folds to fp32")
# (accuracy_level 0), dq-folded, dq; every one also with -last. From the shipped form (-last already)
# every candidate has last-position logits, whatever its name says.
FORMS = ("fp32", "dq-folded", "dq", "dqmm", "nbits8", "nbits4", "fp16w")


def quantize_per_channel(w, axis):
    """Symmetric int8 with one float32 scale per slice along `axis`: w ~= q * scale."""
    w = np.asarray(w, dtype=np.float32)
    reduce = tuple(i for i in range(w.ndim) if i != axis)
    scale = (np.abs(w).max(axis=reduce) / 127.0).astype(np.float32)
    scale[scale == 0] = 1.0
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8)
    return q, scale


def dequantize(q, scale, axis):
    shape = [1] * q.ndim
    shape[axis] = -1
    return q.astype(np.float32) * scale.reshape(shape)


def _maps(g):
    producer = {o: n for n in g.node for o in n.output}
    consumers = {}
    for n in g.node:
        for k, name in enumerate(n.input):
            consumers.setdefault(name, []).append((n, k))
    return producer, consumers


def fold_dequantize(proto, keep_gather=False):
    """fp32 initializers for every DequantizeLinear of a constant (all of them, or all but the Gather
    tables' when keep_gather: those stay int8 on disk and fold at load)."""
    proto = copy.deepcopy(proto)
    g = proto.graph
    inits = {i.name: i for i in g.initializer}
    _, consumers = _maps(g)
    drop = []
    for n in list(g.node):
        if n.op_type != "DequantizeLinear" or n.input[0] not in inits:
            continue
        uses = {(c.op_type, k) for c, k in consumers.get(n.output[0], [])}
        if keep_gather and ("Gather", 0) in uses:
            continue
        q = numpy_helper.to_array(inits[n.input[0]])
        scale = numpy_helper.to_array(inits[n.input[1]]).astype(np.float32)
        axis = next((a.i for a in n.attribute if a.name == "axis"), 1)
        g.initializer.append(numpy_helper.from_array(dequantize(q, scale, axis), n.output[0]))
        g.node.remove(n)
        drop += list(n.input)
    _prune(proto, drop)
    return proto


def table_as_cast(proto):
    """The Gather table's DequantizeLinear (the embedding, also read by the tied output projection)
    as int8 -> Cast -> Mul(scale [rows, 1]): the same numbers, folded at load by constant folding even
    when ONNX Runtime keeps DequantizeLinear for its QDQ fusions (it would otherwise dequantize the
    whole table on every run)."""
    proto = copy.deepcopy(proto)
    g = proto.graph
    inits = {i.name: i for i in g.initializer}
    _, consumers = _maps(g)
    for n in list(g.node):
        if n.op_type != "DequantizeLinear" or n.input[0] not in inits:
            continue
        if ("Gather", 0) not in {(c.op_type, k) for c, k in consumers.get(n.output[0], [])}:
            continue
        axis = next((a.i for a in n.attribute if a.name == "axis"), 1)
        scale = numpy_helper.to_array(inits[n.input[1]]).astype(np.float32)
        shape = [1, 1]
        shape[axis] = -1
        at = list(g.node).index(n)
        g.node.remove(n)
        g.initializer.append(numpy_helper.from_array(scale.reshape(shape), n.input[1] + "_column"))
        g.node.insert(at, helper.make_node("Cast", [n.input[0]], [n.output[0] + "_int8_as_float"],
                                           name=n.name + "_cast", to=TensorProto.FLOAT))
        g.node.insert(at + 1, helper.make_node("Mul", [n.output[0] + "_int8_as_float", n.input[1] + "_column"],
                                               [n.output[0]], name=n.name + "_rescale"))
        _prune(proto, list(n.input[1:]))
    return proto


def dq_tied_head(proto):
    """The tied output projection from its own int8 copy of the table, transposed: DequantizeLinear
    (int8 [d, V], the table's row scales as column scales, axis 1) -> MatMul, which ONNX Runtime fuses
    into MatMulNBits with the projections (native "nbits8-bN": quant.py's nbits8-bN-head numbers) or
    folds to fp32 (the same fp32 [d, V] the folded Transpose of the table was). d x V more bytes on disk."""
    proto = copy.deepcopy(proto)
    g = proto.graph
    inits = {i.name: i for i in g.initializer}
    producer, consumers = _maps(g)
    head = next((n for n in g.node if n.op_type == "MatMul" and "logits" in n.output), None)
    t = producer.get(head.input[1]) if head is not None else None
    dq = producer.get(t.input[0]) if t is not None and t.op_type == "Transpose" else None
    if dq is None or dq.op_type != "DequantizeLinear" or dq.input[0] not in inits:
        raise SystemExit("training/quant.py: dq -head needs the tied int8 embedding (Transpose of one DequantizeLinear)")
    q = numpy_helper.to_array(inits[dq.input[0]])                          # [V, d]
    scale = numpy_helper.to_array(inits[dq.input[1]]).astype(np.float32)   # [V]
    g.initializer.extend([numpy_helper.from_array(np.ascontiguousarray(q.T), "tied_output_T_quantized"),
                          numpy_helper.from_array(scale, "tied_output_T_scale"),
                          numpy_helper.from_array(np.zeros_like(scale, dtype=np.int8), "tied_output_T_zero_point")])
    g.node.insert(list(g.node).index(head), helper.make_node(
        "DequantizeLinear", ["tied_output_T_quantized", "tied_output_T_scale", "tied_output_T_zero_point"],
        ["tied_output_T"], name="tied_output_dequantize", axis=1))
    head.input[1] = "tied_output_T"
    if len(consumers.get(t.output[0], [])) == 1:
        g.node.remove(t)
    return proto


def undo_dq_tied_head(proto):
    """dq_tied_head undone: the output projection reads the Transpose of the table again."""
    proto = copy.deepcopy(proto)
    g = proto.graph
    dq = next((n for n in g.node if n.name == "tied_output_dequantize"), None)
    if dq is None:
        return proto
    producer, _ = _maps(g)
    head = next(n for n in g.node if "logits" in n.output)
    inits = {i.name for i in g.initializer}
    gather = next(n for n in g.node if n.op_type == "Gather" and producer.get(n.input[0]) is not None and
                  producer[n.input[0]].op_type == "DequantizeLinear" and producer[n.input[0]].input[0] in inits)
    at = list(g.node).index(dq)
    g.node.remove(dq)
    g.node.insert(at, helper.make_node("Transpose", [gather.input[0]], ["tied_output_T"], name="tied_output_transpose",
                                       perm=[1, 0]))
    _prune(proto, list(dq.input))
    return proto


def cast_table_to_dq(proto):
    """table_as_cast undone (the shipped form back to the export's DequantizeLinear table), so every
    candidate can start from either."""
    proto = copy.deepcopy(proto)
    g = proto.graph
    inits = {i.name: i for i in g.initializer}
    producer, _ = _maps(g)
    for mul in [n for n in g.node if n.op_type == "Mul" and n.name.endswith("_dequantize_rescale")]:
        cast = producer.get(mul.input[0])
        if cast is None or cast.op_type != "Cast" or cast.input[0] not in inits or mul.input[1] not in inits:
            continue
        scale = numpy_helper.to_array(inits[mul.input[1]]).astype(np.float32)
        axis = 0 if scale.shape[0] != 1 else 1
        at = list(g.node).index(cast)
        g.node.remove(cast)
        g.node.remove(mul)
        base = mul.input[1][:-len("_column")] if mul.input[1].endswith("_column") else mul.input[1] + "_flat"
        g.initializer.extend([numpy_helper.from_array(scale.reshape(-1), base),
                              numpy_helper.from_array(np.zeros(scale.size, dtype=np.int8), base + "_zero_point")])
        g.node.insert(at, helper.make_node("DequantizeLinear", [cast.input[0], base, base + "_zero_point"],
                                           list(mul.output), name=mul.name[:-len("_rescale")], axis=axis))
        _prune(proto, [mul.input[1]])
    return proto


def static_shapes(proto):
    """The torch export computes every Reshape's target and every rotary Slice bound from tensor shapes at
    run time (Shape -> Gather -> Unsqueeze -> Concat, ~70 nodes a layer, most of a decode step's node count).
    Here: a shape-valued input whose value is known (static dims, constants) becomes a constant; a Reshape
    target whose dims are known except those copied from the same position of its input (ONNX Reshape's 0)
    and at most one more (-1) becomes [.., 0, .., -1, ..]; nodes left without consumers go. The same numbers
    (tests/test_ort_model.cpp, training/parity.py); ONNX shape inference with data propagation supplies the
    dims, symbolic ones by name."""
    from onnx import shape_inference
    proto = copy.deepcopy(proto)
    g = proto.graph
    inferred = shape_inference.infer_shapes(proto, data_prop=True)
    dims = {}
    for v in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output):
        t = v.type.tensor_type
        if t.HasField("shape"):
            dims[v.name] = [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in t.shape.dim]
    known = {i.name: numpy_helper.to_array(i) for i in g.initializer if i.data_type == TensorProto.INT64 and len(i.dims) <= 1}
    for n in g.node:  # small int64 value propagation over the shape ops
        ins = [known.get(i) for i in n.input]
        try:
            if n.op_type == "Constant":
                a = next(x for x in n.attribute if x.name == "value")
                v = numpy_helper.to_array(a.t)
                if v.dtype == np.int64 and v.ndim <= 1:
                    known[n.output[0]] = v
            elif n.op_type == "Shape" and n.input[0] in dims and all(isinstance(d, int) for d in dims[n.input[0]]):
                known[n.output[0]] = np.array(dims[n.input[0]], dtype=np.int64)
            elif n.op_type == "Shape" and n.input[0] in dims:
                pass  # partly symbolic: Gather of a static position below
            elif any(x is None for x in ins):
                if n.op_type == "Gather" and ins[1] is not None and ins[1].ndim == 0:
                    src = next((m for m in g.node if n.input[0] in m.output and m.op_type == "Shape"), None)
                    if src is not None and len(src.attribute) == 0 and src.input[0] in dims:
                        d = dims[src.input[0]][int(ins[1])]
                        if isinstance(d, int):
                            known[n.output[0]] = np.array(d, dtype=np.int64)
            elif n.op_type == "Gather":
                known[n.output[0]] = np.take(ins[0], ins[1], axis=0)
            elif n.op_type == "Unsqueeze":
                known[n.output[0]] = np.reshape(ins[0], (-1,))
            elif n.op_type == "Concat":
                known[n.output[0]] = np.concatenate([np.reshape(x, (-1,)) for x in ins])
            elif n.op_type in ("Add", "Sub", "Mul", "Div"):
                a, b = ins
                known[n.output[0]] = {"Add": a + b, "Sub": a - b, "Mul": a * b, "Div": a // b}[n.op_type]
        except (StopIteration, ValueError, IndexError, TypeError):
            pass
    made = 0

    def constant(node, k, value):
        nonlocal made
        name = f"{node.name or node.output[0]}_static_{k}"
        g.initializer.append(numpy_helper.from_array(np.asarray(value, dtype=np.int64), name))
        node.input[k] = name
        made += 1

    inits = {i.name for i in g.initializer}
    for n in list(g.node):
        if n.op_type == "Slice":
            for k in range(1, len(n.input)):
                if n.input[k] and n.input[k] not in inits and n.input[k] in known:
                    constant(n, k, known[n.input[k]])
        elif n.op_type == "Reshape" and n.input[1] not in inits:
            if n.input[1] in known:
                if not any(v == 0 for v in np.reshape(known[n.input[1]], (-1,))):
                    constant(n, 1, known[n.input[1]])
                continue
            if any(a.name == "allowzero" and a.i for a in n.attribute):
                continue
            src, out = dims.get(n.input[0]), dims.get(n.output[0])
            if not src or not out or any(d is None for d in out):
                continue
            shape = [d if isinstance(d, int) else 0 if i < len(src) and src[i] == d else None for i, d in enumerate(out)]
            if sum(v is None for v in shape) > 1 or any(v == 0 for v in out if isinstance(v, int)):
                continue
            constant(n, 1, [-1 if v is None else v for v in shape])
    while True:  # drop what no longer feeds anything
        used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
        dead = [n for n in g.node if not any(o in used for o in n.output)]
        if not dead:
            break
        for n in dead:
            g.node.remove(n)
    _prune(proto, [i.name for i in g.initializer])
    del g.value_info[:]
    return proto


def _prune(proto, names):
    g = proto.graph
    used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
    for init in list(g.initializer):
        if init.name in names and init.name not in used:
            g.initializer.remove(init)


def weight_matmuls(proto):
    """(MatMul node, B as a float32 [K, N] array, the names B came from) for every MatMul whose B is a
    constant weight, directly or through a Transpose."""
    g = proto.graph
    inits = {i.name: i for i in g.initializer}
    producer, _ = _maps(g)
    out = []
    for n in g.node:
        if n.op_type != "MatMul":
            continue
        b = n.input[1]
        if b in inits and len(inits[b].dims) == 2:
            out.append((n, numpy_helper.to_array(inits[b]).astype(np.float32), [b]))
        elif b in producer and producer[b].op_type == "Transpose" and producer[b].input[0] in inits:
            t = producer[b]
            w = numpy_helper.to_array(inits[t.input[0]]).astype(np.float32)
            if w.ndim == 2:
                out.append((n, np.ascontiguousarray(w.T), [b, t.input[0]]))
    return out


def _replace(proto, node, new_nodes, new_inits, old_names):
    g = proto.graph
    at = list(g.node).index(node)
    g.node.remove(node)
    for k, nn in enumerate(new_nodes):
        g.node.insert(at + k, nn)
    g.initializer.extend(new_inits)
    # a Transpose whose output nothing reads any more goes, then its input if unused
    _, consumers = _maps(g)
    for n in list(g.node):
        if n.op_type == "Transpose" and n.output[0] in old_names and not consumers.get(n.output[0]):
            g.node.remove(n)
    _prune(proto, old_names)


def to_dqmm(proto):
    proto = copy.deepcopy(proto)
    for k, (node, w, names) in enumerate(weight_matmuls(proto)):
        q, scale = quantize_per_channel(w, 1)  # [K, N]: one scale per output column
        base = f"w{k}_dqmm"
        inits = [numpy_helper.from_array(q, base + "_q"), numpy_helper.from_array(scale, base + "_scale"),
                 numpy_helper.from_array(np.zeros_like(scale, dtype=np.int8), base + "_zp")]
        nn = helper.make_node("DynamicQuantizeMatMul", [node.input[0], base + "_q", base + "_scale", base + "_zp"],
                              list(node.output), name=node.name + "_dqmm", domain="com.microsoft")
        _replace(proto, node, [nn], inits, names)
    return _with_ms_domain(proto)


def pack_nbits(w, bits, block, column_scales=None):
    """w [K, N] -> (B uint8 [N, k_blocks, block*bits/8], scales float32 [N * k_blocks]) for MatMulNBits,
    symmetric (no zero_points input: the op's default zero point 2^(bits-1)). column_scales [N]: one scale
    per output column in every block (w already on that int8 grid comes back exactly); else one per block."""
    K, N = w.shape
    kb = (K + block - 1) // block
    wt = np.zeros((N, kb * block), dtype=np.float32)
    wt[:, :K] = w.T
    wt = wt.reshape(N, kb, block)
    qmax = 2 ** (bits - 1) - 1
    if column_scales is not None:
        scale = np.repeat(np.asarray(column_scales, dtype=np.float32)[:, None], kb, axis=1)
    else:
        scale = np.abs(wt).max(axis=2) / qmax
        scale[scale == 0] = 1.0
    zp = 2 ** (bits - 1)
    q = np.clip(np.round(wt / scale[:, :, None]) + zp, 0, 2 ** bits - 1).astype(np.uint8)
    if bits == 4:
        q = (q[:, :, 0::2] | (q[:, :, 1::2] << 4)).astype(np.uint8)
    return q, scale.astype(np.float32).reshape(-1)


def to_nbits(proto, bits, block, accuracy_level):
    proto = copy.deepcopy(proto)
    for k, (node, w, names) in enumerate(weight_matmuls(proto)):
        K, N = w.shape
        # 8-bit: the export's grid (quantize_per_channel finds the same column scales again), so no second rounding
        q, scale = pack_nbits(w, bits, block, quantize_per_channel(w, 1)[1] if bits == 8 else None)
        base = f"w{k}_nbits"
        inits = [numpy_helper.from_array(q, base + "_q"), numpy_helper.from_array(scale, base + "_scales")]
        nn = helper.make_node("MatMulNBits", [node.input[0], base + "_q", base + "_scales"], list(node.output),
                              name=node.name + "_nbits", domain="com.microsoft", K=K, N=N, bits=bits,
                              block_size=block, accuracy_level=accuracy_level)
        _replace(proto, node, [nn], inits, names)
    return _with_ms_domain(proto)


def to_fp16_weights(proto):
    proto = copy.deepcopy(proto)
    g = proto.graph
    new_nodes = []
    for init in list(g.initializer):
        if init.data_type != TensorProto.FLOAT or len(init.dims) != 2 or np.prod(init.dims) < 1024:
            continue
        w = numpy_helper.to_array(init)
        g.initializer.remove(init)
        g.initializer.append(numpy_helper.from_array(w.astype(np.float16), init.name + "_fp16"))
        new_nodes.append(helper.make_node("Cast", [init.name + "_fp16"], [init.name], name=init.name + "_cast",
                                          to=TensorProto.FLOAT))
    for n in reversed(new_nodes):
        g.node.insert(0, n)
    return proto


def quantize_tied_head(proto, block):
    """The tied output projection as MatMulNBits 8-bit on the embedding table's own int8 rows (one table:
    the Gather reads the same uint8 blocks and dequantizes only the rows it picks)."""
    proto = copy.deepcopy(proto)
    g = proto.graph
    inits = {i.name: i for i in g.initializer}
    producer, consumers = _maps(g)
    head = next((n for n in g.node if n.op_type == "MatMul" and "logits" in n.output), None)
    t = producer.get(head.input[1]) if head is not None else None
    dq = producer.get(t.input[0]) if t is not None and t.op_type == "Transpose" else None
    if dq is None or dq.op_type != "DequantizeLinear" or dq.input[0] not in inits:
        raise SystemExit("training/quant.py: -head needs the tied int8 embedding (Gather + Transpose of one DequantizeLinear)")
    gathers = [c for c, k in consumers.get(dq.output[0], []) if c.op_type == "Gather" and k == 0]
    q = numpy_helper.to_array(inits[dq.input[0]]).astype(np.int16)          # [V, d]
    scale = numpy_helper.to_array(inits[dq.input[1]]).astype(np.float32)    # [V]: one per row
    V, d = q.shape
    if d % block:
        raise SystemExit(f"training/quant.py: -head needs d_model ({d}) to be a multiple of the block ({block})")
    kb = d // block
    table = "tied_table_u8"
    new_inits = [numpy_helper.from_array((q + 128).astype(np.uint8).reshape(V, kb, block), table),
                 numpy_helper.from_array(np.repeat(scale, kb), "tied_table_block_scales"),
                 numpy_helper.from_array(scale, "tied_table_row_scales"),
                 numpy_helper.from_array(np.array(128.0, dtype=np.float32), "tied_table_zero"),
                 numpy_helper.from_array(np.array([0, 0, d], dtype=np.int64), "tied_table_row_shape"),
                 numpy_helper.from_array(np.array([-1], dtype=np.int64), "tied_table_last_axis")]
    g.initializer.extend(new_inits)
    at = list(g.node).index(head)
    g.node.remove(head)
    g.node.insert(at, helper.make_node("MatMulNBits", [head.input[0], table, "tied_table_block_scales"],
                                       list(head.output), name="tied_output_nbits", domain="com.microsoft",
                                       K=d, N=V, bits=8, block_size=block, accuracy_level=4))
    for k, gn in enumerate(gathers):
        ids, out, p = gn.input[1], gn.output[0], f"tied_gather{k}"
        nodes = [helper.make_node("Gather", [table, ids], [p + "_u8"], name=p, axis=0),
                 helper.make_node("Cast", [p + "_u8"], [p + "_f"], name=p + "_cast", to=TensorProto.FLOAT),
                 helper.make_node("Reshape", [p + "_f", "tied_table_row_shape"], [p + "_rows"], name=p + "_reshape"),
                 helper.make_node("Sub", [p + "_rows", "tied_table_zero"], [p + "_q"], name=p + "_sub"),
                 helper.make_node("Gather", ["tied_table_row_scales", ids], [p + "_s"], name=p + "_scale", axis=0),
                 helper.make_node("Unsqueeze", [p + "_s", "tied_table_last_axis"], [p + "_s1"], name=p + "_unsqueeze"),
                 helper.make_node("Mul", [p + "_q", p + "_s1"], [out], name=p + "_mul")]
        at = list(g.node).index(gn)
        g.node.remove(gn)
        for j, nn in enumerate(nodes):
            g.node.insert(at + j, nn)
    g.node.remove(t)
    g.node.remove(dq)
    _prune(proto, list(dq.input) + [dq.output[0], t.output[0]])
    return _with_ms_domain(proto)


def last_position_logits(proto):
    """logits [batch, 1, vocab]: the output projection reads only the last position's hidden state."""
    proto = copy.deepcopy(proto)
    g = proto.graph
    if any(n.name == "last_position" for n in g.node):
        return proto  # already
    head = next((n for n in g.node if "logits" in n.output), None)
    if head is None or head.op_type not in ("MatMul", "MatMulNBits", "DynamicQuantizeMatMul"):
        raise SystemExit("training/quant.py: -last needs the logits to come from one MatMul")
    g.initializer.append(numpy_helper.from_array(np.array([-1], dtype=np.int64), "last_position_index"))
    last = head.input[0] + "_last_position"
    g.node.insert(list(g.node).index(head), helper.make_node("Gather", [head.input[0], "last_position_index"], [last],
                                                              name="last_position", axis=1))
    head.input[0] = last
    out = next(o for o in g.output if o.name == "logits")
    dim = out.type.tensor_type.shape.dim[1]
    dim.Clear()
    dim.dim_value = 1
    del g.value_info[:]  # stale shapes downstream of the cut; ORT infers them again
    return proto


def parse(candidate):
    """'nbits8-b128-head-last' -> ('nbits8', 128, fp=False, head=True, last=True)."""
    form = next((f for f in sorted(FORMS, key=len, reverse=True) if candidate == f or candidate.startswith(f + "-")), None)
    if form is None:
        raise SystemExit(f"training/quant.py: unknown candidate {candidate} (known: {', '.join(CANDIDATES)})")
    opts = candidate[len(form):].split("-")[1:]
    block = next((int(o[1:]) for o in opts if o[:1] == "b" and o[1:].isdigit()), None)
    known = {"fp", "head", "last"} | ({f"b{block}"} if block else set())
    if any(o not in known for o in opts) or (form.startswith("nbits") and not block) or \
            (block and not form.startswith("nbits")) or ("head" in opts and form not in ("nbits8", "dq")):
        raise SystemExit(f"training/quant.py: bad candidate {candidate} (form[-bN][-fp][-head][-last]; -head: nbits8, dq)")
    return form, block, "fp" in opts, "head" in opts, "last" in opts


def _with_ms_domain(proto):
    if not any(o.domain == "com.microsoft" for o in proto.opset_import):
        proto.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return proto


def dqmm_to_dq(proto):
    """A DynamicQuantizeMatMul export (export.py --int8-style dqmm, the shipped μLMs) back to the
    DequantizeLinear form: the same int8 weights and scales, so every candidate can start from either."""
    proto = copy.deepcopy(proto)
    g = proto.graph
    for n in [n for n in g.node if n.op_type == "DynamicQuantizeMatMul"]:
        a, b, scale, zp = n.input[:4]
        at = list(g.node).index(n)
        g.node.remove(n)
        w = b + "_as_float"
        g.node.insert(at, helper.make_node("DequantizeLinear", [b, scale, zp], [w], name=n.name + "_dq", axis=1))
        g.node.insert(at + 1, helper.make_node("MatMul", [a, w], list(n.output), name=n.name + "_matmul"))
    return proto


def build(candidate, int8_proto):
    """The rewritten model of one candidate, from an int8 export (DequantizeLinear or DynamicQuantizeMatMul)."""
    form, block, fp, head, last = parse(candidate)
    int8_proto = undo_dq_tied_head(cast_table_to_dq(dqmm_to_dq(int8_proto)))
    if form != "dq-folded":  # every candidate, so that they differ only in their kernels
        int8_proto = static_shapes(int8_proto)
    if form == "dq-folded":
        out = copy.deepcopy(int8_proto)
    elif form == "dq":
        out = table_as_cast(dq_tied_head(int8_proto) if head else int8_proto)
    elif form == "fp32":
        out = fold_dequantize(int8_proto)
    elif form == "fp16w":
        out = to_fp16_weights(fold_dequantize(int8_proto))
    else:  # the int8 candidates keep the embedding table int8 (Gather folds it at load)
        base = fold_dequantize(int8_proto, keep_gather=True)
        out = to_dqmm(base) if form == "dqmm" else to_nbits(base, int(form[5:]), block, 0 if fp else 4)
        if head:
            out = quantize_tied_head(out, block)
    return last_position_logits(out) if last else out


def describe(candidate):
    """One line for a model card: what the graph of a candidate runs."""
    form, block, fp, head, last = parse(candidate)
    rest = ("; the embedding table and the tied output projection: one uint8 table, MatMulNBits 8-bit for the logits, "
            "the Gather dequantizing the rows it picks" if head else
            "; the embedding table (and the tied output projection) int8 + DequantizeLinear, folded to fp32 at load")
    rest += "; logits for the last position only" if last else ""
    if form == "dqmm":
        return "DynamicQuantizeMatMul (com.microsoft) for the attention and MLP MatMuls (activations uint8 per call)" + rest
    if form.startswith("nbits"):
        arith = "fp32 arithmetic" if fp else "accuracy_level 4: int8 activations per block"
        return (f"MatMulNBits (com.microsoft), {form[5:]}-bit weights in blocks of {block} along K, {arith}, "
                "for the attention and MLP MatMuls" + rest)
    return {"fp32": "fp32 weights", "fp16w": "fp16 weights + Cast (folded to fp32 at load)",
            "dq-folded": "int8 weights + DequantizeLinear, folded to fp32 at load",
            "dq": "int8 weights: DequantizeLinear for the attention and MLP MatMuls (folded to fp32 at load, or fused "
                  "into MatMulNBits 8-bit by the native loader where assets/models/kernels.json says so), the embedding "
                  "table (and the tied output projection) Cast + Mul, folded at load"}[form] + \
        ("; logits for the last position only" if last else "")


def rewrite_in_place(path, src, candidate):
    import json
    from export import sha256  # local: export.py imports torch, which nothing else here needs
    proto = build(candidate, src)
    proto.doc_string = f"Headstart μLM decoder with KV cache, inference form {candidate} (training/quant.py)"
    onnx.checker.check_model(proto)
    onnx.save(proto, path)
    card_path = os.path.splitext(path)[0] + ".json"
    if os.path.exists(card_path):
        card = json.load(open(card_path, encoding="utf-8"))
        card["file_size_bytes"] = os.path.getsize(path)
        card["sha256"] = sha256(path)
        q = card.setdefault("quantization", {})
        q["graph"] = describe(candidate)
        q["form"] = candidate
        q["runtime_note"] = ("rewritten by training/quant.py --in-place from the int8 export (the same int8 weights and "
                             "scales). " + (SHIPPED_NOTE if candidate == SHIPPED else "README, Speed"))
        if parse(candidate)[0] not in ("dq", "dq-folded", "fp32"):
            card.pop("parity", None)  # measured on the previous form; these forms keep its numbers
        with open(card_path, "w", encoding="utf-8") as f:
            json.dump(card, f, indent=1, ensure_ascii=False)
            f.write("\n")
    print(f"{path}\t{os.path.getsize(path) / 1e6:.1f} MB ({candidate})")
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="an int8 export of training/export.py (<name>-int8.onnx)")
    p.add_argument("--out", default="build/quant/models")
    p.add_argument("--candidates", default=",".join(CANDIDATES))
    p.add_argument("--in-place", metavar="CANDIDATE",
                   help="rewrite --model itself into CANDIDATE (e.g. dqmm, the shipped form) and update its card "
                        "(<model>.json: file size, sha256, quantization); --out is then unused")
    a = p.parse_args(argv)
    try:
        src = onnx.load(a.model)
    except Exception as e:  # noqa: BLE001 - any load failure is the same message
        raise SystemExit(f"training/quant.py: cannot read {a.model}: {e}")
    if not any(n.op_type in ("DequantizeLinear", "DynamicQuantizeMatMul") for n in src.graph.node):
        raise SystemExit(f"training/quant.py: {a.model} has no DequantizeLinear weights (not an int8 export)")
    if a.in_place:
        return rewrite_in_place(a.model, src, a.in_place)
    os.makedirs(a.out, exist_ok=True)
    stem = os.path.basename(a.model)[:-len(".onnx")]
    stem = stem[:-len("-int8")] if stem.endswith("-int8") else stem
    for c in [c for c in a.candidates.split(",") if c]:
        proto = build(c, src)
        proto.doc_string = f"Headstart μLM decoder, inference candidate {c} (training/quant.py)"
        onnx.checker.check_model(proto)
        path = os.path.join(a.out, f"{stem}.{c}.onnx")
        onnx.save(proto, path)
        print(f"{path}\t{os.path.getsize(path) / 1e6:.1f} MB")


if __name__ == "__main__":
    sys.exit(main())
