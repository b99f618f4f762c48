"""End-to-end tests of `convgraph dot`.

usage: dot_tests.py CONVGRAPH SOURCE_DIR CASE

Each CASE is one ctest (tests/dot.cmake). Graphviz's `dot` is the judge of the
syntax: `dot -Tjson` gives back the labels it parsed, `dot -Tsvg` must accept
every graph the ONNX test data yields.
"""
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys

from onnx import TensorProto, helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import cgtest  # noqa: E402
from cgtest import expect, expect_exit, expect_one_line, save, seed_model, tmp  # noqa: E402


TESTDATA = "/usr/share/libonnx-testdata/data"
SUITES = ["node", "pytorch-converted", "pytorch-operator", "simple"]
BATCH = 100  # graphs per `dot` process: one process per graph would take minutes


def graphviz(fmt, dot_text):
    p = subprocess.run(["dot", f"-T{fmt}"], input=dot_text, capture_output=True, text=True,
                       timeout=60)
    expect(p.returncode == 0 and not p.stderr, f"dot -T{fmt} accepts the output",
           p.stderr + dot_text)
    return p.stdout


def unescape(label):
    """A label as `dot -Tjson` reports it (escString) -> the text it shows."""
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), label)


def parsed_labels(dot_text):
    """{object name: shown label}, [(tail name, head name, shown label)]."""
    d = json.loads(graphviz("json", dot_text))
    objects = d.get("objects", [])
    names = {o["_gvid"]: o["name"] for o in objects}
    nodes = {o["name"]: unescape(o.get("label", "")) for o in objects}
    edges = [(names[e["tail"]], names[e["head"]], unescape(e.get("label", "")))
             for e in d.get("edges", [])]
    return nodes, edges


def label_of(nodes, first_line):
    found = [label for label in nodes.values() if label.split("\n")[0] == first_line]
    expect(len(found) == 1, f"one box whose label starts with {first_line!r}", repr(nodes))
    return found[0]


def case_seed_labels():
    out, _ = expect_exit(["dot", seed_model()], 0)
    expect("rankdir=TB" in out, "top to bottom", out)
    nodes, edges = parsed_labels(out)
    same = label_of(nodes, "conv_same").split("\n")
    expect(same[1] == "Conv 4x4 s2 SAME_UPPER pads 1,1,1,1", "SAME conv summary", repr(same))
    expect(same[2:] == ["w_same [6,3,4,4]", "b_same [6]"], "initializers in the label", repr(same))
    valid = label_of(nodes, "conv_valid").split("\n")
    expect(valid[1] == "Conv 4x4 s2 VALID pads 0,0,0,0", "VALID conv summary", repr(valid))
    expect(not any(label.startswith(("w_", "b_")) for label in nodes.values()),
           "initializers are not boxes of their own", repr(nodes))
    expect(label_of(nodes, "x") == "x\nfloat32[1,3,64,64]", "input box", repr(nodes))
    expect(label_of(nodes, "y_same") == "y_same\nfloat32[1,6,32,32]", "output box", repr(nodes))
    shapes = sorted(label for _, _, label in edges)
    expect(shapes == ["[1,3,64,64]", "[1,3,64,64]", "[1,6,31,31]", "[1,6,32,32]"],
           "edges carry shapes", repr(edges))
    styles = re.findall(r'^  "([io])\d+" \[shape=(\w+) style=filled fillcolor="(#\w+)"', out, re.M)
    expect(len({s for s in styles if s[0] == "i"}) == 1 and len(styles) == 3,
           "inputs and outputs drawn", out)
    expect({s[1:] for s in styles if s[0] == "i"}.isdisjoint({s[1:] for s in styles if s[0] == "o"}),
           "inputs and outputs look different", out)


def case_pins_change_pads():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, "H", "W"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    pool = helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[3, 3],
                            strides=[2, 2], auto_pad="SAME_LOWER")
    path = save(cgtest.graph_model([pool], [x], [y]), "pool.onnx")
    nodes, _ = parsed_labels(expect_exit(["dot", path], 0)[0])
    expect(label_of(nodes, "pool").split("\n")[1] == "MaxPool 3x3 s2 SAME_LOWER pads ?,?,?,?",
           "symbolic H and W leave the pads unknown", repr(nodes))
    nodes, _ = parsed_labels(expect_exit(["dot", path, "--input-shape", "x:1,1,6,5"], 0)[0])
    expect(label_of(nodes, "pool").split("\n")[1] == "MaxPool 3x3 s2 SAME_LOWER pads 1,1,0,1",
           "pinned 6x5: the odd pixel goes to the begin", repr(nodes))


def case_inference_problem_still_drawn():
    w = helper.make_tensor("w", TensorProto.FLOAT, [2, 4, 1, 1], [0.0] * 8)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="c"),
         helper.make_node("Relu", ["y"], ["z"], name="r")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 2, 4, 4])], initializer=[w])
    path = save(cgtest.model(graph), "channels.onnx")
    out, err = expect_exit(["dot", path], 0)
    expect(err.count("\n") == 1 and "3 channels but W expects 4" in err, "a one-line note", err)
    nodes, edges = parsed_labels(out)
    expect(("n0", "n1", "?") in edges, "the shape past the problem shows '?'", repr(edges))


NASTY_INPUT = 'in:put/"x"\\ 1\nline2'
NASTY_WEIGHT = 'w:/"q"\\'
NASTY_OUTPUT = 'out/"y":\nz'
NASTY_NODE = 'conv/1:"a"\\b\nc'


def nasty_model():
    w = helper.make_tensor(NASTY_WEIGHT, TensorProto.FLOAT, [2, 1, 3, 3], [0.5] * 18)
    conv = helper.make_node("Conv", [NASTY_INPUT, NASTY_WEIGHT], [NASTY_OUTPUT], name=NASTY_NODE,
                            kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER")
    relu = helper.make_node("LeakyRelu", [NASTY_OUTPUT], ["r"], name="a\tb\x01{}<>", alpha=0.5)
    # Past Graphviz's 16384-byte limit on a quoted string, and many initializers.
    addends = [helper.make_tensor(f"c{i}", TensorProto.FLOAT, [1], [1.0]) for i in range(10)]
    total = helper.make_node("Sum", ["r"] + [c.name for c in addends], ["n" * 20000], name="sum")
    graph = helper.make_graph(
        [conv, relu, total], 'g "name"\\ {x}',
        [helper.make_tensor_value_info(NASTY_INPUT, TensorProto.FLOAT, [1, 1, 5, 6])],
        [helper.make_tensor_value_info("n" * 20000, TensorProto.FLOAT, [1, 2, 3, 3])],
        initializer=[w] + addends)
    return save(cgtest.model(graph), "nasty.onnx", check=True)


def case_nasty_names_quoted():
    out, _ = expect_exit(["dot", nasty_model()], 0)
    nodes, edges = parsed_labels(out)
    expect(label_of(nodes, "in:put/\"x\"\\ 1") == NASTY_INPUT + "\nfloat32[1,1,5,6]",
           "input name with : / \" \\ and a newline", repr(nodes))
    conv = label_of(nodes, 'conv/1:"a"\\b')
    expect(conv == NASTY_NODE + "\nConv 3x3 s2 SAME_UPPER pads 1,0,1,1\n" + NASTY_WEIGHT +
           " [2,1,3,3]", "node and initializer names", repr(conv))
    # Control characters other than newline cannot be shown; they become '?'.
    expect(label_of(nodes, "a?b?{}<>") == "a?b?{}<>\nLeakyRelu alpha=0.5", "control bytes",
           repr(nodes))
    long_label = [label for label in nodes.values() if label.startswith("nnnn")]
    expect(len(long_label) == 1 and long_label[0].endswith("...") and
           len(long_label[0]) < 16384, "a name too long for Graphviz is cut", repr(long_label))
    expect(len(edges) == 4, "x -> conv -> relu -> sum -> nnn...", repr(edges))
    summed = label_of(nodes, "sum").split("\n")
    expect(summed[2:] == [f"c{i} [1]" for i in range(8)] + ["(2 more initializers)"],
           "the first 8 initializers are listed", repr(summed))
    svg = graphviz("svg", out)
    expect("in:put/&quot;x&quot;\\ 1" in svg and "line2" in svg, "names shown in the SVG", svg)


def case_output_files():
    for name in ["g.dot", "g.gv"]:
        path = tmp(name)
        out, _ = expect_exit(["dot", seed_model(), "-o", path], 0)
        expect(out == "", "nothing on stdout with -o", out)
        stdout_text, _ = expect_exit(["dot", seed_model()], 0)
        expect(open(path).read() == stdout_text, f"{name} holds the DOT text")
    svg_path = tmp("g.svg")
    expect_exit(["dot", seed_model(), "--output", svg_path], 0)
    svg = open(svg_path).read()
    expect("<svg" in svg and "conv_same" in svg, "an SVG with the graph", svg)
    png_path = tmp("g.png")
    expect_exit(["dot", seed_model(), f"--output={png_path}"], 0)
    with open(png_path, "rb") as f:
        expect(f.read(8) == b"\x89PNG\r\n\x1a\n", "a PNG file")
    expect(sorted(os.listdir(cgtest.TMP)) == ["g.dot", "g.gv", "g.png", "g.svg"],
           "no temporary files left", repr(os.listdir(cgtest.TMP)))


def expect_one_line_error(args, what, env=None):
    _, err = expect_exit(args, 2, env=env)
    expect_one_line(err, what)
    return err


def case_errors():
    svg_path = tmp("out.svg")
    # No Graphviz on PATH: a clear line, exit 2, no file.
    err = expect_one_line_error(["dot", seed_model(), "-o", svg_path], "missing dot",
                                env={"PATH": cgtest.TMP})
    expect("graphviz" in err and "not installed" in err, "says dot is missing", err)
    # A failing Graphviz: its first complaint in our one line, its partial file gone.
    bin_dir = tmp("bin")
    os.mkdir(bin_dir)
    with open(os.path.join(bin_dir, "dot"), "w") as f:
        f.write('#!/bin/sh\necho partial > "$3"\necho "Error: boom" >&2\necho more >&2\nexit 3\n')
    os.chmod(os.path.join(bin_dir, "dot"), 0o755)
    err = expect_one_line_error(["dot", seed_model(), "-o", svg_path], "failing dot",
                                env={"PATH": bin_dir})
    expect("`dot -Tsvg` failed (exit 3): Error: boom" in err, "dot's complaint", err)
    expect(os.listdir(cgtest.TMP) == ["bin"], "no partial file", repr(os.listdir(cgtest.TMP)))
    shutil.rmtree(bin_dir)
    expect_one_line_error(["dot", tmp("missing.onnx")], "missing model")
    bad = tmp("bad.onnx")
    with open(bad, "wb") as f:
        f.write(b"\x08\x07\x12\xff\xff")
    expect_one_line_error(["dot", bad, "-o", svg_path], "corrupt model")
    _, err = expect_exit(["dot", seed_model(), "-o", tmp("out.pdf")], 2)
    expect(err.startswith("convgraph dot: -o FILE must end in .dot, .gv, .svg or .png"),
           "unknown extension", err)
    _, err = expect_exit(["dot", seed_model(), "-o"], 2)
    expect(err.startswith("convgraph dot: -o needs a FILE"), "-o without FILE", err)
    _, err = expect_exit(["dot", seed_model(), "-o", "a.dot", "--output=b.dot"], 2)
    expect(err.startswith("convgraph dot: one output only"), "two outputs", err)
    expect_exit(["dot", seed_model(), "--input-shape", "nope:1,2"], 2)
    expect(os.listdir(cgtest.TMP) == ["bad.onnx"], "no output written", repr(os.listdir(cgtest.TMP)))
    out, _ = expect_exit(["dot", "--help"], 0)
    expect(out.startswith("usage: convgraph dot MODEL"), "help", out)
    expect(max(len(l) for l in out.splitlines()) <= 80, "help fits 80 columns", out)
    expect(expect_exit(["help", "dot"], 0)[0] == out, "help dot == dot --help")
    expect("dot MODEL" in expect_exit(["--help"], 0)[0], "--help lists dot")


def dot_text(model):
    """convgraph's DOT for a test model, or None when convgraph cannot load it."""
    p = subprocess.run([cgtest.CONVGRAPH, "dot", model], capture_output=True, text=True, timeout=60)
    if p.returncode == 2 and p.stderr.count("\n") == 1 and not p.stdout:
        return None
    if p.returncode != 0:
        return f"convgraph exit {p.returncode}: {p.stderr}"
    return p.stdout


def graphviz_accepts(texts):
    """True when `dot -Tsvg` parses and lays out all the graphs, in one process."""
    p = subprocess.run(["dot", "-Tsvg", "-o", os.devnull], input="".join(texts),
                       capture_output=True, text=True, timeout=300)
    return p.returncode == 0 and not p.stderr


def case_testdata_parses():
    models = sorted(os.path.join(TESTDATA, suite, d, "model.onnx") for suite in SUITES
                    for d in os.listdir(os.path.join(TESTDATA, suite)))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        texts = list(pool.map(dot_text, models))
    loaded = [(m, t) for m, t in zip(models, texts) if t is not None]
    batches = [loaded[i:i + BATCH] for i in range(0, len(loaded), BATCH)]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        verdicts = list(pool.map(lambda b: graphviz_accepts([t for _, t in b]), batches))
    failed = []
    for batch, ok in zip(batches, verdicts):
        if not ok:  # find the culprits one by one
            failed += [m for m, t in batch if t.startswith("convgraph exit") or
                       not graphviz_accepts([t])]
    for m in failed:
        print(f"FAIL {m}")
    print(f"{len(loaded) - len(failed)} passed, {len(failed)} failed "
          f"({len(models) - len(loaded)} models convgraph cannot load)")
    expect(not failed, "every DOT output parses")
    expect(len(loaded) > 900, f"most test models load ({len(loaded)} of {len(models)})")


if __name__ == "__main__":
    cgtest.main(globals(), tmp_prefix="cg-dot-")
