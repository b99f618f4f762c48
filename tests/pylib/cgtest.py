"""Helpers shared by the Python end-to-end suites (tests/cli, tests/run_cli,
tests/convert, tests/dot): running the convgraph CLI, failing a case with the
output that explains it, small ONNX models made with onnx.helper, and main(),
which runs the one case a ctest names.

A script puts this folder on sys.path from its own location, defines its
cases as functions case_<name>, and ends with cgtest.main(globals()). The
paths main() receives are read here as cgtest.CONVGRAPH, cgtest.SOURCE,
cgtest.TMP (a fresh temporary folder per case) and cgtest.ARGS[name].
"""
import os
import subprocess
import sys
import tempfile

import onnx
from onnx import helper

NODE_DATA = "/usr/share/libonnx-testdata/data/node"
CONVGRAPH = SOURCE = TMP = None
ARGS = {}


def run(*args, env=None):
    """Runs convgraph; returns (exit code, stdout, stderr)."""
    p = subprocess.run([CONVGRAPH, *args], capture_output=True, text=True, timeout=60, env=env)
    return p.returncode, p.stdout, p.stderr


def expect(cond, what, out=""):
    if not cond:
        sys.exit(f"FAIL: {what}\n--- output ---\n{out}")


def expect_exit(args, code, env=None):
    """Runs convgraph with args, which must exit with code; returns (stdout, stderr)."""
    rc, out, err = run(*args, env=env)
    expect(rc == code, f"{args}: exit {rc}, wanted {code}", out + err)
    return out, err


def expect_one_line(err, what):
    """An error report is exactly one line on stderr."""
    expect(err.count("\n") == 1, f"{what}: one line on stderr", err)


def tmp(*parts):
    """A path inside this case's temporary folder."""
    return os.path.join(TMP, *parts)


def seed_model():
    return os.path.join(SOURCE, "models", "seed_conv.yaml")


def model(graph, opset=13, extra_opsets=()):
    """A ModelProto of graph importing the default domain at opset (and the
    (domain, version) pairs of extra_opsets)."""
    opsets = [helper.make_opsetid("", opset)]
    opsets += [helper.make_opsetid(d, v) for d, v in extra_opsets]
    return helper.make_model(graph, opset_imports=opsets)


def graph_model(nodes, inputs, outputs, initializer=(), opset=13):
    """model() of a graph "g" made of these nodes and value infos."""
    return model(helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializer)),
                 opset)


def save(proto, name, check=False):
    """Saves a model under TMP (after onnx.checker when check); returns its path."""
    if check:
        onnx.checker.check_model(proto)
    path = tmp(name)
    onnx.save(proto, path)
    return path


def main(case_globals, extra_args=(), tmp_prefix="cg-test-"):
    """usage: SCRIPT CONVGRAPH SOURCE_DIR [EXTRA_ARGS...] CASE; runs case_CASE in
    a fresh temporary folder and prints "PASS CASE"."""
    global CONVGRAPH, SOURCE, TMP
    cases = {n[len("case_"):]: fn for n, fn in case_globals.items() if n.startswith("case_")}
    if len(sys.argv) != 4 + len(extra_args) or sys.argv[-1] not in cases:
        usage = " ".join(["CONVGRAPH", "SOURCE_DIR", *extra_args, "CASE"])
        sys.exit(f"usage: {os.path.basename(sys.argv[0])} {usage}\ncases: {' '.join(cases)}")
    CONVGRAPH, SOURCE, case = sys.argv[1], sys.argv[2], sys.argv[-1]
    ARGS.update(zip(extra_args, sys.argv[3:-1]))
    with tempfile.TemporaryDirectory(prefix=tmp_prefix) as TMP:
        cases[case]()
    print(f"PASS {case}")
