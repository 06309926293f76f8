#!/usr/bin/env python3
"""Time the small cases (`benches/small_pairs.rs`) under several code layouts.

A call of `ii->` on a 3x3 matrix takes 1.5-2.5 ns here, four to eight
cycles, and where the linker and LLVM happen to place the timed loops moves
that by more than the 1.1x target: the same hand-written trace took 1.26 ns
in one build and 1.92 ns in another with no change to its code. One build's
ratio is one draw of that lottery. This script rebuilds the benchmark with
the code shifted in a few different ways (function and block alignment,
each LLVM's own option, applied to einsum and hand code alike), runs it
once per layout, and prints each case's median ratio per layout and the
median over layouts.

    python3 scripts/small_layouts.py            # all layouts
    LAYOUTS=default,aligned python3 scripts/small_layouts.py

Each layout builds in its own target directory under `target/layouts/`
(the first run of a layout compiles the dependencies, about a minute).
"""

import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name -> LLVM options (`-C llvm-args=...`); each places the code differently.
LAYOUTS = {
    "default": [],
    "fn32": ["-align-all-functions=5"],
    "fn64": ["-align-all-functions=6"],
    "blocks16": ["-align-all-nofallthru-blocks=4"],
    "aligned": ["-align-all-functions=6", "-align-all-nofallthru-blocks=5"],
    "loops64": ["-align-loops=64"],
}

RATIO = re.compile(r"^(?P<case>.+?)\s+einsum\s+.*median ratio (?P<ratio>[0-9.]+)")


def run(layout):
    flags = " ".join(f"-C llvm-args={o}" for o in LAYOUTS[layout])
    env = dict(os.environ, RUSTFLAGS=flags,
               CARGO_TARGET_DIR=os.path.join(ROOT, "target", "layouts", layout))
    out = subprocess.run(
        ["cargo", "bench", "-p", "lazy-einsum-benches", "--bench", "small_pairs"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    ratios = {}
    for line in out.splitlines():
        m = RATIO.match(line)
        if m:
            ratios[m["case"].strip()] = float(m["ratio"])
    if not ratios:
        sys.exit(f"{layout}: no ratios in the output:\n{out}")
    return ratios


def main():
    names = os.environ.get("LAYOUTS", ",".join(LAYOUTS)).split(",")
    results = {}
    for name in names:
        print(f"building and running layout {name} ...", file=sys.stderr, flush=True)
        results[name] = run(name)
    cases = list(next(iter(results.values())))
    width = max(len(c) for c in cases)
    print(f"{'case':{width}}  " + "  ".join(f"{n:>8}" for n in names) + "    median")
    for case in cases:
        row = [results[n][case] for n in names]
        cells = "  ".join(f"{r:8.2f}" for r in row)
        print(f"{case:{width}}  {cells}    {statistics.median(row):6.2f}")


if __name__ == "__main__":
    main()
