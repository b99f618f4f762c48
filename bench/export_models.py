"""Exports the benchmark models from torchvision to ONNX, once per cache folder.

usage: export_models.py OUT_DIR NAME...

NAME: one of tests/pylib/torchmodels.py's architectures; bench/run.sh exports
BENCH_MODELS, and compare.py --models can time any other exported here first.

OUT_DIR/NAME.onnx: opset 13, input 1x3x224x224 named "input", random weights
(weights=None after torch.manual_seed(0)), eval mode. A file that exists is reused;
a new one is written to a temporary name first, so an interrupted export leaves
nothing half-written behind. Exit status 77 when torch or torchvision is missing.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "pylib"))
import torchmodels  # noqa: E402  (the models the tests export, built the same way)

OPSET = torchmodels.OPSET
INPUT_SHAPE = torchmodels.INPUT_SHAPE
BENCH_MODELS = ("resnet18", "resnet50", "mobilenet_v2", "squeezenet1_1")


def export(name, path):
    import torch
    model = torchmodels.build(name, calibrate=True)
    tmp = path + ".tmp"
    with torch.no_grad():
        torch.onnx.export(model, torch.zeros(*INPUT_SHAPE), tmp, opset_version=OPSET,
                          input_names=["input"], output_names=["output"])
    os.replace(tmp, path)


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        import torch  # noqa: F401
        import torchvision  # noqa: F401
    except ImportError as e:
        print(f"export_models.py: {e}", file=sys.stderr)
        return 77
    out_dir = argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for name in argv[2:]:
        if name not in torchmodels.names():
            print(f"export_models.py: unknown model {name}", file=sys.stderr)
            return 2
        path = os.path.join(out_dir, name + ".onnx")
        if os.path.exists(path):
            continue
        print(f"exporting {name} -> {path}", file=sys.stderr)
        export(name, path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
