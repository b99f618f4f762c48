"""End-to-end tests of `convgraph run` and `convgraph conform`.

usage: run_cli_tests.py CONVGRAPH SOURCE_DIR CASE

Each CASE is one ctest (tests/run_cli.cmake). Input fixtures (.npy, .pb, broken
files) are made here at test time with numpy and onnx in a temporary folder.
"""
import os
import re
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import cgtest  # noqa: E402
from cgtest import NODE_DATA, expect, expect_exit, run, save, tmp  # noqa: E402


def small_cnn():
    return os.path.join(cgtest.SOURCE, "models", "small_cnn.yaml")


def backend_test(name):
    return os.path.join(NODE_DATA, name)


def read_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t


def save_npy(name, array):
    path = tmp(name)
    np.save(path, array)
    return path


def output_line(out, name):
    """The summary line of output NAME."""
    for line in out.splitlines():
        if line.startswith(f"output {name}  "):
            return line
    expect(False, f"a summary line for output {name}", out)


# ---- running ----------------------------------------------------------------

def case_small_cnn_random():
    """Static-shaped after --input-shape; random input; outputs are softmax rows."""
    out_dir = tmp("out")
    out, err = expect_exit(["run", small_cnn(), "--input-shape", "image:2,3,32,32",
                            "--output-dir", out_dir], 0)
    expect(err == "", "nothing on stderr", err)
    expect("input  image  float32[2,3,32,32]  random uniform in [-1, 1], seed 0" in out,
           "the input line says where the data came from", out)
    line = output_line(out, "probs")
    expect("float32[2,10]" in line and " min " in line and " max " in line and " mean " in line,
           "dtype, shape, min / max / mean", out)
    probs = np.load(os.path.join(out_dir, "probs.npy"))
    expect(probs.shape == (2, 10) and probs.dtype == np.float32, f"probs.npy is {probs.shape}")
    expect(np.allclose(probs.sum(axis=1), 1, atol=1e-5) and (probs >= 0).all(),
           f"softmax rows sum to 1: {probs.sum(axis=1)}")
    mean = float(re.search(r" mean (\S+)", line).group(1))
    expect(abs(mean - probs.mean()) < 1e-5, f"printed mean {mean} vs {probs.mean()}", out)


def softmax_model(k=10):
    """x[1,K] -> Softmax -> probs[1,K]: continuous outputs of random inputs."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, k])
    y = helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, k])
    node = helper.make_node("Softmax", ["x"], ["probs"], axis=1)
    return save(cgtest.graph_model([node], [x], [y]), "softmax.onnx")


def case_seeds_are_reproducible():
    """The same seed gives the same numbers; another seed other numbers."""
    model = softmax_model(1000)

    def probs(*extra):
        out_dir = tmp("seed%d" % len(os.listdir(cgtest.TMP)))
        expect_exit(["run", model, "--output-dir", out_dir, *extra], 0)
        return np.load(os.path.join(out_dir, "probs.npy"))
    a, b = probs(), probs("--input", "x:random")
    c, d = probs("--input", "x:random:7"), probs("--input", "x:random:7")
    expect((a == b).all(), "default seed 0 == x:random")
    expect((c == d).all(), "seed 7 twice gives the same output")
    expect(not (a == c).all(), "seed 7 differs from seed 0")
    expect(len(np.unique(a)) > 900, "random inputs are not constant")


def case_top5():
    """A [1,K] output lists its 5 largest values, largest first."""
    out_dir = tmp("out")
    out, _ = expect_exit(["run", softmax_model(), "--input", "x:random:3",
                          "--output-dir", out_dir], 0)
    probs = np.load(os.path.join(out_dir, "probs.npy"))[0]
    m = re.search(r"^ +top-5((?:  \d+: \S+){5})$", out, re.M)
    expect(m, "a top-5 line", out)
    got = [int(i) for i in re.findall(r"(\d+): ", m.group(1))]
    vals = [float(v) for v in re.findall(r": (\S+)", m.group(1))]
    want = sorted(range(10), key=lambda i: (-probs[i], i))[:5]
    expect(got == want, f"top-5 indices {got}, wanted {want}", out)
    expect(np.allclose(vals, probs[want], rtol=1e-5), f"top-5 values {vals}", out)


def case_symbolic_dim_needs_pin():
    """small_cnn's batch is N: without --input-shape there is no shape to make up."""
    out_dir = tmp("out")
    _, err = expect_exit(["run", small_cnn(), "--output-dir", out_dir], 2)
    expect(len(err.splitlines()) == 1 and "'image'" in err and "--input-shape" in err,
           "one line naming the input and suggesting --input-shape", err)
    expect(not os.path.exists(out_dir), "no output folder made")


def backend_inputs(test):
    """--input NAME=FILE for each input_K.pb of data set 0, by the model's input names."""
    model = onnx.load(os.path.join(backend_test(test), "model.onnx"))
    inits = {i.name for i in model.graph.initializer}
    names = [i.name for i in model.graph.input if i.name not in inits]
    data = os.path.join(backend_test(test), "test_data_set_0")
    args = []
    for k, name in enumerate(names):
        args += ["--input", f"{name}={data}/input_{k}.pb"]
    outputs = [(o.name, os.path.join(data, f"output_{k}.pb"))
               for k, o in enumerate(model.graph.output)]
    return args, outputs


def check_backend(test, fmt, kernels=None):
    args, outputs = backend_inputs(test)
    out_dir = tmp(f"{test}_{fmt}_{kernels}/nested/dir")  # created, parents included
    extra = ["--format", fmt] if fmt != "npy" else []
    extra += ["--kernels", kernels] if kernels else []
    out, _ = expect_exit(["run", backend_test(test) + "/model.onnx", *args,
                          "--output-dir", out_dir, *extra], 0)
    for name, ref_path in outputs:
        ref = numpy_helper.to_array(read_pb(ref_path))
        path = os.path.join(out_dir, f"{name}.{fmt}")
        expect(os.path.exists(path), f"{path} written", out)
        if fmt == "pb":
            proto = read_pb(path)
            expect(proto.name == name, f"the .pb names the tensor: '{proto.name}'")
            got = numpy_helper.to_array(proto)
        else:
            got = np.load(path)
        expect(got.dtype == ref.dtype and got.shape == ref.shape,
               f"{name}: {got.dtype}{got.shape} vs {ref.dtype}{ref.shape}")
        expect(np.allclose(got, ref, atol=1e-4, rtol=1e-3), f"{name}: values match output_0.pb")
        expect(f"wrote {path}" in out, f"says it wrote {path}", out)


def case_backend_npy():
    """--input NAME=input_K.pb for a model with two inputs (x and W); compare .npy."""
    check_backend("test_conv_with_strides_padding", "npy")
    check_backend("test_conv_with_strides_padding", "npy", "reference")
    check_backend("test_conv_with_strides_padding", "npy", "fast")
    check_backend("test_relu", "npy")


def case_backend_pb():
    """--format pb writes ONNX TensorProtos that name the tensor."""
    check_backend("test_conv_with_strides_padding", "pb")


def case_npy_input():
    """A .npy input gives the same result as the .pb holding the same numbers."""
    data = os.path.join(backend_test("test_relu"), "test_data_set_0")
    x = numpy_helper.to_array(read_pb(data + "/input_0.pb"))
    out_dir = tmp("out")
    expect_exit(["run", backend_test("test_relu") + "/model.onnx", "--input",
                 "x=" + save_npy("x.npy", x), "--output-dir", out_dir], 0)
    ref = numpy_helper.to_array(read_pb(data + "/output_0.pb"))
    expect(np.array_equal(np.load(os.path.join(out_dir, "y.npy")), ref), "Relu of the .npy")


def case_output_names_sanitized():
    """Output names with '/' or ':' become file names with '_'."""
    x = helper.make_tensor_value_info("in:0", TensorProto.FLOAT, [1, 4])
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 4])
            for n in ("block/relu:0", "../up")]
    nodes = [helper.make_node("Relu", ["in:0"], ["block/relu:0"]),
             helper.make_node("Neg", ["in:0"], ["../up"])]
    path = save(cgtest.graph_model(nodes, [x], outs), "names.onnx")
    out_dir = tmp("names_out")
    rc, out, err = run("run", path, "--output-dir", out_dir)
    if rc == 1 and "no kernel for Neg" in err:  # Neg's kernel may not be there yet
        nodes[1] = helper.make_node("Relu", ["in:0"], ["../up"])
        onnx.save(cgtest.graph_model(nodes, [x], outs), path)
        rc, out, err = run("run", path, "--output-dir", out_dir)
    expect(rc == 0, f"exit {rc}", out + err)
    files = sorted(os.listdir(out_dir))
    expect(files == ["_._up.npy", "block_relu_0.npy"], f"files {files}", out)


def case_help_and_usage():
    """`help run` == `run --help`, within 80 columns; usage errors exit 2 with the help."""
    for cmd, synopsis in (("run", "run MODEL"), ("conform", "conform DIR")):
        via_help, _ = expect_exit(["help", cmd], 0)
        via_flag, _ = expect_exit([cmd, "--help"], 0)
        expect(via_help == via_flag, f"help {cmd} == {cmd} --help", via_help + via_flag)
        expect(via_help.startswith(f"usage: convgraph {synopsis}"), f"{cmd} usage", via_help)
        expect(max(len(l) for l in via_help.splitlines()) <= 80, f"{cmd} help fits 80 columns")
    main_help, _ = expect_exit(["--help"], 0)
    expect("  run MODEL" in main_help and "  conform DIR" in main_help, "--help lists both",
           main_help)
    model = backend_test("test_relu") + "/model.onnx"
    for args in (["run"], ["run", model, "--format", "xml"], ["run", model, "--input"],
                 ["run", model, "--output-dir", ""], ["run", model, "--json"],
                 ["run", model, "--kernels", "slow"],
                 ["run", model, model]):
        _, err = expect_exit(args, 2)
        expect("usage: convgraph run MODEL" in err, f"{args}: the reason, then the help", err)


# ---- bad input: exit 2, one line naming the file or input, nothing written ----

def expect_refused(args, *needles):
    """Exit 2, exactly one line on stderr holding each needle, out dir left empty."""
    out_dir = tmp("refused_out")
    os.makedirs(out_dir, exist_ok=True)
    new_dir = tmp("refused_new/sub")
    for d in (out_dir, new_dir):
        rc, out, err = run(*args, "--output-dir", d)
        expect(rc == 2, f"{args}: exit {rc}, wanted 2", out + err)
        lines = err.splitlines()
        expect(len(lines) == 1, f"{args}: one line on stderr, got {len(lines)}", err)
        for needle in needles:
            expect(needle in err, f"{args}: stderr names {needle!r}", err)
        expect(os.listdir(out_dir) == [], f"{args}: output folder left empty", err)
        expect(not os.path.exists(tmp("refused_new")), f"{args}: no folder created", err)


def image_args(path, *pin):
    return ["run", small_cnn(), "--input", "image=" + path, *pin]


def good_image():
    return np.random.default_rng(0).uniform(-1, 1, (1, 3, 32, 32)).astype(np.float32)


def case_bad_missing_file():
    path = tmp("nope.npy")
    expect_refused(image_args(path), path, "No such file")


def case_bad_wrong_shape():
    path = save_npy("small.npy", good_image()[:, :, :16, :16])
    expect_refused(image_args(path), path, "'image'", "[N,3,32,32]", "[1,3,16,16]")
    # a pinned batch size counts too
    path = save_npy("batch2.npy", np.zeros((2, 3, 32, 32), np.float32))
    expect_refused(image_args(path, "--input-shape", "image:1,3,32,32"), path, "[1,3,32,32]",
                   "[2,3,32,32]")


def case_bad_wrong_dtype():
    path = save_npy("f64.npy", good_image().astype(np.float64))
    expect_refused(image_args(path), path, "'image'", "float32", "float64")


def case_bad_truncated_npy():
    path = save_npy("cut.npy", good_image())
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[:len(data) - 100])
    expect_refused(image_args(path), path)
    with open(path, "wb") as f:
        f.write(data[:9])  # inside the header
    expect_refused(image_args(path), path)


def case_bad_truncated_pb():
    src = os.path.join(backend_test("test_relu"), "test_data_set_0", "input_0.pb")
    with open(src, "rb") as f:
        data = f.read()
    path = tmp("cut.pb")
    with open(path, "wb") as f:
        f.write(data[:len(data) // 2])
    expect_refused(["run", backend_test("test_relu") + "/model.onnx", "--input", "x=" + path],
                   path)


def case_bad_malformed_npy_header():
    path = save_npy("bad_header.npy", good_image())
    with open(path, "rb") as f:
        data = bytearray(f.read())
    header = data.find(b"'shape'")
    data[header:header + 7] = b"'shope'"
    with open(path, "wb") as f:
        f.write(data)
    expect_refused(image_args(path), path, "header")
    with open(path, "wb") as f:
        f.write(b"not an npy file at all, just text\n")
    expect_refused(image_args(path), path)


def case_bad_input_names():
    """Unknown input name, an initializer's name, twice the same input, a bad spec,
    an unknown file type."""
    good = save_npy("good.npy", good_image())
    expect_refused(["run", small_cnn(), "--input", "picture=" + good], "'picture'")
    expect_refused(["run", small_cnn(), "--input", "conv1_w=" + good], "'conv1_w'", "initializer")
    expect_refused(["run", small_cnn(), "--input", "image=" + good, "--input",
                    "image:random:3"], "'image'", "twice")
    expect_refused(["run", small_cnn(), "--input", "image"], "NAME=FILE")
    expect_refused(["run", small_cnn(), "--input", "image:random:x1"], "NAME=FILE")
    txt = tmp("image.txt")
    open(txt, "w").close()
    expect_refused(["run", small_cnn(), "--input", "image=" + txt], txt, ".npy or .pb")


# ---- conform ----------------------------------------------------------------

def make_test_folder(name, model, x, y):
    """A backend test folder NAME: model.onnx and test_data_set_0 with x and y."""
    folder = tmp(os.path.join("suite", name))
    os.makedirs(os.path.join(folder, "test_data_set_0"))
    onnx.save(model, os.path.join(folder, "model.onnx"))
    for k, (kind, array) in enumerate([("input", x), ("output", y)]):
        path = os.path.join(folder, "test_data_set_0", f"{kind}_0.pb")
        with open(path, "wb") as f:
            f.write(numpy_helper.from_array(array).SerializeToString())
    return folder


def relu_model(op="Relu", domain=""):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
    node = helper.make_node(op, ["x"], ["y"], domain=domain)
    graph = helper.make_graph([node], "g", [x], [y])
    return cgtest.model(graph, extra_opsets=[(domain, 1)] if domain else [])


def make_suite():
    """good: passes; off_by_1e-3: Relu's output shifted by 1e-3; custom: no kernel."""
    x = np.array([[-1, 0, 1], [2, -3, 4]], np.float32)
    y = np.maximum(x, 0)
    make_test_folder("good", relu_model(), x, y)
    make_test_folder("off_by_1e-3", relu_model(), x, y + np.float32(1e-3))
    make_test_folder("custom", relu_model("Frobnicate", "com.example"), x, y)
    return tmp("suite")


def case_conform_verdicts():
    """FAIL and SKIP lines always, PASS lines with -v, the summary, exit 1 on a FAIL."""
    suite = make_suite()
    out, _ = expect_exit(["conform", suite], 1)
    lines = out.splitlines()
    expect(len(lines) == 3, "FAIL, SKIP and the summary, no PASS without -v", out)
    expect(lines[0].startswith("SKIP custom: ") and "Frobnicate" in lines[0], "SKIP names the op",
           out)
    expect(lines[1].startswith("FAIL off_by_1e-3: test_data_set_0: output 'y'"),
           "FAIL says which data set and output", out)
    expect(lines[2] == "1 passed, 1 failed, 1 skipped", "summary", out)
    out, _ = expect_exit(["conform", "-v", suite], 1)
    expect("PASS good (1 data set)" in out.splitlines(), "-v prints PASS lines", out)


def case_conform_tolerances_and_filter():
    suite = make_suite()
    out, _ = expect_exit(["conform", "--atol", "2e-3", suite], 0)
    expect(out.splitlines()[-1] == "2 passed, 0 failed, 1 skipped", "atol 2e-3 admits 1e-3", out)
    expect_exit(["conform", "--atol=0", "--rtol=0.01", suite], 1)  # rtol does not help at 0
    out, _ = expect_exit(["conform", "-v", "--filter", "^(good|off)", "--atol", "2e-3", suite], 0)
    expect(out.splitlines()[-1] == "2 passed, 0 failed, 0 skipped", "--filter is a regex", out)
    out, _ = expect_exit(["conform", "-v", suite + "/good/"], 0)
    expect(out == "PASS good (1 data set)\n1 passed, 0 failed, 0 skipped\n",
           "a test folder itself, named by its last component", out)
    out, _ = expect_exit(["conform", "-v", os.path.join(NODE_DATA, "test_relu"), suite + "/good"], 0)
    expect(out.splitlines()[-1] == "2 passed, 0 failed, 0 skipped", "several folders", out)


def case_conform_usage():
    suite = make_suite()
    for args in (["conform"], ["conform", "--atol", "-1", suite], ["conform", "--rtol", "x", suite],
                 ["conform", "--filter", "(", suite], ["conform", "--bogus", suite]):
        _, err = expect_exit(args, 2)
        expect("usage: convgraph conform" in err, f"{args}: usage error with help", err)
    missing = tmp("no_such_folder")
    out, err = expect_exit(["conform", missing], 2)
    expect(err.splitlines() == [f"{missing}: cannot open: No such file or directory"] and not out,
           "a missing DIR: one line", err)


if __name__ == "__main__":
    cgtest.main(globals(), tmp_prefix="cg_run_cli_")
