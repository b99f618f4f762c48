"""Exports the benchmark models from torchvision to ONNX, once per cache folder.

usage: export_models.py OUT_DIR NAME...

OUT_DIR/NAME.onnx: opset 13, input 1x3x224x224 named "input", random weights
(weights=None after torch.manual_seed(0)), eval mode. A file that exists is reused;
a new one is written to a temporary name first, so an interrupted export leaves
nothing half-written behind. Exit status 77 when torch or torchvision is missing.
"""
import os
import sys

OPSET = 13
INPUT_SHAPE = (1, 3, 224, 224)


def builders():
    import torchvision.models as tvm
    return {
        "resnet18": lambda: tvm.resnet18(weights=None),
        "resnet50": lambda: tvm.resnet50(weights=None),
        "mobilenet_v2": lambda: tvm.mobilenet_v2(weights=None),
        "squeezenet1_1": lambda: tvm.squeezenet1_1(weights=None),
    }


def calibrate_batchnorm(model):
    """Fresh BatchNorm layers (mean 0, variance 1) normalize nothing, so through
    mobilenet_v2 activations shrink towards denormal floats, which some CPUs
    compute far more slowly: the benchmark would time that, not the convolutions.
    Averaging the statistics over two random batches keeps every layer near unit
    scale, as trained weights would."""
    import torch
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.momentum = None
    model.train()
    gen = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for _ in range(2):
            model(torch.randn(4, *INPUT_SHAPE[1:], generator=gen))
    model.eval()


def export(name, path):
    import torch
    torch.manual_seed(0)
    model = builders()[name]()
    calibrate_batchnorm(model)
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
        if name not in builders():
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
