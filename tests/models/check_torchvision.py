"""Real architectures: every value's shape and dtype from `convgraph shapes --json`
must match onnx.shape_inference on torchvision exports.

A model exported with a dynamic batch axis N is checked three times: as is (where
onnx has N, convgraph must have N); pinned to batch 1 against what onnx infers for
its static twin, for the data-path values both exports share; and pinned against
convgraph's own symbolic result with N read as 1. The last two cover values onnx
cannot infer symbolically (Reshape fed by Shape arithmetic in shufflenet).

usage: check_torchvision.py CONVGRAPH MODELS_DIR
"""
import importlib.util
import os
import sys

# ctest reports this exit status as "skipped" (SKIP_RETURN_CODE in torchvision.cmake).
SKIPPED = 77
REQUIRED_MODULES = ("onnx", "torch", "torchvision")
MISSING = [m for m in REQUIRED_MODULES if importlib.util.find_spec(m) is None]
if MISSING:
    print("SKIP: python modules missing: %s (apt: python3-onnx python3-torch "
          "python3-torchvision)" % ", ".join(MISSING))
    sys.exit(SKIPPED)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import shape_oracle  # noqa: E402
import torchvision_export  # noqa: E402

MAX_LINES_PER_MODEL = 15
BATCH_1_PIN = "input:" + ",".join(str(d) for d in torchvision_export.INPUT_SHAPE)


def report(label, checked, mismatches):
    for line in mismatches[:MAX_LINES_PER_MODEL]:
        print("  %s: %s" % (label, line))
    if len(mismatches) > MAX_LINES_PER_MODEL:
        print("  %s: ... and %d more" % (label, len(mismatches) - MAX_LINES_PER_MODEL))
    print("%s: %d values checked, %d mismatches" % (label, checked, len(mismatches)))
    return not mismatches


def check(label, convgraph, path, get_known, oracle, pins=()):
    """convgraph on path (with pins) against get_known(); True when all agree."""
    try:
        known = get_known()
        ours, conflicts = shape_oracle.convgraph_values(convgraph, path, pins)
    except (RuntimeError, ValueError, KeyError, TypeError) as e:  # bad JSON too
        print("%s: FAILED: %s" % (label, e))
        return False
    checked, mismatches = shape_oracle.compare(known, ours, oracle)
    return report(label, checked, conflicts + mismatches)


def symbolic_as_known(convgraph, path):
    """What convgraph infers for a dynamic model with N left symbolic, N read as 1:
    the pinned run must agree with it wherever it is a number or plain N."""
    ours, _ = shape_oracle.convgraph_values(convgraph, path)
    return {name: (dtype, shape_oracle.substitute(shape, "N", 1))
            for name, (dtype, shape, _where) in ours.items()}


def twin_known(path, twin):
    """onnx on the static twin, for the data-path values both exports share. Names
    are module scopes, so the data path is named alike in both exports; the shape
    arithmetic is not (a Constant or Gather of the same name may hold a different
    vector), so only float values made by the same non-Constant op from the same
    first input in both are kept."""
    ours, theirs = shape_oracle.producers(path), shape_oracle.producers(twin)
    return {name: v for name, v in shape_oracle.onnx_known_values(twin).items()
            if v[0] == "float32" and name in ours and ours[name] == theirs.get(name)
            and ours[name][0] != "Constant"}


def checks_for(convgraph, stem, path, twin):
    """[(label, path, known-values getter, oracle, pins)] for one exported model."""
    todo = [(stem, path, lambda: shape_oracle.onnx_known_values(path), "onnx", ())]
    if twin:
        todo.append((stem + " pinned to batch 1", path, lambda: twin_known(path, twin),
                     "onnx on the static twin", (BATCH_1_PIN,)))
        todo.append((stem + " pinned vs symbolic", path,
                     lambda: symbolic_as_known(convgraph, path), "convgraph with N=1",
                     (BATCH_1_PIN,)))
    return todo


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    convgraph, models_dir = argv[1], argv[2]
    passed = failed = 0
    for stem, path, twin in torchvision_export.export_all(models_dir):
        ok = [check(label, convgraph, *rest)
              for label, *rest in checks_for(convgraph, stem, path, twin)]
        passed += ok.count(True)
        failed += ok.count(False)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
