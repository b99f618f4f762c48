"""Windowed ops against PyTorch's numbers: random Conv, ConvTranspose, MaxPool and
AveragePool configurations (1-D, 2-D and 3-D; strides, dilations, asymmetric pads,
groups, ceil_mode, output_padding), each built as a one-node ONNX model. The output shape
convgraph infers must equal the shape PyTorch actually computes for the same op.

ONNX and PyTorch agree on these rules (ceil_mode's dropped last window included: ONNX
since 1.16, onnx PR #5741). Where PyTorch refuses a configuration (an output smaller
than one pixel), convgraph must refuse it too, with its one-line error.

usage: check_torch_windows.py CONVGRAPH WORK_DIR [COUNT]
"""
import importlib.util
import json
import os
import random
import subprocess
import sys

SKIPPED = 77  # ctest SKIP_RETURN_CODE
MISSING = [m for m in ("onnx", "torch", "numpy") if importlib.util.find_spec(m) is None]
if MISSING:
    print("SKIP: python modules missing: %s" % ", ".join(MISSING))
    sys.exit(SKIPPED)

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

SEED = 20240601
OPSET = 13
MAX_LINES = 20


def random_config(rng):
    """One op configuration: a dict of ONNX-style attributes and shapes."""
    op = rng.choice(["Conv", "ConvTranspose", "MaxPool", "AveragePool"])
    spatial = rng.choice([1, 2, 3])
    cfg = {
        "op": op,
        "in_spatial": [rng.randint(1, 16) for _ in range(spatial)],
        "kernel": [rng.randint(1, 5) for _ in range(spatial)],
        "strides": [rng.randint(1, 3) for _ in range(spatial)],
        "dilations": [rng.randint(1, 3) if op != "AveragePool" else 1
                      for _ in range(spatial)],
    }
    if op in ("Conv", "ConvTranspose"):
        cfg["group"] = rng.choice([1, 2])
        cfg["channels"] = 2 * cfg["group"]
        cfg["out_channels"] = 2 * cfg["group"]
    else:
        cfg["channels"] = 3
        cfg["ceil_mode"] = rng.randint(0, 1)
    if op == "Conv":
        # Asymmetric: begin and end pads drawn separately.
        cfg["pads"] = [rng.randint(0, 3) for _ in range(2 * spatial)]
    elif op == "ConvTranspose":
        p = [rng.randint(0, 2) for _ in range(spatial)]
        cfg["pads"] = p + p
        cfg["output_padding"] = [rng.randint(0, max(s, d) - 1)
                                 for s, d in zip(cfg["strides"], cfg["dilations"])]
    else:
        # PyTorch pools take one pad per axis, at most half the kernel.
        p = [rng.randint(0, k // 2) for k in cfg["kernel"]]
        cfg["pads"] = p + p
    return cfg


def describe(cfg):
    keys = ("in_spatial", "kernel", "strides", "dilations", "pads", "group",
            "ceil_mode", "output_padding")
    return "%s %s" % (cfg["op"], " ".join("%s=%s" % (k, cfg[k]) for k in keys if k in cfg))


# avg_pool3d alone refuses an input smaller than the kernel even where padding or
# ceil_mode gives a whole window (avg_pool1d/2d and the ONNX spec accept it).
TORCH_ONLY_REFUSALS = ("smaller than kernel size",)
UNCHECKED = "unchecked"


def torch_output_shape(cfg):
    """The shape PyTorch computes; None when PyTorch refuses the configuration
    because the output would be empty (pool pads stay within half the kernel, see
    random_config, so that is the only other refusal); UNCHECKED for a refusal
    peculiar to PyTorch."""
    n = len(cfg["in_spatial"])
    x = torch.zeros([1, cfg["channels"]] + cfg["in_spatial"])
    begin, end = cfg["pads"][:n], cfg["pads"][n:]
    op = cfg["op"]
    try:
        with torch.no_grad():
            if op == "Conv":
                # F.pad takes (last axis begin, end, previous axis begin, end, ...).
                pad = [p for axis in reversed(range(n)) for p in (begin[axis], end[axis])]
                w = torch.zeros([cfg["out_channels"], cfg["channels"] // cfg["group"]]
                                + cfg["kernel"])
                conv = (F.conv1d, F.conv2d, F.conv3d)[n - 1]
                y = conv(F.pad(x, pad), w, stride=cfg["strides"],
                         dilation=cfg["dilations"], groups=cfg["group"])
            elif op == "ConvTranspose":
                w = torch.zeros([cfg["channels"], cfg["out_channels"] // cfg["group"]]
                                + cfg["kernel"])
                convt = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[n - 1]
                y = convt(x, w, stride=cfg["strides"], padding=begin,
                          output_padding=cfg["output_padding"], groups=cfg["group"],
                          dilation=cfg["dilations"])
            elif op == "MaxPool":
                pool = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[n - 1]
                y = pool(x, cfg["kernel"], cfg["strides"], begin, cfg["dilations"],
                         ceil_mode=bool(cfg["ceil_mode"]))
            else:
                pool = (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)[n - 1]
                y = pool(x, cfg["kernel"], cfg["strides"], begin,
                         ceil_mode=bool(cfg["ceil_mode"]))
    except RuntimeError as e:
        return UNCHECKED if any(r in str(e) for r in TORCH_ONLY_REFUSALS) else None
    shape = list(y.shape)
    return shape if all(d > 0 for d in shape) else None


def onnx_model(cfg):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                      [1, cfg["channels"]] + cfg["in_spatial"])
    # The output's shape is left undeclared: convgraph must not be told the answer.
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    attrs = {"kernel_shape": cfg["kernel"], "strides": cfg["strides"], "pads": cfg["pads"]}
    inputs, inits = ["x"], []
    if cfg["op"] in ("Conv", "ConvTranspose"):
        attrs["dilations"] = cfg["dilations"]
        attrs["group"] = cfg["group"]
        if cfg["op"] == "Conv":
            w_shape = [cfg["out_channels"], cfg["channels"] // cfg["group"]] + cfg["kernel"]
        else:
            w_shape = [cfg["channels"], cfg["out_channels"] // cfg["group"]] + cfg["kernel"]
            attrs["output_padding"] = cfg["output_padding"]
        inits.append(helper.make_tensor("w", TensorProto.FLOAT, w_shape,
                                        np.zeros(w_shape, np.float32).ravel()))
        inputs.append("w")
    else:
        attrs["ceil_mode"] = cfg["ceil_mode"]
        if cfg["op"] == "MaxPool":
            attrs["dilations"] = cfg["dilations"]
        else:
            # PyTorch's avg_pool counts padded pixels by default.
            attrs["count_include_pad"] = 1
    node = helper.make_node(cfg["op"], inputs, ["y"], name="window", **attrs)
    graph = helper.make_graph([node], "g", [x], [y], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def convgraph_output_shape(convgraph, path):
    """(shape of 'y' or None, error line or None)."""
    run = subprocess.run([convgraph, "shapes", "--json", path], capture_output=True,
                         text=True, timeout=60)
    if run.returncode != 0:
        return None, (run.stderr.strip() or run.stdout.strip())
    for out in json.loads(run.stdout)["outputs"]:
        if out["name"] == "y":
            return out["shape"], None
    return None, "no output 'y' in the report"


def main(argv):
    if len(argv) not in (3, 4):
        sys.exit(__doc__)
    convgraph, work = argv[1], argv[2]
    count = int(argv[3]) if len(argv) == 4 else 300
    os.makedirs(work, exist_ok=True)
    rng = random.Random(SEED)
    refused = unchecked = 0
    problems = []
    for i in range(count):
        cfg = random_config(rng)
        expected = torch_output_shape(cfg)
        if expected == UNCHECKED:
            unchecked += 1
            continue
        path = os.path.join(work, "window_%04d.onnx" % i)
        onnx.save(onnx_model(cfg), path)
        got, err = convgraph_output_shape(convgraph, path)
        if expected is None:
            refused += 1
            if err is None or "\n" in err:
                problems.append("%s: convgraph %s, torch refuses (empty output) (%s)"
                                % (describe(cfg), err or got, os.path.basename(path)))
        elif err or got != expected:
            problems.append("%s: convgraph %s, torch %s (%s)"
                            % (describe(cfg), err or got, expected, os.path.basename(path)))
    for line in problems[:MAX_LINES]:
        print("  " + line)
    if len(problems) > MAX_LINES:
        print("  ... and %d more" % (len(problems) - MAX_LINES))
    print("windowed ops vs torch: %d configurations checked (%d that torch refuses), "
          "%d mismatches; %d not checked (refused by torch alone)"
          % (count - unchecked, refused, len(problems), unchecked))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
