"""The torchvision models the tests and the benchmark export, built one way.

build(name) seeds torch (manual_seed(0)), builds the architecture with random
weights (weights=None) and returns it in eval mode; with calibrate=True the
BatchNorm statistics are first averaged over two seeded random batches.
Requires Debian's python3-torch and python3-torchvision.
"""

INPUT_SHAPE = (1, 3, 224, 224)
OPSET = 13


def _builders():
    import torchvision.models as tvm
    from torchvision.models import segmentation
    return {
        "resnet18": lambda: tvm.resnet18(weights=None),
        "resnet50": lambda: tvm.resnet50(weights=None),
        "mobilenet_v2": lambda: tvm.mobilenet_v2(weights=None),
        "squeezenet1_1": lambda: tvm.squeezenet1_1(weights=None),
        # aux heads only exist in training mode; init_weights=False skips scipy's
        # truncated-normal init (slow), the weights stay torch's default init.
        "googlenet": lambda: tvm.googlenet(weights=None, aux_logits=False, init_weights=False),
        # Channel shuffle: Reshape/Transpose/Slice fed by Shape arithmetic.
        "shufflenet_v2_x0_5": lambda: tvm.shufflenet_v2_x0_5(weights=None),
        # Asymmetric 1x7/7x1 kernels, AveragePool with padding.
        "inception_v3": lambda: tvm.inception_v3(weights=None, aux_logits=False,
                                                 init_weights=False),
        "densenet121": lambda: tvm.densenet121(weights=None),
        # HardSwish/HardSigmoid, squeeze-and-excitation Mul broadcasts.
        "mobilenet_v3_small": lambda: tvm.mobilenet_v3_small(weights=None),
        "efficientnet_b0": lambda: tvm.efficientnet_b0(weights=None),
        # LayerNorm decomposed into ReduceMean/Sub/Pow/Sqrt/Div, Transpose.
        "convnext_tiny": lambda: tvm.convnext_tiny(weights=None),
        # Segmentation: Resize back to the input's size, computed from its Shape.
        "lraspp_mobilenet_v3_large": lambda: segmentation.lraspp_mobilenet_v3_large(
            weights=None, weights_backbone=None),
    }


def names():
    return list(_builders())


def calibrate_batchnorm(model):
    """Fresh BatchNorm layers hold mean 0 and variance 1, which normalize nothing:
    through mobilenet_v2's 52 layers the logits shrink to about 1e-9 (any output
    within atol of zero would pass a comparison, and near-denormal activations
    time slowly). Averaging the statistics over random batches, as training
    would, keeps every layer's output near unit scale."""
    import torch
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.momentum = None  # a plain average over the calibration batches
    model.train()
    gen = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for _ in range(2):
            model(torch.randn(4, *INPUT_SHAPE[1:], generator=gen))


def build(name, calibrate=False):
    import torch
    torch.manual_seed(0)
    model = _builders()[name]()
    if calibrate:
        calibrate_batchnorm(model)
    return model.eval()
