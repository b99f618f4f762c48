"""Times convgraph against onnxruntime-node on the same models, inputs and threads.

usage: compare.py --convgraph BIN --models-dir DIR [--models a,b,...] [--threads 1,2]
                  [--rounds R] [--iters K] [--warmup W] [--shapes-runs N] [--json FILE]

For each model and thread count, R rounds; each round starts one onnxruntime
process (bench/ort_bench.js) and one `convgraph bench` process, which load the
model, run W untimed and K timed runs and report every timed run. Who goes first
alternates from round to round (A B, B A, ...), so load from other processes
and CPU clock drift fall on both alike. Each side's latency is the median of its
R x K runs. Peak RSS: convgraph's process peak; onnxruntime's process peak minus
that of a node process that only loaded the module. The first output's
min / max / mean from both (same seeded inputs) must agree, or the row says so.

Then `convgraph shapes resnet50.onnx` against `cat resnet50.onnx > /dev/null`,
alternating, warm page cache, medians of N runs each (process start included).
Run it through bench/run.sh, which prepares the models and onnxruntime-node and
unsets OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE.
"""
import argparse
import datetime
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET_GEOMEAN, TARGET_WORST, TARGET_MEMORY, TARGET_SHAPES = 0.8, 0.6, 1.5, 3.0


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}\n{p.stderr.strip()}")
    return p.stdout


def ort_once(model, threads, warmup, iters):
    out = json.loads(run(["node", os.path.join(HERE, "ort_bench.js"), model, str(threads),
                          str(warmup), str(iters)]))
    return out["times_ms"], out["maxrss_kib"] / 1024.0, out["output"]


def ort_baseline_mib():
    out = json.loads(run(["node", os.path.join(HERE, "ort_bench.js"), "--baseline"]))
    return out["maxrss_kib"] / 1024.0


def cg_once(convgraph, model, threads, warmup, iters):
    out = run([convgraph, "bench", model, "--threads", str(threads), "--warmup", str(warmup),
               "--iters", str(iters), "--times"])
    times = re.search(r"^times ms +(.*)$", out, re.M)
    rss = re.search(r"^peak RSS +([0-9.]+) MiB", out, re.M)
    if not times or not rss:
        raise RuntimeError(f"convgraph bench printed no times or peak RSS:\n{out}")
    return [float(t) for t in times.group(1).split()], float(rss.group(1))


def cg_output_stats(convgraph, model):
    """`convgraph run` with the default (fast) kernels: the same inputs as bench."""
    out = run([convgraph, "run", model])
    m = re.search(r"^output \S+ +\S+ +min (\S+) +max (\S+) +mean (\S+)", out, re.M)
    return {"min": float(m.group(1)), "max": float(m.group(2)), "mean": float(m.group(3))} if m else None


def outputs_agree(a, b):
    if not a or not b:
        return "?"
    scale = max(abs(a["min"]), abs(a["max"]), 1e-6)
    worst = max(abs(a[k] - b[k]) for k in ("min", "max", "mean")) / scale
    return "ok" if worst <= 1e-3 else f"DIFF {worst:.1e}"


def time_case(args, model, threads, baseline):
    ort_times, cg_times, ort_rss, cg_rss = [], [], [], []
    for r in range(args.rounds):
        for side in (("ort", "cg") if r % 2 == 0 else ("cg", "ort")):
            if side == "ort":
                times, rss, ort_out = ort_once(model, threads, args.warmup, args.iters)
                ort_times += times
                ort_rss.append(rss - baseline)
            else:
                times, rss = cg_once(args.convgraph, model, threads, args.warmup, args.iters)
                cg_times += times
                cg_rss.append(rss)
    return {"ort_ms": statistics.median(ort_times), "cg_ms": statistics.median(cg_times),
            "ort_mib": max(ort_rss), "cg_mib": max(cg_rss), "runs": len(cg_times),
            "ort_times_ms": ort_times, "cg_times_ms": cg_times, "ort_output": ort_out}


def time_shapes(convgraph, model, n):
    def once(cmd):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        return (time.perf_counter() - t0) * 1e3
    cat = ["cat", model]  # stdout is /dev/null: `cat resnet50.onnx > /dev/null`
    shapes = [convgraph, "shapes", model]
    once(cat)  # warm the page cache
    cat_ms, shapes_ms = [], []
    for _ in range(n):
        cat_ms.append(once(cat))
        shapes_ms.append(once(shapes))
    return statistics.median(cat_ms), statistics.median(shapes_ms)


def cpu_model():
    """The model name, and whether the cores have AVX-512 (the fast kernels' target)."""
    name, flags = platform.processor() or "?", []
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                elif line.startswith("flags"):
                    flags = line.split(":", 1)[1].split()
                    break
    except OSError:
        pass
    return name + (" (AVX-512)" if "avx512f" in flags else "")


def versions(convgraph):
    ort = run(["node", "-p", "require('onnxruntime-node/package.json').version"]).strip()
    cg = run([convgraph, "--version"]).strip()
    try:
        rev = run(["git", "-C", os.path.dirname(HERE), "describe", "--always", "--dirty"]).strip()
    except (RuntimeError, OSError):
        rev = "?"
    return f"{cg} (source {rev}), onnxruntime-node {ort}, node {run(['node', '--version']).strip()}"


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def print_header(args):
    print(f"date       {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}")
    print(f"cpu        {cpu_model()}, {os.cpu_count()} logical cores")
    print(f"versions   {versions(args.convgraph)}")
    print(f"load avg   {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min) at start")
    print(f"method     {args.rounds} rounds x {args.iters} timed runs per runtime "
          f"(after {args.warmup} warm-up runs each round), interleaved; medians")
    print()
    print("| model | threads | onnxruntime ms | convgraph ms | speed ratio (ort/cg) "
          "| ort MiB | convgraph MiB | memory ratio (cg/ort) | outputs |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    sys.stdout.flush()


def print_row(name, threads, c):
    c["ratio"] = c["ort_ms"] / c["cg_ms"]
    c["mem_ratio"] = c["cg_mib"] / c["ort_mib"] if c["ort_mib"] > 0 else float("nan")
    print(f"| {name} | {threads} | {c['ort_ms']:.2f} | {c['cg_ms']:.2f} | {c['ratio']:.2f} "
          f"| {c['ort_mib']:.0f} | {c['cg_mib']:.0f} | {c['mem_ratio']:.2f} | {c['outputs']} |")
    sys.stdout.flush()


def print_summary(results, threads_list, shapes):
    print()
    ok = True
    for t in threads_list:
        rows = [c for c in results if c["threads"] == t]
        if not rows:
            continue
        g = geomean([c["ratio"] for c in rows])
        worst = min(rows, key=lambda c: c["ratio"])
        ok = ok and g >= TARGET_GEOMEAN and worst["ratio"] >= TARGET_WORST
        best = geomean([min(c["ort_times_ms"]) / min(c["cg_times_ms"]) for c in rows])
        print(f"geomean speed ratio, {t} thread{'s' if t > 1 else ''}: {g:.2f} "
              f"(target >= {TARGET_GEOMEAN}); slowest {worst['model']} {worst['ratio']:.2f} "
              f"(target >= {TARGET_WORST}); from the fastest runs instead of medians: {best:.2f}")
    wrong = [c["model"] for c in results if c["outputs"] != "ok"]
    if wrong:
        ok = False
        print(f"outputs differ from onnxruntime's: {', '.join(sorted(set(wrong)))}")
    mem = max(results, key=lambda c: c["mem_ratio"])
    ok = ok and mem["mem_ratio"] <= TARGET_MEMORY
    print(f"largest memory ratio: {mem['model']} at {mem['threads']} thread(s) "
          f"{mem['mem_ratio']:.2f} (target <= {TARGET_MEMORY})")
    if shapes:
        cat_ms, shapes_ms = shapes
        ok = ok and shapes_ms / cat_ms <= TARGET_SHAPES
        print(f"convgraph shapes resnet50.onnx: {shapes_ms:.1f} ms; cat resnet50.onnx > /dev/null: "
              f"{cat_ms:.1f} ms; ratio {shapes_ms / cat_ms:.2f} (target <= {TARGET_SHAPES})")
    print(f"load avg   {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min) at the end")
    print("targets    " + ("all met" if ok else "NOT all met"))


def parse_args(argv):
    p = argparse.ArgumentParser(description="convgraph vs onnxruntime-node")
    p.add_argument("--convgraph", required=True)
    p.add_argument("--models-dir", required=True)
    p.add_argument("--models", default="resnet18,resnet50,mobilenet_v2,squeezenet1_1")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--iters", type=int, default=6)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--shapes-runs", type=int, default=10)
    p.add_argument("--json", help="also write the results here")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    threads_list = [int(t) for t in args.threads.split(",")]
    baseline = ort_baseline_mib()
    print_header(args)
    results, failed = [], []
    for name in args.models.split(","):
        model = os.path.join(args.models_dir, name + ".onnx")
        for t in threads_list:
            try:
                if t == threads_list[0]:
                    cg_out = cg_output_stats(args.convgraph, model)
                c = time_case(args, model, t, baseline)
            except RuntimeError as e:  # one model failing does not stop the others
                print(f"| {name} | {t} | failed: {' '.join(str(e).split())[:200]} |||||||")
                failed.append(name)
                break
            c.update(model=name, threads=t, outputs=outputs_agree(cg_out, c.pop("ort_output")))
            print_row(name, t, c)
            results.append(c)
    resnet50 = os.path.join(args.models_dir, "resnet50.onnx")
    shapes = time_shapes(args.convgraph, resnet50, args.shapes_runs) if os.path.exists(resnet50) else None
    if results:
        print_summary(results, threads_list, shapes)
    if failed:
        print(f"failed: {', '.join(failed)} (not in the means; targets NOT met)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": results, "shapes_ms": shapes, "cpu": cpu_model()}, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except RuntimeError as e:
        print(f"compare.py: {e}", file=sys.stderr)
        sys.exit(1)
