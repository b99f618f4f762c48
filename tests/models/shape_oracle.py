"""Compares convgraph's inferred shapes (`convgraph shapes --json`) with
onnx.shape_inference, value by value."""
import json
import subprocess

import onnx
from onnx import TensorProto

# TensorProto element type -> convgraph's dtype name (include/convgraph/dtype.h).
DTYPE_NAMES = {
    TensorProto.FLOAT: "float32", TensorProto.UINT8: "uint8", TensorProto.INT8: "int8",
    TensorProto.UINT16: "uint16", TensorProto.INT16: "int16", TensorProto.INT32: "int32",
    TensorProto.INT64: "int64", TensorProto.STRING: "string", TensorProto.BOOL: "bool",
    TensorProto.FLOAT16: "float16", TensorProto.DOUBLE: "float64",
    TensorProto.UINT32: "uint32", TensorProto.UINT64: "uint64",
    TensorProto.COMPLEX64: "complex64", TensorProto.COMPLEX128: "complex128",
    TensorProto.BFLOAT16: "bfloat16",
}


def _onnx_dims(tensor_type, input_symbols):
    """A list of int (dim_value), str (dim_param) or None (unknown); None if no shape.
    Only symbols of the graph inputs count: any other dim_param is a name invented
    for a dim nobody computed (onnx's "unk__<n>", or an exporter's declared
    "Resizelogits_dim_1" that onnx keeps when it cannot infer better)."""
    if not tensor_type.HasField("shape"):
        return None
    dims = []
    for d in tensor_type.shape.dim:
        if d.HasField("dim_value"):
            dims.append(d.dim_value)
        elif d.HasField("dim_param") and d.dim_param in input_symbols:
            dims.append(d.dim_param)
        else:
            dims.append(None)
    return dims


def _input_symbols(graph):
    return {d.dim_param for vi in graph.input
            if vi.type.WhichOneof("value") == "tensor_type"
            for d in vi.type.tensor_type.shape.dim if d.HasField("dim_param")}


def onnx_known_values(path):
    """{name: (dtype name or None, dims or None)} for every value onnx knows:
    graph inputs, initializers, and what onnx.shape_inference infers."""
    model = onnx.shape_inference.infer_shapes(onnx.load(path), strict_mode=True)
    g = model.graph
    symbols = _input_symbols(g)
    known = {}
    for init in g.initializer:
        known[init.name] = (DTYPE_NAMES.get(init.data_type), list(init.dims))
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        if vi.type.WhichOneof("value") != "tensor_type":
            continue
        tt = vi.type.tensor_type
        known[vi.name] = (DTYPE_NAMES.get(tt.elem_type) if tt.elem_type else None,
                          _onnx_dims(tt, symbols))
    return known


def producers(path):
    """{value name: (op type, first input) of the node producing it}; graph inputs
    map to ("input", "")."""
    g = onnx.load(path).graph
    made_by = {v.name: ("input", "") for v in g.input}
    for node in g.node:
        first = node.input[0] if node.input else ""
        made_by.update((n, (node.op_type, first)) for n in node.output if n)
    return made_by


def convgraph_values(convgraph, path, pins=()):
    """({name: (dtype, shape, where)}, [conflict lines]) from `convgraph shapes
    --json`, in node order; a value reported with two different shapes (say, as one
    node's output and another's input) is a conflict. Raises RuntimeError with
    convgraph's message when it fails."""
    args = [convgraph, "shapes", "--json", path]
    for pin in pins:
        args += ["--input-shape", pin]
    run = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if run.returncode != 0:
        raise RuntimeError("convgraph shapes --json exited %d: %s"
                           % (run.returncode, run.stderr.strip() or run.stdout.strip()))
    report = json.loads(run.stdout)
    ours, conflicts = {}, []

    def note(v, where):
        if v is None or not v.get("name"):
            return
        seen = ours.setdefault(v["name"], (v.get("dtype"), v.get("shape"), where))
        if seen[:2] != (v.get("dtype"), v.get("shape")):
            conflicts.append("value '%s': %s says %s%s but %s says %s%s"
                             % (v["name"], seen[2], seen[0], seen[1], where,
                                v.get("dtype"), v.get("shape")))

    # Node outputs first: they are what inference produced.
    for node in report["nodes"]:
        where = "node '%s' (%s)" % (node.get("name", ""), node.get("op", "?"))
        for v in node.get("outputs", []) + node.get("inputs", []):
            note(v, where)
    for v in report.get("inputs", []) + report.get("outputs", []):
        note(v, "the graph's inputs/outputs")
    return ours, conflicts


def _fmt(dims):
    if dims is None:
        return "?"
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def _dims_agree(theirs, ours):
    """onnx's known dims must be ours exactly: numbers equal, symbols the same name.
    A dim onnx leaves unknown checks nothing."""
    if theirs is None:
        return True
    if not isinstance(ours, list) or len(ours) != len(theirs):
        return False
    for t, o in zip(theirs, ours):
        if t is None:
            continue
        if isinstance(t, int) and (isinstance(o, bool) or not isinstance(o, int)):
            return False
        if t != o:
            return False
    return True


def compare(known, ours, oracle="onnx"):
    """Returns (values checked, [mismatch lines]) in convgraph's node order, so the
    first line is the root cause; values convgraph lacks come last. `oracle` names
    where `known` came from in the lines."""
    order = {name: i for i, name in enumerate(ours)}
    mismatches = []
    for name in sorted(known, key=lambda n: (order.get(n, len(order)), n)):
        dtype, dims = known[name]
        if name not in ours:
            mismatches.append("value '%s': %s has %s%s, convgraph reports nothing"
                              % (name, oracle, dtype, _fmt(dims)))
            continue
        our_dtype, our_shape, where = ours[name]
        if (dtype is not None and our_dtype != dtype) or not _dims_agree(dims, our_shape):
            our_dims = None if our_shape is None else [None if d == "?" else d
                                                       for d in our_shape]
            mismatches.append("value '%s' at %s: convgraph %s%s, %s %s%s"
                              % (name, where, our_dtype, _fmt(our_dims), oracle, dtype,
                                 _fmt(dims)))
    return len(known), mismatches


def substitute(shape, symbol, value):
    """shape with the plain symbol replaced by value; other expressions become None
    (unknown), since evaluating them would need convgraph's expression syntax."""
    if shape is None:
        return None
    return [value if d == symbol else d if isinstance(d, int) else None for d in shape]
