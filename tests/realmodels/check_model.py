"""One real model end to end: export it (once per build tree), then
`convgraph conform` on it at atol 1e-4, rtol 1e-3 (the default, fast kernels),
and `convgraph run --kernels reference` on each data set's input, compared the
same way (the plain reference kernels).

usage: check_model.py CONVGRAPH OUT_DIR NAME

Also checks that the reference outputs are far larger than atol, so that the
comparison cannot pass on outputs that are all close to zero. Exit status 77
(ctest: skipped) when torch or torchvision is missing.
"""
import os
import subprocess
import sys
import time

ATOL, RTOL = 1e-4, 1e-3
HERE = os.path.dirname(os.path.abspath(__file__))


def reference_scale(folder):
    """Standard deviation of test_data_set_0/output_0.pb."""
    return float(read_pb(os.path.join(folder, "test_data_set_0", "output_0.pb")).std())


def read_pb(path):
    import onnx
    from onnx import numpy_helper
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def check_reference_kernels(convgraph, folder):
    """`run --kernels reference` on every data set; returns the problems found."""
    import tempfile
    import numpy as np
    problems = []
    sets = sorted(d for d in os.listdir(folder) if d.startswith("test_data_set_"))
    with tempfile.TemporaryDirectory(prefix="cg_realmodels_") as out_dir:
        for data_set in sets:
            data = os.path.join(folder, data_set)
            p = subprocess.run([convgraph, "run", os.path.join(folder, "model.onnx"),
                                "--kernels", "reference", "--input",
                                "input=" + os.path.join(data, "input_0.pb"),
                                "--output-dir", out_dir], capture_output=True, text=True,
                               timeout=600)
            if p.returncode != 0:
                problems.append(f"{data_set}: run --kernels reference: exit {p.returncode}: "
                                f"{p.stderr.strip()}")
                continue
            got = np.load(os.path.join(out_dir, "logits.npy"))
            want = read_pb(os.path.join(data, "output_0.pb"))
            err = np.abs(got.astype(np.float64) - want)
            bad = err > ATOL + RTOL * np.abs(want)
            print(f"{data_set}: reference kernels: max abs err {err.max():.3g}")
            if got.shape != want.shape or bad.any():
                problems.append(f"{data_set}: reference kernels: {int(bad.sum())} elements off "
                                f"(max abs err {err.max():.3g})")
    return problems


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    convgraph, out_dir, name = sys.argv[1:]
    start = time.monotonic()
    export = subprocess.run([sys.executable, os.path.join(HERE, "export.py"), out_dir, name])
    if export.returncode != 0:
        sys.exit(export.returncode)
    folder = os.path.join(out_dir, name)
    scale = reference_scale(folder)
    if scale < 100 * ATOL:
        sys.exit(f"{name}: reference outputs have std {scale:.3g}: atol {ATOL} would not test them")
    exported = time.monotonic()
    p = subprocess.run([convgraph, "conform", "-v", "--atol", str(ATOL), "--rtol", str(RTOL),
                        folder], capture_output=True, text=True, timeout=600)
    print(p.stdout + p.stderr, end="")
    conformed = time.monotonic()
    problems = check_reference_kernels(convgraph, folder)
    print(f"export {exported - start:.1f} s, conform {conformed - exported:.1f} s, reference "
          f"kernels {time.monotonic() - conformed:.1f} s; reference output std {scale:.3g}")
    print("\n".join(problems))
    ok = p.returncode == 0 and "1 passed, 0 failed, 0 skipped" in p.stdout and not problems
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
