"""End-to-end tests of `convgraph convert`.

usage: convert_tests.py CONVGRAPH SOURCE_DIR NPM_PREFIX CASE

Each CASE is one ctest (tests/convert.cmake). The judges: onnx.checker for the
files, onnxruntime-node and tfjs-core (installed under NPM_PREFIX, run by
oracles.js) for the numbers, `convgraph conform` for convgraph's own kernels.
Models the ONNX test data lacks are made here with onnx.helper.
"""
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import cgtest  # noqa: E402
from cgtest import (NODE_DATA, expect, expect_exit, expect_one_line, run,  # noqa: E402
                    seed_model, tmp)


ORACLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "oracles.js")

# Backend tests with SAME / explicit-pad windows whose converted form must compute
# the test's expected outputs.
PADDED_TESTS = [
    "test_conv_with_strides_and_asymmetric_padding", "test_conv_with_autopad_same",
    "test_maxpool_2d_same_upper", "test_maxpool_2d_same_lower",
    "test_maxpool_2d_precomputed_same_upper", "test_averagepool_2d_same_upper",
    "test_averagepool_2d_same_lower", "test_averagepool_2d_precomputed_same_upper",
    "test_convtranspose_autopad_same",
]


def convert(*args):
    out, err = expect_exit(["convert", *args], 0)
    expect(err == "", "nothing on stderr", err)
    return out


def save(model, name):
    """Every model these cases make must pass onnx.checker first."""
    return cgtest.save(model, name, check=True)


def table_row(out, label):
    """(before, after) of a row of the report, as ints ('?' stays a string)."""
    m = re.search(rf"^{re.escape(label)} +(\S+) +(\S+)$", out, re.M)
    expect(m is not None, f"a '{label}' row", out)
    return tuple(int(v.replace(",", "")) if v != "?" else v for v in m.groups())


def attr(node, name):
    found = [a for a in node.attribute if a.name == name]
    return helper.get_attribute_value(found[0]) if found else None


def check_file(path):
    """onnx.checker with full shape inference; returns the model."""
    onnx.checker.check_model(path, full_check=True)
    return onnx.load(path)


# ---- oracles ----

def write_tensor(array, name):
    path = tmp(f"{name}.bin")
    np.ascontiguousarray(array, dtype=np.float32).tofile(path)
    return {"dims": list(array.shape), "file": path}


def oracles(runs):
    """Runs oracles.js once for all runs; each result is a list of arrays or an
    error string."""
    job = tmp("job.json")
    with open(job, "w") as f:
        json.dump({"runs": runs, "result": tmp("result.json")}, f)
    p = subprocess.run(["node", ORACLES, cgtest.ARGS["NPM_PREFIX"], job], capture_output=True,
                       text=True, timeout=120)
    expect(p.returncode == 0, "oracles.js ran", p.stdout + p.stderr)
    with open(tmp("result.json")) as f:
        results = json.load(f)
    return [r["error"] if "error" in r else
            [np.fromfile(o["file"], dtype=np.float32).reshape(o["dims"]) for o in r["outputs"]]
            for r in results]


def ort_run(model, inputs):
    feeds = {}
    for name, a in inputs.items():
        ort_run.count += 1
        feeds[name] = write_tensor(a, f"feed{ort_run.count}")
    return {"kind": "ort", "model": model, "inputs": feeds}


ort_run.count = 0


def random_inputs(model_path, seed):
    rng = np.random.default_rng(seed)
    model = onnx.load(model_path)
    inits = {i.name for i in model.graph.initializer}
    return {i.name: rng.uniform(-1, 1, [d.dim_value for d in
                                        i.type.tensor_type.shape.dim]).astype(np.float32)
            for i in model.graph.input if i.name not in inits}


def expect_close(got, want, what, atol=1e-5, rtol=1e-4):
    expect(not isinstance(got, str), f"{what}: ran", str(got))
    expect(len(got) == len(want), f"{what}: output count")
    for g, w in zip(got, want):
        expect(g.shape == w.shape, f"{what}: shape {g.shape} vs {w.shape}")
        expect(np.allclose(g, w, atol=atol, rtol=rtol),
               f"{what}: values differ by {np.max(np.abs(g - w))}")


# ---- cases ----

def case_seed_to_onnx():
    out_path = tmp("seed.onnx")
    out = convert(seed_model(), "-o", out_path)
    model = check_file(out_path)
    convs = [n for n in model.graph.node if n.op_type == "Conv"]
    expect([attr(n, "auto_pad") for n in convs] == [b"SAME_UPPER", b"VALID"],
           "auto_pad kept without --explicit-pads", str(model.graph))
    expect(table_row(out, "Conv") == (2, 2) and table_row(out, "nodes") == (2, 2), "op rows", out)
    expect(table_row(out, "parameters") == (588, 588), "parameters: 2 * (6*3*4*4 + 6)", out)
    macs = 6 * 3 * 4 * 4 * (32 * 32 + 31 * 31)
    expect(table_row(out, "MACs") == (macs, macs), "MACs", out)
    expect(table_row(out, "file size (bytes)") == (os.path.getsize(seed_model()),
                                                    os.path.getsize(out_path)), "file sizes", out)
    expect("passes: none" in out, "no passes asked", out)
    out_path = tmp("seed_pads.onnx")
    out = convert(seed_model(), "-o", out_path, "--explicit-pads")
    convs = [n for n in check_file(out_path).graph.node if n.op_type == "Conv"]
    expect([attr(n, "pads") for n in convs] == [[1, 1, 1, 1], [0, 0, 0, 0]] and
           all(attr(n, "auto_pad") is None for n in convs), "explicit pads", str(convs))
    expect(re.search(r"^passes:\n  explicit-pads +2 changed$", out, re.M), "pass summary", out)


def backend_copy(name):
    dst = tmp(name)
    shutil.copytree(os.path.join(NODE_DATA, name), dst)
    return dst


def test_data(folder):
    data = os.path.join(folder, "test_data_set_0")
    load = lambda f: numpy_helper.to_array(onnx.load_tensor(os.path.join(data, f)))
    inputs = sorted(f for f in os.listdir(data) if f.startswith("input_"))
    outputs = sorted(f for f in os.listdir(data) if f.startswith("output_"))
    return [load(f) for f in inputs], [load(f) for f in outputs]


def case_explicit_pads_backend():
    runs, checks = [], []
    for name in PADDED_TESTS:
        folder = backend_copy(name)
        original, converted = os.path.join(folder, "model.onnx"), tmp(f"{name}.onnx")
        out = convert(original, "-o", converted, "--explicit-pads")
        model = check_file(converted)
        for n in model.graph.node:
            expect(attr(n, "auto_pad") in (None, b"NOTSET"), f"{name}: auto_pad gone", out)
        inputs, outputs = test_data(folder)
        names = [i.name for i in model.graph.input]
        runs.append(ort_run(converted, dict(zip(names, inputs))))
        checks.append((name, "converted, test data", outputs))
        rand = random_inputs(original, 7)
        runs += [ort_run(original, rand), ort_run(converted, rand)]
        checks.append((name, "original vs converted, random inputs", None))
        shutil.copy(converted, original)  # convgraph's own kernels on the converted model
        out, _ = expect_exit(["conform", folder], 0)
        expect("1 passed, 0 failed" in out, f"{name}: conform", out)
    results = oracles(runs)
    k = 0
    for name, what, want in checks:
        if want is not None:
            expect_close(results[k], want, f"{name}: {what}")
            k += 1
        else:
            expect_close(results[k + 1], results[k], f"{name}: {what}")
            k += 2
    print(f"{len(PADDED_TESTS)} backend tests agree after --explicit-pads")


def windowed_model(op, x_dims, y_dims, w_dims=None, **attrs):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, x_dims)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, y_dims)
    inits, inputs = [], ["x"]
    if w_dims:
        w = np.random.default_rng(3).uniform(-1, 1, w_dims).astype(np.float32)
        inits.append(numpy_helper.from_array(w, "w"))
        inputs.append("w")
    node = helper.make_node(op, inputs, ["y"], name=op.lower(), **attrs)
    graph = helper.make_graph([node], "g", [x], [y], initializer=inits)
    return cgtest.model(graph)


def case_valid_windows():
    models = {
        "conv_valid": windowed_model("Conv", [1, 2, 7, 8], [1, 3, 3, 3], [3, 2, 3, 2],
                                     strides=[2, 3], auto_pad="VALID"),
        "maxpool_valid": windowed_model("MaxPool", [1, 2, 9, 6], [1, 2, 4, 3],
                                        kernel_shape=[3, 2], strides=[2, 2], auto_pad="VALID"),
        "avgpool_same_lower": windowed_model("AveragePool", [1, 1, 6, 7], [1, 1, 3, 4],
                                             kernel_shape=[2, 3], strides=[2, 2],
                                             auto_pad="SAME_LOWER"),
    }
    runs = []
    for name, model in models.items():
        original = save(model, f"{name}.onnx")
        converted = tmp(f"{name}_explicit.onnx")
        out = convert(original, "-o", converted, "--explicit-pads")
        expect(re.search(r"^  explicit-pads +1 changed$", out, re.M), f"{name}: rewritten", out)
        node = check_file(converted).graph.node[0]
        expect(attr(node, "auto_pad") is None and attr(node, "pads") is not None,
               f"{name}: explicit pads", str(node))
        rand = random_inputs(original, 11)
        runs += [ort_run(original, rand), ort_run(converted, rand)]
    results = oracles(runs)
    for i, name in enumerate(models):
        expect_close(results[2 * i + 1], results[2 * i], f"{name}: onnxruntime before/after")


def case_dilated_same_conv_matches_tensorflow():
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, [1, 1, 22, 22]).astype(np.float32)
    w = rng.uniform(-1, 1, [1, 1, 3, 3]).astype(np.float32)
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="dilated", kernel_shape=[3, 3],
                            dilations=[2, 2], auto_pad="SAME_UPPER")
    graph = helper.make_graph([node], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, x.shape)],
                              initializer=[numpy_helper.from_array(w, "w")])
    original = save(cgtest.model(graph),
                    "dilated.onnx")
    converted = tmp("dilated_explicit.onnx")
    convert(original, "-o", converted, "--explicit-pads")
    node = check_file(converted).graph.node[0]
    expect(attr(node, "pads") == [2, 2, 2, 2], "TF's pads for n22 k3 d2: 2/2", str(node))
    tf_run = {"kind": "tf_conv2d", "x": write_tensor(x.transpose(0, 2, 3, 1), "x_nhwc"),
              "w": write_tensor(w.transpose(2, 3, 1, 0), "w_hwio"), "strides": 1,
              "padding": "same", "dilations": 2}
    before, after, tf = oracles([ort_run(original, {"x": x}), ort_run(converted, {"x": x}),
                                 tf_run])
    expect(isinstance(before, str), "onnxruntime refuses the dilated SAME conv as it was",
           repr(before))
    expect_close(after, [tf[0].transpose(0, 3, 1, 2)], "onnxruntime after conversion vs tfjs")


def case_yaml_onnx_roundtrip():
    a, b, c = tmp("a.onnx"), tmp("b.yaml"), tmp("c.onnx")
    convert(seed_model(), "-o", a)
    out = convert(a, "-o", b)
    expect(table_row(out, "file size (bytes)")[1] ==
           os.path.getsize(b) + sum(os.path.getsize(os.path.join(tmp("b_weights"), f))
                                    for f in os.listdir(tmp("b_weights"))),
           "YAML size counts the weight files", out)
    convert(b, "-o", c)
    ma, mc = check_file(a), check_file(c)
    expect(ma.graph.node == mc.graph.node, "same nodes", f"{ma.graph.node}\n{mc.graph.node}")
    expect([i.name for i in ma.graph.input] == [i.name for i in mc.graph.input] and
           [o.name for o in ma.graph.output] == [o.name for o in mc.graph.output], "same io")
    wa = {t.name: numpy_helper.to_array(t) for t in ma.graph.initializer}
    wc = {t.name: numpy_helper.to_array(t) for t in mc.graph.initializer}
    expect(wa.keys() == wc.keys() and all(np.array_equal(wa[k], wc[k]) for k in wa),
           "same weights, bit for bit")
    with open(a, "rb") as fa, open(c, "rb") as fc:
        expect(fa.read() == fc.read(), "ONNX -> YAML -> ONNX gives the same bytes")
    d = tmp("d.yaml")
    convert(c, "-o", d)
    expect(open(b).read() == open(d).read().replace("d_weights/", "b_weights/"),
           "ONNX -> YAML is a fixed point (but for the weights folder's name)")
    for f in os.listdir(tmp("b_weights")):
        with open(tmp("b_weights", f), "rb") as fb, open(tmp("d_weights", f), "rb") as fd:
            expect(fb.read() == fd.read(), f"same weight file {f}")


def passes_model():
    """x -> Identity -> Conv -> BatchNormalization -> Dropout -> Add(Constant) -> y."""
    rng = np.random.default_rng(9)
    def init(name, shape, low=-1.0):
        return numpy_helper.from_array(rng.uniform(low, 1, shape).astype(np.float32), name)
    nodes = [
        helper.make_node("Identity", ["x"], ["x1"], name="id"),
        helper.make_node("Conv", ["x1", "w", "b"], ["c"], name="conv", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "scale", "bias", "mean", "var"], ["bn"],
                         name="bn"),
        helper.make_node("Dropout", ["bn"], ["d"], name="drop"),
        helper.make_node("Constant", [], ["k"], name="k",
                         value=numpy_helper.from_array(np.full([1], 0.5, np.float32))),
        helper.make_node("Add", ["k", "k"], ["kk"], name="kk"),
        helper.make_node("Add", ["d", "kk"], ["y"], name="add"),
    ]
    graph = helper.make_graph(
        nodes, "passes", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 5, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 5, 5])],
        initializer=[init("w", [4, 2, 3, 3]), init("b", [4]), init("scale", [4]),
                     init("bias", [4]), init("mean", [4]), init("var", [4], low=0.5)])
    return save(cgtest.model(graph),
                "passes.onnx")


def case_passes_table():
    original, converted = passes_model(), tmp("passes_out.onnx")
    out = convert(original, "-o", converted, "--drop-identity", "--fold-constants",
                  "--fold-batchnorm")
    expect(table_row(out, "Identity") == (1, 0) and table_row(out, "Dropout") == (1, 0),
           "identity and dropout dropped", out)
    expect(table_row(out, "BatchNormalization") == (1, 0), "batchnorm folded", out)
    expect(table_row(out, "Constant") == (1, 0) and table_row(out, "Add") == (2, 1),
           "constants folded", out)
    expect(table_row(out, "Conv") == (1, 1) and table_row(out, "nodes") == (7, 2), "nodes", out)
    params = table_row(out, "parameters")
    expect(params[1] < params[0], "BN parameters folded away", out)
    model = check_file(converted)
    expect([n.op_type for n in model.graph.node] == ["Conv", "Add"], "Conv, Add left",
           str(model.graph.node))
    rand = random_inputs(original, 13)
    before, after = oracles([ort_run(original, rand), ort_run(converted, rand)])
    expect_close(after, before, "onnxruntime before/after the passes")


def symbolic_conv():
    model = windowed_model("Conv", ["N", 3, "H", "W"], ["N", 4, "OH", "OW"], [4, 3, 3, 3],
                           strides=[2, 2], auto_pad="SAME_UPPER")
    return save(model, "symbolic.onnx")


def case_symbolic_keeps_auto_pad():
    original = symbolic_conv()
    kept = tmp("kept.onnx")
    out = convert(original, "-o", kept, "--explicit-pads")
    expect(re.search(r"^not converted \(1\):\n  .*node 'conv' \(Conv\) keeps auto_pad "
                     r"SAME_UPPER: input H is symbolic", out, re.M), "reason shown", out)
    expect(attr(check_file(kept).graph.node[0], "auto_pad") == b"SAME_UPPER", "auto_pad kept")
    expect(table_row(out, "MACs")[0] == "?", "MACs unknown with symbolic dims", out)
    pinned = tmp("pinned.onnx")
    out = convert(original, "-o", pinned, "--explicit-pads", "--input-shape", "x:2,3,9,10")
    expect("not converted" not in out, "all converted with a pin", out)
    model = check_file(pinned)
    expect(attr(model.graph.node[0], "pads") == [1, 0, 1, 1], "pads for 9x10 k3 s2", out)
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    expect(dims == [2, 3, 9, 10], "the pinned shape is declared", str(model.graph.input))
    macs = 2 * 4 * 3 * 9 * 5 * 5
    expect(table_row(out, "MACs") == (macs, macs), "MACs with the pin", out)


def case_external_data():
    big = windowed_model("Conv", [1, 8, 6, 6], [1, 16, 4, 4], [16, 8, 3, 3], kernel_shape=[3, 3])
    original, converted = save(big, "big.onnx"), tmp("ext.onnx")
    out = convert(original, "-o", converted, "--external-data", "--external-threshold", "1000")
    data = converted + ".data"
    expect(os.path.exists(data), "OUT.data written", str(os.listdir(cgtest.TMP)))
    expect(table_row(out, "file size (bytes)")[1] ==
           os.path.getsize(converted) + os.path.getsize(data), "size counts both files", out)
    model = check_file(converted)
    w = numpy_helper.to_array(model.graph.initializer[0], base_dir=cgtest.TMP)
    want = numpy_helper.to_array(onnx.load(original).graph.initializer[0])
    expect(np.array_equal(w, want), "weights read back from OUT.data")
    stored = onnx.load(converted, load_external_data=False).graph.initializer[0]
    expect(stored.data_location == TensorProto.EXTERNAL and
           {e.key: e.value for e in stored.external_data}["location"] == "ext.onnx.data",
           "the initializer points at OUT.data", str(stored))


def expect_refused(args, out_path, what):
    before = set(os.listdir(cgtest.TMP))
    _, err = expect_exit(["convert", *args], 2)
    expect_one_line(err, what)
    expect(not os.path.exists(out_path), f"{what}: no output file")
    expect(set(os.listdir(cgtest.TMP)) == before, f"{what}: nothing left behind",
           str(set(os.listdir(cgtest.TMP)) - before))
    return err


def cycle_model():
    nodes = [helper.make_node("Relu", ["b"], ["a"], name="r1"),
             helper.make_node("Relu", ["a"], ["b"], name="r2"),
             helper.make_node("Relu", ["x"], ["y"], name="r3")]
    graph = helper.make_graph(nodes, "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    path = tmp("cycle.onnx")
    onnx.save(helper.make_model(graph), path)  # the checker refuses it too
    return path


def subgraph_model():
    """Conv (with a weight) then an If: YAML specs cannot hold the If's branches."""
    def branch(op, out):
        return helper.make_graph([helper.make_node(op, ["y"], [out])], op, [],
                                 [helper.make_tensor_value_info(out, TensorProto.FLOAT,
                                                                [1, 1, 2, 2])])
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", kernel_shape=[1, 1]),
             helper.make_node("If", ["c"], ["z"], name="if", then_branch=branch("Identity", "t"),
                              else_branch=branch("Neg", "e"))]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 2, 2]),
                     helper.make_tensor_value_info("c", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 1, 2, 2])],
        initializer=[numpy_helper.from_array(np.ones([1, 1, 1, 1], np.float32), "w")])
    return save(cgtest.model(graph),
                "subgraph.onnx")


def case_bad_inputs():
    out = tmp("out.onnx")
    err = expect_refused([tmp("missing.onnx"), "-o", out], out, "missing model")
    expect("missing.onnx" in err, "names the file", err)
    corrupt = tmp("corrupt.onnx")
    with open(corrupt, "wb") as f:
        f.write(b"\x0a\xff\xff\xff")
    expect_refused([corrupt, "-o", out], out, "corrupt model")
    err = expect_refused([cycle_model(), "-o", out], out, "cycle")
    expect("cycle" in err, "says cycle", err)
    spec = tmp("unknown_op.yaml")
    with open(spec, "w") as f:
        f.write("model: m\nopset: 13\ninputs:\n  - {name: x, dtype: float32, shape: [1, 2]}\n"
                "outputs: [y]\nnodes:\n  - {name: n, op: NoSuchOp, inputs: [x], outputs: [y]}\n")
    err = expect_refused([spec, "-o", out], out, "unknown op in a YAML spec")
    expect("NoSuchOp" in err, "names the op", err)
    err = expect_refused([symbolic_conv(), "-o", out, "--input-shape", "x:1,3,9"], out,
                         "a pin of the wrong rank")
    expect("--input-shape x" in err, "names the pin", err)
    err = expect_refused([seed_model(), "-o", out, "--input-shape", "x:1,4,64,64"], out,
                         "a pin the model contradicts")
    model = subgraph_model()
    err = expect_refused([model, "-o", tmp("sub.yaml")], tmp("sub.yaml"), "If into YAML")
    expect("'if' (If)" in err, "names the node YAML cannot hold", err)
    for args in (["-o", tmp("out.txt")], ["-o", tmp("o.yaml"), "--external-data"],
                 ["-o", out, "--external-threshold", "5"], [],
                 ["-o", out, "--external-data", "--external-threshold", "-1"], ["-o"],
                 ["-o", out, "--bogus"]):
        before = set(os.listdir(cgtest.TMP))
        _, err = expect_exit(["convert", seed_model(), *args], 2)
        expect(err.startswith("convgraph convert: ") and "usage: convgraph convert" in err,
               f"{args}: usage error", err)
        expect(set(os.listdir(cgtest.TMP)) == before, f"{args}: nothing written")
    out_text, _ = expect_exit(["convert", "--help"], 0)
    expect(out_text.startswith("usage: convgraph convert IN -o OUT"), "help", out_text)
    expect(max(len(l) for l in out_text.splitlines()) <= 80, "help fits 80 columns", out_text)
    expect(expect_exit(["help", "convert"], 0)[0] == out_text, "help convert == convert --help")
    expect("convert IN -o OUT" in expect_exit(["--help"], 0)[0], "--help lists convert")


def case_testdata_sweep():
    """Every model of the ONNX test data, to ONNX with all passes and to YAML: each
    conversion succeeds with an output onnx.checker accepts, or is refused with
    one line and nothing written."""
    suites = ["node", "pytorch-converted", "pytorch-operator", "simple"]
    models = sorted(os.path.join(NODE_DATA, "..", s, d, "model.onnx") for s in suites
                    for d in os.listdir(os.path.join(NODE_DATA, "..", s)))
    passes = ["--explicit-pads", "--drop-identity", "--fold-constants", "--fold-batchnorm"]
    converted = refused = 0
    failed = []
    for model in models:
        for out, flags in ((tmp("o.onnx"), passes), (tmp("o.yaml"), [])):
            rc, _, err = run("convert", model, "-o", out, *flags)
            name = os.path.relpath(model, os.path.join(NODE_DATA, ".."))
            if rc == 2 and err.count("\n") == 1 and os.listdir(cgtest.TMP) == []:
                refused += 1
                continue
            try:
                expect(rc == 0, f"exit {rc}: {err.strip()}")
                if out.endswith(".onnx"):
                    onnx.checker.check_model(out, full_check=True)
                converted += 1
            except (SystemExit, Exception) as e:
                failed.append(f"{name} -> {os.path.basename(out)}: {str(e)[:200]}")
            shutil.rmtree(cgtest.TMP)
            os.mkdir(cgtest.TMP)
    for line in failed:
        print(f"FAIL {line}")
    print(f"{converted} converted, {refused} refused with one line, {len(failed)} failed")
    expect(not failed and converted > 2000, "every conversion is valid or cleanly refused")


if __name__ == "__main__":
    cgtest.main(globals(), extra_args=["NPM_PREFIX"], tmp_prefix="cg-convert-")
