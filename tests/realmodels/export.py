"""Exports torchvision classifiers to ONNX backend-test folders, with torch's own
outputs as the reference.

usage: export.py OUT_DIR NAME...

OUT_DIR/NAME/ gets model.onnx (opset 13, input 1x3x224x224, random weights:
weights=None after torch.manual_seed(0), BatchNorm statistics calibrated on
random batches, then eval mode) and test_data_set_0/ and
test_data_set_1/, each with input_0.pb (seeded standard-normal input) and
output_0.pb (the model's output for it in PyTorch), written with
onnx.numpy_helper. A folder exported by this same script (its hash is in
NAME/exported_by) is reused. Exit status 77
when torch or torchvision is missing.
"""
import os
import shutil
import sys

OPSET = 13
INPUT_SHAPE = (1, 3, 224, 224)
DATA_SETS = 2


def builders():
    import torchvision.models as tvm
    return {
        "resnet18": lambda: tvm.resnet18(weights=None),
        "mobilenet_v2": lambda: tvm.mobilenet_v2(weights=None),
        "squeezenet1_1": lambda: tvm.squeezenet1_1(weights=None),
        # aux heads only exist in training mode; init_weights=False skips scipy's
        # truncated-normal init (slow), the weights stay torch's default init.
        "googlenet": lambda: tvm.googlenet(weights=None, aux_logits=False, init_weights=False),
    }


STAMP = "exported_by"  # the hash of this script; a changed script exports again


def script_hash():
    import hashlib
    with open(os.path.abspath(__file__), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def is_complete(folder):
    try:
        with open(os.path.join(folder, STAMP)) as f:
            return f.read().strip() == script_hash()
    except OSError:
        return False


def calibrate_batchnorm(model):
    """Fresh BatchNorm layers hold mean 0 and variance 1, which normalize nothing:
    through mobilenet_v2's 52 layers the logits shrink to about 1e-9, and any
    output within atol 1e-4 of zero would pass. Running the statistics over random
    batches (what training would do) keeps every layer's output near unit scale,
    so the comparison tests the numbers."""
    import torch
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.momentum = None  # a plain average over the calibration batches
    model.train()
    gen = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for _ in range(2):
            model(torch.randn(4, *INPUT_SHAPE[1:], generator=gen))
    model.eval()


def save_tensor(array, name, path):
    from onnx import numpy_helper
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(array, name).SerializeToString())


def export(name, folder):
    import torch
    torch.manual_seed(0)
    model = builders()[name]()
    calibrate_batchnorm(model)
    part = f"{folder}.{os.getpid()}.part"  # two test runs may export at once
    shutil.rmtree(part, ignore_errors=True)
    os.makedirs(part)
    with torch.no_grad():
        torch.onnx.export(model, torch.zeros(*INPUT_SHAPE), os.path.join(part, "model.onnx"),
                          opset_version=OPSET, input_names=["input"], output_names=["logits"])
        for k in range(DATA_SETS):
            gen = torch.Generator().manual_seed(1000 + k)
            x = torch.randn(*INPUT_SHAPE, generator=gen)
            y = model(x)
            data = os.path.join(part, f"test_data_set_{k}")
            os.makedirs(data)
            save_tensor(x.numpy(), "input", os.path.join(data, "input_0.pb"))
            save_tensor(y.numpy(), "logits", os.path.join(data, "output_0.pb"))
    with open(os.path.join(part, STAMP), "w") as f:
        f.write(script_hash() + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(part, folder)  # a half-written folder is never reused


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    try:
        import onnx  # noqa: F401
        import torch  # noqa: F401
        import torchvision  # noqa: F401
    except ImportError as e:
        print(f"skipped: {e}")
        sys.exit(77)
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for name in sys.argv[2:]:
        folder = os.path.join(out_dir, name)
        if not is_complete(folder):
            export(name, folder)


if __name__ == "__main__":
    main()
