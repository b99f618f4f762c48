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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import torchmodels  # noqa: E402  (tests/pylib: the one place models are built)

OPSET = torchmodels.OPSET
INPUT_SHAPE = torchmodels.INPUT_SHAPE
DATA_SETS = 2


STAMP = "exported_by"  # the hash of this script and torchmodels; a change exports again


def script_hash():
    import hashlib
    h = hashlib.sha256()
    for path in (os.path.abspath(__file__), torchmodels.__file__):
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def is_complete(folder):
    try:
        with open(os.path.join(folder, STAMP)) as f:
            return f.read().strip() == script_hash()
    except OSError:
        return False


def save_tensor(array, name, path):
    from onnx import numpy_helper
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(array, name).SerializeToString())


def export(name, folder):
    import torch
    model = torchmodels.build(name, calibrate=True)
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
