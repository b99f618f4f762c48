"""End-to-end tests of the `convgraph` command line.

usage: cli_tests.py CONVGRAPH SOURCE_DIR CASE

Each CASE is one ctest (tests/cli.cmake). Models that the ONNX test data lacks
(contradicting value_info, symbolic dims, bad channels, unsupported ops) are
made here with onnx.helper in a temporary folder.
"""
import json
import os
import re
import sys

from onnx import TensorProto, helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import cgtest  # noqa: E402
from cgtest import NODE_DATA, expect, expect_exit, run, save, seed_model, tmp  # noqa: E402


def node_model(name):
    return os.path.join(NODE_DATA, name, "model.onnx")


def conv_model(x_dims, w_dims, y_declared=None, **attrs):
    """x -> Conv(w, initializer) -> y, y declared as y_declared when given."""
    w = helper.make_tensor("w", TensorProto.FLOAT, w_dims, [0.0] * _numel(w_dims))
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv1", **attrs)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, x_dims)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, y_declared)
    graph = helper.make_graph([node], "conv_graph", [x], [y], initializer=[w])
    return cgtest.model(graph)


def _numel(dims):
    n = 1
    for d in dims:
        n *= d
    return n


# ---- help and usage -------------------------------------------------------

def case_help():
    out, err = expect_exit(["--help"], 0)
    for needle in ("shapes MODEL", "check MODEL", "--input-shape", "--json", "--version"):
        expect(needle in out, f"--help mentions {needle}", out)
    expect(re.search(r"\bConv\(1,11[,)]", out), "--help lists Conv with its since-versions", out)
    expect("MaxPool(" in out and "Relu(" in out, "--help lists MaxPool and Relu", out)
    long_lines = [l for l in out.splitlines() if len(l) > 80]
    expect(not long_lines, f"--help fits 80 columns: {long_lines}", out)
    expect(run("-h")[1] == out, "-h prints the same help")
    out, _ = expect_exit(["--version"], 0)
    expect(out.startswith("convgraph 0."), "--version", out)


def case_help_subcommands():
    for cmd in ("shapes", "check"):
        via_help, _ = expect_exit(["help", cmd], 0)
        via_flag, _ = expect_exit([cmd, "--help"], 0)
        expect(via_help == via_flag, f"help {cmd} == {cmd} --help", via_help + via_flag)
        expect(via_help.startswith(f"usage: convgraph {cmd} MODEL"), f"{cmd} usage", via_help)
        expect(max(len(l) for l in via_help.splitlines()) <= 80, f"{cmd} help fits 80 columns")
    expect_exit(["help", "frobnicate"], 2)


def case_usage_errors():
    good = node_model("test_conv_with_strides_padding")
    bad_calls = [
        [],
        ["frobnicate"],
        ["--frobnicate"],
        ["shapes"],
        ["shapes", good, "--frobnicate"],
        ["shapes", good, good],
        ["shapes", good, "--input-shape"],
        ["shapes", good, "--input-shape", "x:1,a"],
        ["shapes", good, "--input-shape", "x:1,1,7,5", "--input-shape", "x:1,1,7,5"],
        ["check", good, "--json"],
        ["check"],
    ]
    for args in bad_calls:
        out, err = expect_exit(args, 2)
        expect(out == "", f"{args}: nothing on stdout", out)
        expect("usage: convgraph" in err, f"{args}: usage on stderr", err)


def relu_graph_model(nodes, name):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])
    model = cgtest.graph_model(nodes, [x], [y])
    return save(model, name)


def case_unreadable_models():
    garbage = tmp("garbage.onnx")
    with open(garbage, "wb") as f:
        f.write(b"\x0a\xff\xff\xff\xff\x0f definitely not protobuf")
    bad_yaml = tmp("bad.yaml")
    with open(bad_yaml, "w") as f:
        f.write("model: [unclosed\n")
    cycle = relu_graph_model([helper.make_node("Relu", ["x", "b"], ["a"], name="a"),
                              helper.make_node("Relu", ["a"], ["b"], name="b"),
                              helper.make_node("Relu", ["b"], ["y"], name="c")], "cycle.onnx")
    dangling = relu_graph_model([helper.make_node("Relu", ["nowhere"], ["y"], name="r")],
                                "dangling.onnx")
    missing = tmp("missing.onnx")
    for path in (missing, garbage, bad_yaml, cycle, dangling):
        for cmd in (["shapes", path], ["shapes", path, "--json"], ["check", path]):
            out, err = expect_exit(cmd, 2)
            expect(out == "", f"{cmd}: nothing on stdout", out)
            lines = err.splitlines()
            expect(len(lines) == 1 and path in lines[0], f"{cmd}: one stderr line naming the file", err)


def case_bad_pin_is_one_line():
    model = node_model("test_conv_with_strides_padding")
    for pin in ("nope:1,2", "x:1,1,7", "x:1,1,7,6"):
        out, err = expect_exit(["shapes", model, "--input-shape", pin], 2)
        expect(out == "" and len(err.splitlines()) == 1, f"pin {pin}: one stderr line", err)


# ---- shapes: text ---------------------------------------------------------

def case_seed_text():
    out, _ = expect_exit(["shapes", seed_model()], 0)
    for needle in ("[1,3,64,64]", "[1,6,32,32]", "[1,6,31,31]", "SAME_UPPER", "VALID",
                   "H: out=ceil(64/2)=32, total=max((32-1)*2+4-64,0)=2 -> 1 top + 1 bottom",
                   "pads H 1+1 W 1+1", "pads H 0+0 W 0+0"):
        expect(needle in out, f"seed_conv text has '{needle}'", out)
    expect(max(len(l) for l in out.splitlines()) <= 100, "report fits 100 columns", out)


def case_onnx_conv_text():
    out, _ = expect_exit(["shapes", node_model("test_conv_with_strides_padding")], 0)
    for needle in ("x[1,1,7,5], W[1,1,3,3] -> y[1,1,4,3]", "kernel 3x3  strides 2x2",
                   "auto_pad NOTSET", "pads H 1+1 W 1+1", "opset ai.onnx 11",
                   "H: out=floor((7+1+1-3)/2)+1=4, pads 1 top + 1 bottom (explicit)",
                   "inputs   x  float32[1,1,7,5]"):
        expect(needle in out, f"conv text has '{needle}'", out)


def case_onnx_pools_text():
    out, _ = expect_exit(["shapes", node_model("test_maxpool_2d_same_upper")], 0)
    for needle in ("x[1,3,32,32] -> y[1,3,32,32]", "auto_pad SAME_UPPER", "pads H 0+1 W 0+1",
                   "H: out=ceil(32/1)=32, total=max((32-1)*1+2-32,0)=1 -> 0 top + 1 bottom"):
        expect(needle in out, f"maxpool text has '{needle}'", out)
    out, _ = expect_exit(["shapes", node_model("test_averagepool_2d_same_lower")], 0)
    for needle in ("auto_pad SAME_LOWER", "pads H 1+0 W 1+0",
                   "W: out=ceil(32/1)=32, total=max((32-1)*1+2-32,0)=1 -> 1 left + 0 right"):
        expect(needle in out, f"averagepool text has '{needle}'", out)


def case_long_names_wrap_to_100_columns():
    """Exporter-style names: rows wrap inside the shapes column or move below."""
    act = "/features/features.1/conv/conv.0/conv.0.0/Conv_output_0"
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 16, 16])
    y = helper.make_tensor_value_info("out", TensorProto.FLOAT, None)
    w = helper.make_tensor("features.0.0.weight", TensorProto.FLOAT, [8, 3, 3, 3], [0.0] * 216)
    nodes = [helper.make_node("Conv", ["input", "features.0.0.weight"], [act],
                              name="/features/features.1/conv/conv.0/conv.0.0/Conv", pads=[1] * 4),
             helper.make_node("Relu", [act], ["out"], name="relu")]
    model = cgtest.graph_model(nodes, [x], [y], [w])
    out, _ = expect_exit(["shapes", save(model, "long_names.onnx")], 0)
    expect(max(len(l) for l in out.splitlines()) <= 100, "fits 100 columns", out)
    expect(f"\n    input[1,3,16,16], features.0.0.weight[8,3,3,3]\n    -> {act}[1,8,16,16]\n" in out,
           "a long node name moves the shapes below its row", out)
    relu = [l for l in out.splitlines() if l.startswith("relu ")]
    expect(len(relu) == 1 and relu[0].rstrip().endswith(" 0"), "relu row keeps its MACs", out)
    expect(f"-> out[1,8,16,16]" in out, "relu outputs on their own line", out)


def case_failed_inference_shows_what_was_inferred():
    model = conv_model([1, 3, 8, 8], [4, 2, 3, 3])
    model.graph.node.insert(0, helper.make_node("Relu", ["x"], ["r"], name="early"))
    path = save(model, "bad_channels.onnx")
    rc, out, err = run("shapes", path)
    expect(rc == 1, f"channel mismatch: exit {rc}, wanted 1", out + err)
    expect("conv1" in out and "x[1,3,8,8] -> r[1,3,8,8]" in out, "report printed", out)
    lines = err.splitlines()
    expect(len(lines) == 1 and "node 'conv1' (Conv)" in lines[0], "one error line naming conv1", err)
    rc, out, err = run("shapes", path, "--json")
    expect(rc == 1 and len(err.splitlines()) == 1, "--json: exit 1, one error line", out + err)
    nodes = json.loads(out)["nodes"]
    expect(nodes[0]["outputs"][0]["shape"] == [1, 3, 8, 8], "--json keeps what was inferred", out)
    expect(nodes[1]["outputs"][0]["shape"] is None, "--json: the failed node's output", out)


def case_unsupported_op_is_not_an_error():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    nodes = [helper.make_node("Relu", ["x"], ["a"], name="relu"),
             helper.make_node("NoSuchOp", ["a"], ["b"], name="mystery1"),
             helper.make_node("NoSuchOp", ["b"], ["y"], name="mystery2")]
    model = cgtest.graph_model(nodes, [x], [y])
    path = save(model, "unsupported.onnx")
    out, _ = expect_exit(["shapes", path], 0)
    expect("a[1,3,8,8] -> b?" in out, "unsupported output shown as ?", out)
    expect("note: 1 unsupported op type (outputs shown as ?): NoSuchOp:2" in out, "note", out)
    doc = json.loads(expect_exit(["shapes", path, "--json"], 0)[0])
    expect(doc["nodes"][1]["outputs"][0]["shape"] is None, "unknown rank is null", doc)
    expect(doc["nodes"][1]["outputs"][0]["dtype"] == "undefined", "unknown dtype", doc)
    expect(doc["nodes"][1]["macs"] is None and doc["macs"] is None, "unknown MACs are null", doc)
    out, _ = expect_exit(["check", path], 1)
    expect("NoSuchOp:2" in out, "check lists the unsupported op with its count", out)


# ---- shapes: JSON ---------------------------------------------------------

def case_seed_json():
    doc = json.loads(expect_exit(["shapes", seed_model(), "--json"], 0)[0])
    expect(doc["model"] == seed_model(), "model field", doc)
    expect(doc["inputs"] == [{"name": "x", "dtype": "float32", "shape": [1, 3, 64, 64]}],
           "inputs", doc)
    windowed = [n for n in doc["nodes"] if n["op"] == "Conv"]
    expect(len(windowed) == 2, "two convs", doc)
    same, valid = windowed
    expect(same["outputs"][0]["shape"] == [1, 6, 32, 32], "SAME conv output", same)
    expect(same["kernel"] == [4, 4] and same["strides"] == [2, 2] and
           same["dilations"] == [1, 1], "SAME conv window", same)
    expect(same["auto_pad"] == "SAME_UPPER" and same["pads"] == [1, 1, 1, 1], "SAME pads", same)
    expect(valid["outputs"][0]["shape"] == [1, 6, 31, 31], "VALID conv output", valid)
    expect(valid["auto_pad"] == "VALID" and valid["pads"] == [0, 0, 0, 0], "VALID pads", valid)
    expect(same["macs"] == 32 * 32 * 6 * 3 * 4 * 4, "SAME conv MACs", same)
    expect(doc["macs"] == sum(n["macs"] for n in doc["nodes"]), "total MACs", doc)


def case_onnx_json():
    doc = json.loads(expect_exit(["shapes", node_model("test_conv_with_strides_padding"),
                                  "--json"], 0)[0])
    expect(doc["opset"] == 11 and doc["graph"] == "test_conv_with_strides_padding", "header", doc)
    expect(doc["parameters"] == 0, "W is an input, not a parameter", doc)
    (node,) = doc["nodes"]
    expect(node["name"] == "" and node["op"] == "Conv", "unnamed node", node)
    expect([v["name"] for v in node["inputs"]] == ["x", "W"], "inputs", node)
    expect(node["outputs"] == [{"name": "y", "dtype": "float32", "shape": [1, 1, 4, 3]}],
           "outputs", node)
    expect(node["auto_pad"] == "NOTSET" and node["pads"] == [1, 1, 1, 1], "pads", node)
    expect(node["macs"] == 4 * 3 * 9, "MACs", node)


def case_symbolic_dims_and_pins():
    model = conv_model(["N", 3, "H", "W"], [8, 3, 3, 3], None,
                       auto_pad="SAME_UPPER", strides=[2, 2])
    path = save(model, "symbolic.onnx")
    doc = json.loads(expect_exit(["shapes", path, "--json"], 0)[0])
    (node,) = doc["nodes"]
    expect(node["outputs"][0]["shape"] == ["N", 8, "ceil(H/2)", "ceil(W/2)"], "symbolic", node)
    expect(node["pads"] == [None, None, None, None], "symbolic pads are null", node)
    expect(doc["macs"] is None, "MACs unknown with symbols", doc)
    out, _ = expect_exit(["shapes", path], 0)
    expect("MACs     ?" in out, "text shows MACs ?", out)
    pinned = ["--input-shape=x:1,3,65,64"]
    doc = json.loads(expect_exit(["shapes", path, "--json", *pinned], 0)[0])
    (node,) = doc["nodes"]
    expect(node["outputs"][0]["shape"] == [1, 8, 33, 32], "pinned output", node)
    expect(node["pads"] == [1, 0, 1, 1], "pinned pads: H 1+1, W 0+1", node)
    out, _ = expect_exit(["shapes", path, "--input-shape", "x:1,3,65,64"], 0)
    expect("pads H 1+1 W 0+1" in out, "pinned text pads", out)
    expect("MACs     228,096 (228 K)" in out, "pinned MACs: 33*32 outputs * 8 filters * 27", out)


def case_json_escapes_names():
    x = helper.make_tensor_value_info('in "quoted"\\path\n', TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y\u00e9", TensorProto.FLOAT, [2])
    node = helper.make_node("Relu", ['in "quoted"\\path\n'], ["y\u00e9"], name="tab\there")
    model = cgtest.graph_model([node], [x], [y])
    doc = json.loads(expect_exit(["shapes", save(model, "names.onnx"), "--json"], 0)[0])
    expect(doc["inputs"][0]["name"] == 'in "quoted"\\path\n', "escaped input name", doc)
    expect(doc["nodes"][0]["name"] == "tab\there", "escaped node name", doc)
    expect(doc["outputs"][0]["name"] == "y\u00e9", "UTF-8 kept", doc)
    # Malformed UTF-8 (0xff; 0xc0 0xaf, an overlong '/') patched into the bytes of a
    # name of the same length: each bad byte becomes U+FFFD, the JSON stays valid.
    model.graph.node[0].name = "BADUTF8"
    raw = model.SerializeToString().replace(b"BADUTF8", b"BAD\xff\xc0\xafX")
    path = tmp("bad_utf8.onnx")
    with open(path, "wb") as f:
        f.write(raw)
    rc, out, err = run("shapes", path, "--json")
    expect(rc == 0, f"malformed UTF-8 name: exit {rc}", err)
    expect(json.loads(out)["nodes"][0]["name"] == "BAD\ufffd\ufffd\ufffdX", "U+FFFD", out)


# ---- check ----------------------------------------------------------------

def case_check_exit_codes():
    good = save(conv_model([1, 3, 8, 8], [4, 3, 3, 3], [1, 4, 6, 6]), "good.onnx")
    out, _ = expect_exit(["check", good], 0)
    expect(out == f"{good}: valid (1 node, 1 input, 1 output)\n", "valid summary", out)
    out, _ = expect_exit(["check", node_model("test_maxpool_2d_same_upper")], 0)
    # y's value_info says 7 columns where the Conv makes 6
    contradicting = conv_model([1, 3, 8, 8], [4, 3, 3, 3], None)
    contradicting.graph.ClearField("output")
    contradicting.graph.node.append(helper.make_node("Relu", ["y"], ["z"], name="relu"))
    contradicting.graph.value_info.append(
        helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 6, 7]))
    contradicting.graph.output.append(
        helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 4, 6, 6]))
    path = save(contradicting, "contradicting.onnx")
    out, _ = expect_exit(["check", path], 1)
    expect(f"{path}: node 'conv1' (Conv): 'y' is declared float32[1,4,6,7] but inferred "
           "float32[1,4,6,6] (dim 3 differs)\n" in out, "value_info contradiction line", out)
    expect(out.endswith(f"{path}: 1 problem (2 nodes checked)\n"), "summary line", out)
    expect_exit(["check", tmp("missing.onnx")], 2)


def case_check_collects_every_problem():
    model = conv_model([1, 3, 8, 8], [4, 2, 3, 3])
    model.graph.node.append(helper.make_node("Conv", ["x", "w"], ["y2"], name="conv1"))
    model.graph.output.append(helper.make_tensor_value_info("y2", TensorProto.FLOAT, None))
    model.graph.output.append(helper.make_tensor_value_info("ghost", TensorProto.FLOAT, None))
    path = save(model, "many_problems.onnx")
    out, _ = expect_exit(["check", path], 1)
    lines = out.splitlines()
    expect(f"{path}: node 'conv1' (Conv): 2 nodes share this name" in lines, "duplicates", out)
    expect(f"{path}: graph output 'ghost' is not produced by any node" in lines, "ghost", out)
    conv_lines = [l for l in lines if l.startswith(f"{path}: node 'conv1' (Conv):") and "3" in l
                  and "share" not in l]
    expect(len(conv_lines) == 2, "both channel mismatches reported", out)
    expect(lines[-1] == f"{path}: 4 problems (2 nodes checked)", "summary", out)


def case_check_file_order():
    path = relu_graph_model([helper.make_node("Relu", ["h"], ["y"], name="second"),
                             helper.make_node("Relu", ["x"], ["h"], name="first")],
                            "unsorted.onnx")
    out, _ = expect_exit(["check", path], 1)
    expect("nodes are not in topological order in the file" in out, "file order", out)
    out, _ = expect_exit(["shapes", path], 0)
    expect("h[1,2] -> y[1,2]" in out, "shapes still works on the sorted graph", out)


if __name__ == "__main__":
    cgtest.main(globals(), tmp_prefix="cg-cli-")
