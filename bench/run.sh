#!/bin/sh
# convgraph against onnxruntime on torchvision models, in one run on this machine.
#
# usage: bench/run.sh [compare.py options...]     (e.g. --threads 1 --rounds 2)
#
# CONVGRAPH    the binary to time (default: build/convgraph in the repository)
# BENCH_CACHE  where exported models and onnxruntime-node live between runs
#              (default: ~/.cache/convgraph-bench); delete it to start over
#
# Steps: export resnet18, resnet50, mobilenet_v2 and squeezenet1_1 with Debian's
# python3-torchvision (reused when present); npm-install onnxruntime-node@1.30.0
# with --ignore-scripts (its CPU library ships inside the package; skipped when
# present); then bench/compare.py, with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
# unset for this run only (they pin OpenBLAS to a slower kernel set).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
convgraph=${CONVGRAPH:-$root/build/convgraph}
cache=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/convgraph-bench}
python=/usr/bin/python3 # Debian's: python3-torch and python3-torchvision live there
ort_version=1.30.0
ort_dir=$cache/onnxruntime-node-$ort_version

if [ ! -x "$convgraph" ]; then
    echo "bench/run.sh: no convgraph at $convgraph (build first, or set CONVGRAPH)" >&2
    exit 2
fi
for tool in node npm; do
    command -v $tool >/dev/null || { echo "bench/run.sh: $tool is not installed" >&2; exit 2; }
done

"$python" "$here/export_models.py" "$cache/models" resnet18 resnet50 mobilenet_v2 squeezenet1_1

if [ ! -f "$ort_dir/node_modules/onnxruntime-node/package.json" ]; then
    echo "installing onnxruntime-node@$ort_version into $ort_dir" >&2
    mkdir -p "$ort_dir"
    (cd "$ort_dir" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error \
        "onnxruntime-node@$ort_version" >&2)
fi

exec env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE NODE_PATH="$ort_dir/node_modules" \
    "$python" "$here/compare.py" --convgraph "$convgraph" --models-dir "$cache/models" "$@"
