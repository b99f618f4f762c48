#!/usr/bin/python3
"""Runs `convgraph shapes FILE` and `convgraph check FILE` on every file in the
corpus MANIFEST and asserts each run: exits with status exactly 2, writes exactly
one non-empty line to stderr that names the file, shows no sanitizer report, and
finishes within 10 s. Prints `N passed, M failed`; exits 1 on any failure.

usage: run_corpus.py CONVGRAPH CORPUS_DIR"""
import os
import subprocess
import sys

TIMEOUT_S = 10
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "Segmentation fault")


def problems_of(convgraph, command, path):
    try:
        run = subprocess.run([convgraph, command, path], stdin=subprocess.DEVNULL,
                             capture_output=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return ["took more than %d s" % TIMEOUT_S]
    err = run.stderr.decode("utf-8", "replace")
    lines = err.splitlines()
    found = []
    if run.returncode != 2:
        found.append("exit status %d, want 2" % run.returncode)
    if any(mark in err for mark in SANITIZER_MARKS):
        found.append("sanitizer or crash report")
    if len(lines) != 1 or not err.endswith("\n") or not lines[0].strip():
        found.append("stderr has %d lines, want exactly one non-empty line" % len(lines))
    elif path not in lines[0]:
        found.append("stderr does not name the file")
    if found:
        found.append("stderr: %r" % err[:300])
    return found


def main():
    convgraph, corpus = sys.argv[1], sys.argv[2]
    with open(os.path.join(corpus, "MANIFEST")) as f:
        names = [line.strip() for line in f if line.strip()]
    passed = failed = 0
    for name in names:
        path = os.path.join(corpus, name)
        for command in ("shapes", "check"):
            found = problems_of(convgraph, command, path)
            if found:
                failed += 1
                print("FAIL %s %s: %s" % (command, name, "; ".join(found)))
            else:
                passed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
