"""Numeric conformance on one folder of ONNX backend tests.

usage: check_conform.py CONVGRAPH DIR EXPECTED_FAILURES

Runs `convgraph conform -v --timeout 60 DIR` and prints its FAIL and SKIP lines and summary.
Passes when every FAIL is listed in EXPECTED_FAILURES (one test name per line,
each with a '#' comment saying why convgraph and the reference disagree). An
expected failure of this folder that now passes or skips fails the check too, so
the list stays honest.
"""
import os
import re
import subprocess
import sys


def read_expected(path):
    """{name: why}; every entry must say why."""
    expected = {}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            name, _, why = text.partition("#")
            name = name.strip()
            if not why.strip() or " " in name:
                sys.exit(f"{path}:{number}: want 'TEST_NAME  # why it fails', got: {text}")
            expected[name] = why.strip()
    return expected


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    convgraph, folder, expected_path = sys.argv[1:]
    expected = read_expected(expected_path)
    # --timeout: a hung kernel fails its own test, the others still report
    p = subprocess.run([convgraph, "conform", "-v", "--timeout", "60", folder],
                       capture_output=True, text=True, timeout=600)
    verdicts = {}
    for line in p.stdout.splitlines():
        m = re.match(r"(PASS|FAIL|SKIP) (\S+?)(:| \()", line)
        if m:
            verdicts[m.group(2)] = m.group(1)
        if not line.startswith("PASS "):
            print(line)
    sys.stderr.write(p.stderr)
    if p.returncode not in (0, 1) or not re.search(r"^\d+ passed, \d+ failed, \d+ skipped$",
                                                   p.stdout, re.M):
        sys.exit(f"convgraph conform exited {p.returncode} without a summary")
    problems = []
    for name, verdict in sorted(verdicts.items()):
        if verdict == "FAIL" and name not in expected:
            problems.append(f"unexpected FAIL {name}")
        elif verdict != "FAIL" and name in expected:
            problems.append(f"{name} is listed as an expected failure but now gives {verdict}: "
                            f"take it off {os.path.basename(expected_path)}")
    known = [n for n, v in verdicts.items() if v == "FAIL" and n in expected]
    if known:
        print(f"{len(known)} expected failure(s): {', '.join(sorted(known))}")
    if problems:
        print("\n".join(problems))
        sys.exit(1)


if __name__ == "__main__":
    main()
