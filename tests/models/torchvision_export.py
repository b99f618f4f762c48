"""Exports a few torchvision architectures to ONNX (opset 13) for the shape tests.

Weights are random (weights=None, seeded): shapes do not depend on them. Files that
already exist are reused, so a build tree exports once.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import torchmodels  # noqa: E402  (tests/pylib: the one place models are built)

OPSET = torchmodels.OPSET
INPUT_SHAPE = torchmodels.INPUT_SHAPE


# (file stem, architecture, dynamic batch axis?). A dynamic export's static twin is
# the export of the same architecture without the dynamic axis.
EXPORTS = [
    ("resnet18", "resnet18", False),
    ("mobilenet_v2", "mobilenet_v2", False),
    ("squeezenet1_1", "squeezenet1_1", False),
    ("googlenet", "googlenet", False),
    ("shufflenet_v2_x0_5", "shufflenet_v2_x0_5", False),
    ("inception_v3", "inception_v3", False),
    ("densenet121", "densenet121", False),
    ("mobilenet_v3_small", "mobilenet_v3_small", False),
    ("efficientnet_b0", "efficientnet_b0", False),
    ("convnext_tiny", "convnext_tiny", False),
    ("lraspp_mobilenet_v3_large", "lraspp_mobilenet_v3_large", False),
    ("resnet18_dynamic_batch", "resnet18", True),
    ("shufflenet_v2_x0_5_dynamic_batch", "shufflenet_v2_x0_5", True),
    ("lraspp_mobilenet_v3_large_dynamic_batch", "lraspp_mobilenet_v3_large", True),
]


def _export(arch, dynamic_batch, path):
    import torch
    model = torchmodels.build(arch)
    dynamic_axes = {"input": {0: "N"}, "logits": {0: "N"}} if dynamic_batch else None
    tmp = "%s.%d.part" % (path, os.getpid())  # two test runs may export at once
    with torch.no_grad():
        torch.onnx.export(model, torch.zeros(*INPUT_SHAPE), tmp, opset_version=OPSET,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes=dynamic_axes)
    os.replace(tmp, path)  # atomic: a half-written file is never reused


def export_all(out_dir):
    """Returns [(stem, path, static twin's path or None)] for every model, exporting
    the ones not yet present."""
    os.makedirs(out_dir, exist_ok=True)
    paths = {}
    for stem, arch, dynamic_batch in EXPORTS:
        paths[stem] = os.path.join(out_dir, stem + ".onnx")
        if not os.path.exists(paths[stem]):
            _export(arch, dynamic_batch, paths[stem])
    static_stem = {arch: stem for stem, arch, dynamic_batch in EXPORTS if not dynamic_batch}
    return [(stem, paths[stem],
             paths.get(static_stem.get(arch)) if dynamic_batch else None)
            for stem, arch, dynamic_batch in EXPORTS]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: torchvision_export.py OUT_DIR")
    for stem, path, twin in export_all(sys.argv[1]):
        print(stem, path, twin or "")
