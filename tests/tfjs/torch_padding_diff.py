"""Differential test of src/graph/padding.c against PyTorch for the two rules
TensorFlow has no counterpart for: pool ceil_mode (with the "last window must start
inside the input or left padding" drop rule that ONNX adopted in onnx PR #5741) and
ConvTranspose's output size with pads, output_padding and dilations. Draws seeded
random windows, asks PyTorch for the output size and tests/tools/padding_eval.c for
ours, and requires them to agree (both refusing counts as skipped).

usage: python3 torch_padding_diff.py PADDING_EVAL [COUNT] [SEED]
"""
import random
import subprocess
import sys

import torch
import torch.nn.functional as F

MIN_COMPARED = 1500


def draw_pool(rng):
    """MaxPool2d; PyTorch takes symmetric pads of at most half the kernel."""
    n = [rng.randint(1, 30) for _ in range(2)]
    k = [rng.randint(1, 6) for _ in range(2)]
    s = [rng.randint(1, 4) for _ in range(2)]
    d = [rng.randint(1, 3) for _ in range(2)]
    p = [rng.randint(0, ki // 2) for ki in k]
    ceil = rng.random() < 0.7
    line = f"pool 2 NOTSET {int(ceil)} 1 {n[0]} {n[1]} {k[0]} {k[1]} {s[0]} {s[1]} " \
           f"{d[0]} {d[1]} {p[0]} {p[1]} {p[0]} {p[1]}"

    def torch_out():
        y = F.max_pool2d(torch.zeros(1, 1, *n), k, s, p, d, ceil_mode=ceil)
        return list(y.shape[2:]), p, p
    return line, torch_out


def draw_transpose(rng):
    """ConvTranspose2d; output_padding must be below the stride or the dilation."""
    n = [rng.randint(1, 20) for _ in range(2)]
    k = [rng.randint(1, 6) for _ in range(2)]
    s = [rng.randint(1, 4) for _ in range(2)]
    d = [rng.randint(1, 3) for _ in range(2)]
    p = [rng.randint(0, 4) for _ in range(2)]
    op = [rng.randint(0, max(si, di) - 1) for si, di in zip(s, d)]
    line = f"convt 2 NOTSET 0 1 {n[0]} {n[1]} {k[0]} {k[1]} {s[0]} {s[1]} " \
           f"{d[0]} {d[1]} {p[0]} {p[1]} {p[0]} {p[1]} {op[0]} {op[1]}"

    def torch_out():
        y = F.conv_transpose2d(torch.zeros(1, 1, *n), torch.zeros(1, 1, *k), stride=s,
                               padding=p, output_padding=op, dilation=d)
        return list(y.shape[2:]), p, p
    return line, torch_out


def torch_expect(torch_out):
    """(out, begin, end), or a reason string when PyTorch refuses the window."""
    try:
        out, begin, end = torch_out()
    except RuntimeError as e:
        # "Given input size: (...). Calculated output size: (...). Output size is too small"
        return "PyTorch refuses: " + str(e).split("\n")[0].split(". ")[-1][:60]
    if min(out) < 1:
        return "PyTorch output size below 1"
    return out, begin, end


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: python3 torch_padding_diff.py PADDING_EVAL [COUNT] [SEED]")
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20261130
    rng = random.Random(seed)
    cases = [(draw_pool if i % 2 == 0 else draw_transpose)(rng) for i in range(count)]
    run = subprocess.run([sys.argv[1]], input="\n".join(c[0] for c in cases) + "\n",
                         capture_output=True, text=True, check=False)
    got = run.stdout.splitlines()
    if run.returncode != 0 or len(got) != len(cases):
        sys.exit(f"padding_eval failed ({run.returncode}): {run.stderr}")

    passed, failures, skipped = 0, [], {}
    for (line, torch_out), ours in zip(cases, got):
        want = torch_expect(torch_out)
        fields = ours.split()
        if isinstance(want, str):
            if fields[0] == "ok":  # PyTorch refuses, so must we
                failures.append(f"{line}\n    torch: {want}\n    ours: {ours}")
            else:
                skipped[want] = skipped.get(want, 0) + 1
            continue
        out, begin, end = want
        expect = "ok " + " ".join(str(v) for v in out + begin + end)
        if ours == expect:
            passed += 1
        else:
            failures.append(f"{line}\n    torch: {expect}\n    ours: {ours}")

    for f in failures[:10]:
        print("FAIL " + f)
    for reason, n in skipped.items():
        print(f"skipped {n}: {reason}")
    print(f"{passed} passed, {len(failures)} failed, {sum(skipped.values())} skipped "
          f"(seed {seed}, torch {torch.__version__})")
    if failures or passed < MIN_COMPARED:
        sys.exit(1)


if __name__ == "__main__":
    main()
