#!/usr/bin/env python3
"""Compare lazy-einsum's criterion medians with numpy.einsum and opt_einsum.

Not part of CI. Run the Rust benchmarks first, then this script:

    cargo bench -p lazy-einsum-benches --bench kernels --bench chain --bench seed
    python3 -m venv /tmp/bench && /tmp/bench/bin/pip install numpy opt_einsum threadpoolctl
    /tmp/bench/bin/python scripts/compare_numpy.py [--only SUBSTR] [--min-time 0.5] [--paired]

It times the same cases as benches/{kernels,chain,seed}.rs (same shapes;
random data, since timings do not depend on the values) with numpy pinned
to one BLAS thread, and again with two threads for the large GEMM, chain and
seed rows. It reads the criterion medians from
`<target>/criterion/**/new/estimates.json` (`<target>` is $CARGO_TARGET_DIR
or ./target next to this script's parent) and prints one markdown table to
stdout. It writes no files.

With --paired it runs each case's two criterion benchmarks (einsum! and its
Rust baseline, `cargo bench -p lazy-einsum-benches --bench B -- REGEX`) just before timing numpy on
that case, so both sides are measured seconds apart: on a shared machine
whose memory bandwidth changes from one minute to the next, results of a
benchmark run made minutes earlier can be off by 2x on memory-bound rows.

The seed rows time E as the four hand-expanded einsums (numpy cannot
materialize C + C2 at these sizes) with optimize='optimal', optimize=True
and opt_einsum.contract. numpy returns a view for `ijk->kji`; there the numpy
and opt_einsum times include copying it into a new C-order array (einsum!
returns an owned array), and the note gives the time of the bare view.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import opt_einsum as oe
from threadpoolctl import threadpool_info, threadpool_limits

SEED = 2026


def timeit(fn, min_time, min_reps=5):
    """Median wall time in seconds: one warm-up call, then at least `min_reps`
    calls and at least `min_time` seconds (one call if it takes over 2 s)."""
    t0 = time.perf_counter()
    fn()
    if time.perf_counter() - t0 > 2.0:
        min_reps = 1
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


def batch_for(n):
    """benches/kernels.rs: batch size of the bij,bjk->bik case."""
    return 32 if n <= 64 else 8 if n <= 256 else 2


def cases(rng):
    """(name, criterion ids (einsum, rust baseline), einsum expressions with
    their operands, large?, note). A case with several expressions (the seed)
    is timed as their sum."""
    r = lambda *shape: rng.random(shape) - 0.5
    out = []
    for n in (64, 256, 1024):
        big = n >= 1024
        a, b = r(n, n), r(n, n)
        out.append((f"ij,jk->ik n={n}", (f"gemm_ij_jk_ik/einsum/{n}", f"gemm_ij_jk_ik/dgemm/{n}"),
                    [("ij,jk->ik", (a, b))], big, ""))
        out.append((f"ji,kj->ik n={n}", (f"gemm_ji_kj_ik/einsum/{n}", f"gemm_ji_kj_ik/dgemm/{n}"),
                    [("ji,kj->ik", (a, b))], big, ""))
        nb = batch_for(n)
        a3, b3 = r(nb, n, n), r(nb, n, n)
        out.append((f"bij,bjk->bik n={n} b={nb}",
                    (f"gemm_bij_bjk_bik/einsum/{n}x{nb}", f"gemm_bij_bjk_bik/dgemm/{n}x{nb}"),
                    [("bij,bjk->bik", (a3, b3))], big, ""))
        s = int(round(n ** 0.5))
        out.append((f"ijk,jkl->il n={n} (j=k={s})",
                    (f"gemm_ijk_jkl_il/einsum/{n}", f"gemm_ijk_jkl_il/dgemm/{n}"),
                    [("ijk,jkl->il", (r(n, s, s), r(s, s, n)))], big, ""))
    out.append(("ii-> n=4096", ("loop_ii/einsum/4096", "loop_ii/hand/4096"),
                [("ii->", (r(4096, 4096),))], False, ""))
    out.append(("ij,ij-> n=1024", ("loop_ij_ij/einsum/1024", "loop_ij_ij/hand/1024"),
                [("ij,ij->", (r(1024, 1024), r(1024, 1024)))], False, ""))
    for n in (128, 120):
        out.append((f"ijk->kji n={n}", (f"loop_ijk_kji/einsum/{n}", f"loop_ijk_kji/hand/{n}"),
                    [("ijk->kji", (r(n, n, n),))], False, "numpy: view"))
    out.append(("i,j->ij n=1024", ("loop_i_j_ij/einsum/1024", "loop_i_j_ij/hand/1024"),
                [("i,j->ij", (r(1024), r(1024)))], False, ""))
    out.append(("ij->j n=2048", ("loop_ij_j/einsum/2048", "loop_ij_j/hand/2048"),
                [("ij->j", (r(2048, 2048),))], False, ""))
    for n in (3, 4):
        out.append((f"ij,jk->ik {n}x{n}", (f"tiny_matmul/einsum/{n}", f"tiny_matmul/hand/{n}"),
                    [("ij,jk->ik", (r(n, n), r(n, n)))], False, ""))
    n = 1500
    out.append((f"ij,jk,k->i n={n}", (f"chain_ij_jk_k_i/einsum/{n}", f"chain_ij_jk_k_i/ndarray_dot/{n}"),
                [("ij,jk,k->i", (r(n, n), r(n, n), r(n)))], True, ""))
    for n in (500, 2000):
        q = n
        B, A, Y2, Z2 = r(q), r(n, n), r(n), r(q, n)
        expanded = [
            ("i,jk,i,kj->k", (B, A, B, A)),
            ("i,jk,k,ij->k", (B, A, Y2, Z2)),
            ("j,ik,i,kj->k", (Y2, Z2, B, A)),
            ("j,ik,k,ij->k", (Y2, Z2, Y2, Z2)),
        ]
        out.append((f"seed E n=q={n}", (f"seed_E/einsum/{n}", f"seed_E/hand/{n}"), expanded,
                    n >= 2000, "4 expanded einsums"))
    return out


def implementations(exprs, seed, materialize):
    """numpy/opt_einsum callables for a case: each evaluates all its
    expressions; with `materialize`, a returned view is copied to a new
    C-order array, as einsum! returns an owned array."""
    def run(f):
        if materialize:
            return lambda: [np.ascontiguousarray(f(e, ops)) for e, ops in exprs]
        return lambda: [f(e, ops) for e, ops in exprs]

    impls = {}
    if seed:
        impls["np_optimal"] = run(lambda e, ops: np.einsum(e, *ops, optimize="optimal"))
    impls["np_true"] = run(lambda e, ops: np.einsum(e, *ops, optimize=True))
    impls["opt_einsum"] = run(lambda e, ops: oe.contract(e, *ops))
    return impls


def criterion_medians(root):
    """full_id -> median in seconds, from every `new/estimates.json` under root."""
    medians = {}
    for est in root.glob("**/new/estimates.json"):
        meta = est.with_name("benchmark.json")
        if not meta.exists():
            continue
        full_id = json.loads(meta.read_text())["full_id"]
        medians[full_id] = json.loads(est.read_text())["median"]["point_estimate"] * 1e-9
    return medians


def bench_target(full_id):
    """The `benches/*.rs` file whose criterion group `full_id` belongs to."""
    group = full_id.split("/")[0]
    return {"chain_ij_jk_k_i": "chain", "seed_E": "seed"}.get(group, "kernels")


def run_criterion(repo, ids):
    """Runs exactly the criterion benchmarks `ids` (one bench target) now."""
    pattern = "^(" + "|".join(re.escape(i) for i in ids) + ")$"
    cmd = ["cargo", "bench", "-p", "lazy-einsum-benches", "--bench", bench_target(ids[0]), "--", pattern]
    subprocess.run(cmd, cwd=repo, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def fmt(seconds):
    if seconds is None:
        return "-"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.3g} µs"
    return f"{seconds * 1e9:.3g} ns"


def ratio(x, base):
    return f"{x / base:.2f}" if x is not None and base else "-"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="run only cases whose name contains this")
    parser.add_argument("--min-time", type=float, default=0.5, help="seconds per measurement")
    parser.add_argument("--criterion", type=Path, help="criterion output directory")
    parser.add_argument("--paired", action="store_true",
                        help="run each case's criterion benchmarks just before timing numpy on it")
    args = parser.parse_args()

    repo = Path(__file__).resolve().parent.parent
    target = Path(os.environ.get("CARGO_TARGET_DIR", repo / "target"))
    root = args.criterion or target / "criterion"
    medians = criterion_medians(root)
    if not medians:
        print(f"warning: no criterion results under {root}; run `cargo bench -p lazy-einsum-benches` first", file=sys.stderr)

    blas = [f"{d.get('internal_api')} {d.get('version')} ({d.get('architecture')})"
            for d in threadpool_info() if d.get("user_api") == "blas"]
    print(f"numpy {np.__version__}, opt_einsum {oe.__version__}, BLAS: {', '.join(blas) or 'none'}; "
          f"medians; criterion results from {root}"
          f"{' (each case run just before its numpy timings)' if args.paired else ''}\n")
    header = ["case", "lazy-einsum", "Rust baseline", "numpy optimize=True", "opt_einsum",
              "numpy / lazy", "opt_einsum / lazy", "numpy 'optimal'", "numpy 2 thr", "opt_einsum 2 thr", "note"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))

    rng = np.random.default_rng(SEED)
    for name, (ours_id, base_id), exprs, big, note in cases(rng):
        if args.only not in name:
            continue
        if args.paired:
            run_criterion(repo, [ours_id, base_id])
            medians = criterion_medians(root)
        seed = name.startswith("seed")
        view = note == "numpy: view"
        impls = implementations(exprs, seed, materialize=view)
        with threadpool_limits(limits=1, user_api="blas"):
            one = {k: timeit(f, args.min_time) for k, f in impls.items()}
        two = {}
        if big:
            with threadpool_limits(limits=2, user_api="blas"):
                two = {k: timeit(f, args.min_time) for k, f in impls.items() if k != "np_optimal"}
        if view:
            (e, ops), = exprs
            bare = timeit(lambda: np.einsum(e, *ops, optimize=True), args.min_time)
            note = f"numpy times include np.ascontiguousarray of the view numpy returns ({fmt(bare)} without)"
        ours, base = medians.get(ours_id), medians.get(base_id)
        row = [name, fmt(ours), fmt(base), fmt(one["np_true"]), fmt(one["opt_einsum"]),
               ratio(one["np_true"], ours), ratio(one["opt_einsum"], ours),
               fmt(one.get("np_optimal")), fmt(two.get("np_true")), fmt(two.get("opt_einsum")), note]
        print("| " + " | ".join(row) + " |")
        sys.stdout.flush()
    print("\nRatios above 1: lazy-einsum is faster. numpy and opt_einsum run with 1 BLAS thread "
          "unless the column says 2; lazy-einsum runs matrixmultiply on 1 thread (no `threading` feature).")


if __name__ == "__main__":
    main()
