#!/usr/bin/env python3
"""Count the instructions per call of the small cases (`benches/small_pairs.rs`).

Timing a 2 ns call measures where the linker placed the code as much as the
code (see `small_layouts.py`). The number of instructions a call executes
does not move with placement, so this script counts them under valgrind's
callgrind: for each case and side (`fn`: `einsum!` in a function of its
own; `inline`: written in the calling loop; `hand`: the hand-written
function), the benchmark binary's `--count` mode runs the side CALLS times
and once with 0 calls, and the difference over CALLS is the count per call
(the loop's own increment and branch included, on every side alike).

    python3 scripts/small_instructions.py          # needs valgrind

Instructions are not time (a division costs more than an add, a cache miss
more than both), but for these allocation-and-a-few-loads calls the ratio
tracks the time ratio of the fastest layouts.
"""

import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (case prefix as `small_pairs` names it, calls): fewer calls for the big one.
CASES = [
    ("matmul 3x3", 20_000),
    ("matvec 4x4", 20_000),
    ("dot 3", 100_000),
    ("batched 10000 x 3x3", 5),
    ("ijk,k->ij 4x4x4", 20_000),
    ("ii-> 3x3", 100_000),
]
SIDES = ["inline", "fn", "hand"]


def benchmark_binary():
    out = subprocess.run(
        ["cargo", "bench", "-p", "lazy-einsum-benches", "--bench", "small_pairs",
         "--no-run", "--message-format=json"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        message = json.loads(line)
        target = message.get("target", {})
        if message.get("reason") == "compiler-artifact" and target.get("name") == "small_pairs":
            if message.get("executable"):
                return message["executable"]
    sys.exit("no small_pairs executable in cargo's output")


def instructions(binary, case, side, calls):
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         binary, "--count", case, side, str(calls)],
        capture_output=True, text=True, check=True).stderr
    for line in out.splitlines():
        if "Collected :" in line or "refs:" in line:
            return int(line.split(":")[-1].replace(",", "").strip())
    sys.exit(f"no instruction count in valgrind's output:\n{out}")


def main():
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed")
    binary = benchmark_binary()
    print(f"{'case':22}" + "".join(f"{s:>10}" for s in SIDES) + "   inline/hand   fn/hand")
    for case, calls in CASES:
        per_call = {}
        for side in SIDES:
            total = instructions(binary, case, side, calls)
            base = instructions(binary, case, side, 0)
            per_call[side] = (total - base) / calls
        cells = "".join(f"{per_call[s]:10.0f}" for s in SIDES)
        hand = per_call["hand"]
        print(f"{case:22}{cells}   {per_call['inline'] / hand:11.2f}   {per_call['fn'] / hand:7.2f}")


if __name__ == "__main__":
    main()
