"""ONNX round trip, both halves, with one tally.

    run_roundtrip.py [--conform CONVGRAPH] [--inferred] [--external MIN_BYTES]
                     ROUNDTRIP_EXE OUT_DIR DATA...

1. ROUNDTRIP_EXE (tests/roundtrip/roundtrip.c) loads every DATA_DIR/*/model.onnx
   (or a YAML spec given as DATA), re-writes it with cg_onnx_save under OUT_DIR and
   compares the two graphs.
2. onnx.checker.check_model must accept every re-written model, all checked in
   this one process (importing onnx costs more than checking a model). A refusal
   because onnx 1.12 predates the model's IR version, opset or operator is a SKIP:
   the reference cannot judge that file.
   With --inferred the models are written with write_inferred_value_info and the
   checker runs its full check (onnx shape inference, strict), so every shape
   convgraph inferred and wrote must agree with onnx's; a model whose original
   already fails the full check is a SKIP. --external is passed on to the writer
   (initializers of at least MIN_BYTES go to model.onnx.data; onnx.load reads
   them back before the check).
3. With --conform: each test's test_data_set_* is copied next to its re-written
   model and `convgraph conform -v` runs on the original and the re-written
   folders; every test that passes from the original model must pass from the
   re-written one too (a test the kernels fail either way says nothing about
   the writer and is only counted).

Prints each failure and skip with its reason, then `N passed, M failed, K skipped`.
Exit status 1 when anything failed, 77 (skipped) when a DATA path does not exist.
"""
import os
import re
import shutil
import subprocess
import sys

import onnx
import onnx.checker

# What onnx 1.12's checker says about a model newer than itself.
TOO_NEW = re.compile(
    r"(No Op registered for \w+ with domain_version of \d+"
    r"|Opset \d+ is under development|is under development and support for this is limited"
    r"|Your model ir_version \d+ is higher than the checker's"
    r"|ONNX Runtime only \*guarantees\* support for models stamped)")


def run_writer(exe, writer_args, data_dirs):
    proc = subprocess.run([exe] + writer_args + data_dirs, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    if proc.returncode != 0:
        sys.exit("roundtrip exited with %d: %s" % (proc.returncode, proc.stderr.strip()))
    return proc.stdout.splitlines()


def first_line(text):
    lines = str(text).strip().splitlines()
    return lines[0] if lines else "(no message)"


def check(path, full):
    """None when the checker accepts the file, else (is_too_new, reason)."""
    try:
        onnx.checker.check_model(onnx.load(path), full_check=full)
        return None
    except Exception as e:  # the checker raises ValidationError, onnx.load DecodeError
        text = str(e)
        return bool(TOO_NEW.search(text)), first_line(text)


def judge(label, written, original, full):
    """('pass'|'fail'|'skip', message) for one written model."""
    refusal = check(written, full)
    if refusal is None:
        return "pass", label
    if refusal[0]:
        return "skip", "%s: onnx %s checker predates it: %s" % (label, onnx.__version__,
                                                               refusal[1])
    if full and original.endswith(".onnx") and check(original, True) is not None:
        return "skip", "%s: the original fails onnx's full check too: %s" % (label, refusal[1])
    return "fail", "%s: onnx.checker refuses the written model: %s" % (label, refusal[1])


def conform_verdicts(cli, folder):
    """{test name: (verdict, line)} from `convgraph conform -v FOLDER`."""
    proc = subprocess.run([cli, "conform", "-v", folder], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    verdicts = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"(PASS|FAIL|SKIP) (\S+?):?(\s|$)", line)
        if m:
            verdicts[m.group(2)] = (m.group(1), line)
    if not verdicts:
        sys.exit("convgraph conform %s printed no verdicts: %s" % (folder, first_line(proc.stdout)))
    return verdicts


def copy_data_sets(src_dir, dst_dir):
    for name in sorted(os.listdir(src_dir)):
        src = os.path.join(src_dir, name)
        if name.startswith("test_data_set_") and os.path.isdir(src):
            shutil.rmtree(os.path.join(dst_dir, name), ignore_errors=True)
            shutil.copytree(src, os.path.join(dst_dir, name))


def compare_conform(cli, out_dir, data_dir, written):
    """Failures among `written` ({label: path}); prints how many were compared."""
    for path in written.values():
        name = os.path.basename(os.path.dirname(path))
        copy_data_sets(os.path.join(data_dir, name), os.path.dirname(path))
    suite = os.path.basename(os.path.normpath(data_dir))
    before = conform_verdicts(cli, data_dir)
    after = conform_verdicts(cli, os.path.join(out_dir, suite))
    failures, compared = {}, 0
    for label in written:
        name = label.split("/", 1)[1]
        if before.get(name, ("",))[0] != "PASS":
            continue
        compared += 1
        verdict = after.get(name, ("MISSING", "no verdict"))
        if verdict[0] != "PASS":
            failures[label] = ("%s: conform passes from the original model but not from the "
                               "re-written one: %s" % (label, verdict[1]))
    print("conform: %d of the re-written models pass their test data, as their originals do; "
          "%d failed" % (compared - len(failures), len(failures)))
    return failures


def parse_options(argv):
    """(convgraph CLI or None, options for ROUNDTRIP_EXE, positional arguments)."""
    cli, writer_options, rest = None, [], []
    args = iter(argv[1:])
    for a in args:
        if a == "--conform":
            cli = next(args, None)
        elif a == "--inferred":
            writer_options.append(a)
        elif a == "--external":
            writer_options += [a, next(args, "")]
        else:
            rest.append(a)
    if len(rest) < 3 or (cli is None and "--conform" in argv):
        sys.exit(__doc__)
    return cli, writer_options, rest


def main(argv):
    cli, writer_options, (exe, out_dir, *data) = parse_options(argv)
    missing = [d for d in data if not os.path.exists(d)]
    if missing:
        print("skipped: %s not found" % ", ".join(missing))
        return 77  # ctest SKIP_RETURN_CODE
    inferred = "--inferred" in writer_options
    passed, failed, skipped = [], [], []
    written = {}
    for line in run_writer(exe, writer_options + [out_dir], data):
        verdict, _, rest = line.partition(" ")
        if verdict == "PASS":
            label, path, original = rest.split("\t")
            written[label] = path
            outcome, message = judge(label, path, original, full=inferred)
            {"pass": passed, "fail": failed, "skip": skipped}[outcome].append(message)
        elif verdict == "SKIP":
            skipped.append(rest)
        else:
            failed.append(rest)
    if cli:
        for data_dir in data:
            bad = compare_conform(cli, out_dir, data_dir, written)
            passed = [p for p in passed if p not in bad]
            failed += sorted(bad.values())
    for s in skipped:
        print("SKIP " + s)
    for f in failed:
        print("FAIL " + f)
    print("%d passed, %d failed, %d skipped" % (len(passed), len(failed), len(skipped)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
