"""Differential test of the math ops' shape functions against onnx.shape_inference.

usage: oracle.py CONVGRAPH FAMILY [SEED]

FAMILY is broadcast, reduce, resize, softmax or prelu (one ctest each, tests/math_ops.cmake).
Each case is a one-node model built with onnx.helper, with any scales/sizes/axes as
initializers. ONNX's own strict shape inference is the oracle: where it infers the
output, `convgraph shapes --json` must infer the same dtype and shape; where it
rejects the model, convgraph must fail inference (exit 1) with a one-line message.
Cases come from a seeded generator, so every run checks the same ones.
"""
import json
import os
import random
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference

CONVGRAPH = None
DIMS = [1, 2, 3, 5, 7]


def onnx_dim(d):
    """A number, a symbol, or "?" (as convgraph writes an unknown dim); onnx names
    the unknown dims it creates unk__K."""
    if d.HasField("dim_value"):
        return d.dim_value
    return d.dim_param if d.dim_param and not d.dim_param.startswith("unk__") else "?"


def oracle(model):
    """The output's (dtype name, dims) per onnx strict inference, or None if it rejects."""
    try:
        inferred = shape_inference.infer_shapes(model, strict_mode=True)
    except Exception:  # onnx raises InferenceError (or a checker error) on bad input
        return None
    vi = inferred.graph.output[0].type.tensor_type
    if not vi.HasField("shape"):
        return "unknown"
    dims = [onnx_dim(d) for d in vi.shape.dim]
    return (onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[vi.elem_type].name, dims)


def convgraph(path):
    p = subprocess.run([CONVGRAPH, "shapes", "--json", path], capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        return p.returncode, p.stderr
    out = json.loads(p.stdout)["outputs"][0]
    return 0, (out["dtype"], out["shape"])


def model(op, inputs, inits, attrs, opset, wiring=None):
    """inputs: [(name, elem_type, dims)]; inits: {name: numpy array}; the node takes
    the inputs then the initializers, unless wiring lists its input names ("" = omitted)."""
    vis = [helper.make_tensor_value_info(n, t, d) for n, t, d in inputs]
    init = [numpy_helper.from_array(a, name=k) for k, a in inits.items()]
    names = wiring or [n for n, _, _ in inputs] + list(inits)
    node = helper.make_node(op, names, ["y"], **attrs)
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = helper.make_graph([node], "g", vis, [out], init)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def check(tmp, label, m, stats, spec_rejects=False):
    """spec_rejects: the operator spec text forbids the case though onnx 1.12's
    inference lets it through; convgraph follows the spec."""
    path = os.path.join(tmp, "m.onnx")
    onnx.save(m, path)
    want = None if spec_rejects else oracle(m)
    rc, got = convgraph(path)
    if want is None:
        ok = rc == 1 and got.count("\n") <= 1
        verdict = "rejects" if ok else f"accepted as {got}" if rc == 0 else f"exit {rc}: {got}"
    else:
        ok = rc == 0 and want != "unknown" and got[0] == want[0] and got[1] == want[1]
        verdict = f"got {got}, onnx infers {want}"
    stats[ok] += 1
    stats["rejected"] += want is None
    if not ok:
        print(f"FAIL {label}: {verdict}")


def shape(rng, max_rank):
    return [rng.choice(DIMS) for _ in range(rng.randint(0, max_rank))]


def related_shape(rng, base):
    """A shape that usually broadcasts with base: a suffix with some dims set to 1."""
    tail = base[rng.randint(0, len(base)):] if base else []
    out = [1 if rng.random() < 0.3 else d for d in tail]
    if rng.random() < 0.15 and out:
        out[rng.randrange(len(out))] = rng.choice(DIMS)  # often incompatible
    if rng.random() < 0.2:
        out = [rng.choice([1, 2])] + out
    return out


def with_symbols(rng, dims):
    """Some dims become the symbols N or M, or unknown (None)."""
    return [rng.choice(["N", "M", None]) if rng.random() < 0.2 else d for d in dims]


def family_broadcast(rng, tmp, stats):
    for i in range(160):
        op = rng.choice(["Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean"])
        variadic = op in ("Max", "Min", "Sum", "Mean")
        opset = rng.randint(8 if variadic else 7, 17)
        a = with_symbols(rng, shape(rng, 4)) if i % 2 else shape(rng, 4)
        shapes = [a] + [related_shape(rng, a) for _ in range(rng.randint(2, 3) if variadic else 1)]
        if rng.random() < 0.5:
            shapes.reverse()
        ins = [(f"x{k}", TensorProto.FLOAT, s) for k, s in enumerate(shapes)]
        check(tmp, f"{op}-{opset} {shapes}", model(op, ins, {}, {}, opset), stats)


def family_reduce(rng, tmp, stats):
    for i in range(100):
        op = rng.choice(["ReduceMean", "ReduceMean", "ReduceSum", "ReduceMax", "ReduceL2", "ReduceLogSumExp"])
        opset = rng.choice([11, 13])
        x = with_symbols(rng, [rng.choice(DIMS) for _ in range(rng.randint(1, 5))])
        r = len(x)
        axes = rng.sample(range(r), rng.randint(0, r))
        axes = [a - r if rng.random() < 0.5 else a for a in axes]
        out_of_range = rng.random() < 0.1
        if out_of_range:  # the docs: "Accepted range is [-r, r-1]"; onnx 1.12 skips it for some ops
            axes.append(rng.choice([r, -r - 1]))
        attrs = {"keepdims": rng.randint(0, 1)}
        inits = {}
        if axes and op == "ReduceSum" and opset >= 13:  # ReduceSum-13: axes is input 1
            inits["axes"] = np.array(axes, np.int64)
        elif axes:
            attrs["axes"] = axes
        ins = [("x", TensorProto.FLOAT, x)]
        m = model(op, ins, inits, attrs, opset)
        check(tmp, f"{op}-{opset} {x} axes {axes} {attrs}", m, stats, spec_rejects=out_of_range)


def family_resize(rng, tmp, stats):
    for i in range(100):
        opset = rng.choice([11, 13])
        x = [rng.choice([1, 3, 4, 5, 7, 9, 17]) for _ in range(rng.randint(3, 4))]
        ins = [("x", TensorProto.FLOAT, x)]
        empty = np.zeros([0], dtype=np.float32)
        if rng.random() < 0.6:
            scales = np.array([rng.choice([1.0, 0.5, 2.0, 1.5, 0.3, 0.75, 3.0, 1.0 / 3]) for _ in x], np.float32)
            inits = {"roi": empty, "scales": scales}
            label = f"scales {scales.tolist()}"
        else:
            sizes = np.array([rng.randint(1, 20) for _ in x], np.int64)
            inits = {"roi": empty, "scales": empty, "sizes": sizes}
            label = f"sizes {sizes.tolist()}"
        roll = rng.random()
        if roll < 0.08:  # one value too many for X's rank
            key = "sizes" if "sizes" in inits else "scales"
            inits[key] = np.append(inits[key], inits[key][:1])
            label += " (count != rank)"
        elif roll < 0.16:  # both: Resize-13 "it is an error if both are specified"
            inits["scales"] = np.ones([len(x)], np.float32)
            inits["sizes"] = np.array(x, np.int64)
            label = "scales and sizes"
        attrs = {"mode": rng.choice(["nearest", "linear", "cubic"])}
        both = "scales and sizes" in label
        wiring = None
        if opset == 13 and not both and rng.random() < 0.5:  # Resize-13 may omit roi and scales
            wiring = ["x", "", "scales"] if "sizes" not in inits else ["x", "", "", "sizes"]
        m = model("Resize", ins, inits, attrs, opset, wiring)
        check(tmp, f"Resize-{opset} {x} {label}", m, stats, spec_rejects=both)
    for i in range(20):
        x = [rng.choice([1, 2, 3, 5]) for _ in range(4)]
        scales = np.array([rng.choice([1.0, 2.0, 3.0, 1.5]) for _ in x], np.float32)
        ins = [("x", TensorProto.FLOAT, x)]
        check(tmp, f"Upsample-9 {x} {scales.tolist()}", model("Upsample", ins, {"scales": scales}, {}, 9), stats)


def family_softmax(rng, tmp, stats):
    for i in range(60):
        op = rng.choice(["Softmax", "LogSoftmax"])
        opset = rng.choice([11, 12, 13, 17])
        x = with_symbols(rng, [rng.choice(DIMS) for _ in range(rng.randint(1, 4))])
        attrs = {}
        if rng.random() < 0.7:
            attrs["axis"] = rng.randint(-len(x) - 1, len(x))
        ins = [("x", TensorProto.FLOAT, x)]
        check(tmp, f"{op}-{opset} {x} {attrs}", model(op, ins, {}, attrs, opset), stats)


def unidirectional(x, slope):
    """numpy: slope broadcasts onto x without changing x's shape (PRelu-7 docs)."""
    try:
        return list(np.broadcast_shapes(tuple(x), tuple(slope))) == list(x)
    except ValueError:
        return False


def family_prelu(rng, tmp, stats):
    for i in range(60):
        opset = rng.choice([9, 16])
        x = [rng.choice(DIMS) for _ in range(rng.randint(1, 4))]
        slope = related_shape(rng, x)
        ins = [("x", TensorProto.FLOAT, x), ("slope", TensorProto.FLOAT, slope)]
        m = model("PRelu", ins, {}, {}, opset)
        check(tmp, f"PRelu-{opset} {x} {slope}", m, stats, spec_rejects=not unidirectional(x, slope))


def main():
    global CONVGRAPH
    CONVGRAPH = sys.argv[1]
    family = globals()["family_" + sys.argv[2]]
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 20261130)
    stats = {True: 0, False: 0, "rejected": 0}
    with tempfile.TemporaryDirectory() as tmp:
        family(rng, tmp, stats)
    print(f"{sys.argv[2]}: {stats[True]} agree ({stats['rejected']} of them invalid models, rejected), "
          f"{stats[False]} disagree")
    sys.exit(1 if stats[False] else 0)


if __name__ == "__main__":
    main()
