#!/usr/bin/env python3
"""Compile cost of code using `einsum!`, against the same computations
written by hand with ndarray.

Generates throwaway crates under `target/compile-cost/` that depend on this
repository's facade by path, builds each in debug (non-incremental, as from
a clean checkout of the user's crate; the dependencies are built first and
not counted), and reports the CPU time (user + sys) of compiling the crate
itself and the lines of LLVM IR it emits (`cargo rustc -- --emit=llvm-ir`).

    python3 scripts/compile_cost.py            # every crate, 3 builds each
    python3 scripts/compile_cost.py calls hand # some of them
    RUNS=1 python3 scripts/compile_cost.py sum60
    LAZY_EINSUM_REPO=/path/to/other/checkout python3 scripts/compile_cost.py

Crates:
- `calls`: 50 varied `einsum!` calls, one function each (10 expressions, each
  in f64 and f32, plain, scaled, and as a difference of two contractions);
- `hand`: the same 50 functions written with ndarray (`dot`, `t`, `diag`,
  `Zip`-free indexed loops where ndarray has no method);
- `sum60`: one `einsum!` summing 60 terms of two to four operands each;
- `sum60_hand`: the same sum written with ndarray.

Not run in CI: it is a measurement.
"""

import os
import random
import subprocess
import sys
import time
from pathlib import Path

# LAZY_EINSUM_REPO measures another checkout (say, main before a change);
# the crates and their target directory stay in this one.
HERE = Path(__file__).resolve().parent.parent
REPO = Path(os.environ.get("LAZY_EINSUM_REPO", HERE)).resolve()
ROOT = HERE / "target" / "compile-cost" / REPO.name
TARGET = ROOT / "target"
RUNS = int(os.environ.get("RUNS", "3"))

HEADER = """#![allow(clippy::all, unused_imports, dead_code)]
use lazy_einsum::einsum;
use lazy_einsum::ndarray::{Array0, Array1, Array2, Array3, Axis, s};
"""

# (name, argument types as (name, rank), output rank, subscripts, hand body)
# The hand body uses the arguments by name and `T` for the element type.
TEMPLATES = [
    ("matmul", [("a", 2), ("b", 2)], 2, "ij,jk->ik", "a.dot(b)"),
    ("matvec", [("a", 2), ("v", 1)], 1, "ij,j->i", "a.dot(v)"),
    ("dot", [("u", 1), ("v", 1)], 0, "i,i->", "u.dot(v)"),
    ("trace", [("a", 2)], 0, "ii->", "a.diag().sum()"),
    ("transpose", [("a", 2)], 2, "ij->ji", "a.t().to_owned()"),
    (
        "batched",
        [("x", 3), ("y", 3)],
        3,
        "bij,bjk->bik",
        """{
        let mut out = Array3::<T>::zeros((x.shape()[0], x.shape()[1], y.shape()[2]));
        for b in 0..x.shape()[0] {
            out.index_axis_mut(Axis(0), b)
                .assign(&x.index_axis(Axis(0), b).dot(&y.index_axis(Axis(0), b)));
        }
        out
    }""",
    ),
    (
        "tensor_vector",
        [("t", 3), ("v", 1)],
        2,
        "ijk,k->ij",
        """{
        let (n, m, p) = t.dim();
        Array2::from_shape_fn((n, m), |(i, j)| {
            let mut acc: T = 0.0;
            for k in 0..p {
                acc += t[[i, j, k]] * v[k];
            }
            acc
        })
    }""",
    ),
    (
        "outer",
        [("u", 1), ("v", 1)],
        2,
        "i,j->ij",
        "Array2::from_shape_fn((u.len(), v.len()), |(i, j)| u[i] * v[j])",
    ),
    ("frobenius", [("a", 2), ("b", 2)], 0, "ij,ij->", "(a * b).sum()"),
    ("chain", [("a", 2), ("b", 2), ("v", 1)], 1, "ij,jk,k->i", "a.dot(&b.dot(v))"),
]

RUST_TYPE = {0: "Array0", 1: "Array1", 2: "Array2", 3: "Array3"}


def out_type(rank, t):
    return t if rank == 0 else f"{RUST_TYPE[rank]}<{t}>"


def calls(hand):
    """50 functions: each template in 5 variants (f64 and f32, plain, scaled,
    and with the first operand a sum of two arrays)."""
    out = [HEADER]
    for name, args, rank, subs, body in TEMPLATES:
        first, first_rank = args[0]
        for variant in range(5):
            t = "f64" if variant % 2 == 0 else "f32"
            params = [f"{a}: &{RUST_TYPE[r]}<{t}>" for a, r in args]
            operands = [a for a, _ in args]
            if variant == 4:
                params.append(f"{first}2: &{RUST_TYPE[first_rank]}<{t}>")
            fn = f"pub fn {name}_{variant}({', '.join(params)}) -> {out_type(rank, t)}"
            if hand:
                value = f"{{ type T = {t}; {body} }}"
                if variant in (2, 3):
                    value = f"({value}) * 3.0"
                elif variant == 4:
                    value = f"{{ type T = {t}; let {first} = &({first} + {first}2); {body} }}"
                out.append(f"{fn} {{\n    {value}\n}}\n")
            else:
                if variant == 4:
                    operands[0] = f"{first} + {first}2"
                call = f'"{subs}"({", ".join(operands)})'
                expr = f"3.0 * {call}" if variant in (2, 3) else call
                out.append(f"{fn} {{\n    einsum! {{ {expr} }}\n}}\n")
    return "".join(out)


def sum60(hand):
    """One function: a sum of 60 terms of 2 to 4 operands, into `ij`."""
    rng = random.Random(14)
    mats = ["a", "b", "c", "d"]
    vecs = ["u", "v"]
    terms = []
    for _ in range(60):
        n = rng.randint(2, 4)
        shape = rng.choice(["chain", "vec", "outer"]) if n >= 3 else rng.choice(["chain", "had"])
        if shape == "had":
            x, y = rng.choice(mats), rng.choice(mats)
            terms.append(("ij,ij->ij", [x, y], f"({x} * {y})"))
        elif shape == "outer" and n >= 3:
            x, y, z = rng.choice(mats), rng.choice(vecs), rng.choice(vecs)
            outer = f"Array2::from_shape_fn(({x}.nrows(), {x}.ncols()), |(i, j)| {y}[i] * {z}[j])"
            terms.append(("ij,i,j->ij", [x, y, z], f"({x} * &{outer})"))
        elif shape == "vec" and n >= 3:
            x, y, v = rng.choice(mats), rng.choice(mats), rng.choice(vecs)
            terms.append(
                (
                    "ik,kj,j->ij",
                    [x, y, v],
                    f"(&{x}.dot({y}) * &{v}.view().insert_axis(Axis(0)))",
                )
            )
        else:
            chosen = [rng.choice(mats) for _ in range(n)]
            labels = ["i"] + ["k", "l", "m"][: n - 1] + ["j"]
            subs = ",".join(labels[p] + labels[p + 1] for p in range(n)) + "->ij"
            hand_expr = chosen[0]
            for m in chosen[1:]:
                hand_expr = f"{hand_expr}.dot({m})"
            terms.append((subs, chosen, f"({hand_expr})"))
    coefficients = [rng.choice([1, 2, -1, -3]) for _ in terms]
    head = "pub fn sum60(a: &Array2<f64>, b: &Array2<f64>, c: &Array2<f64>, d: &Array2<f64>, u: &Array1<f64>, v: &Array1<f64>) -> Array2<f64>"
    if hand:
        lines = ["    let mut r = Array2::<f64>::zeros((a.nrows(), a.ncols()));"]
        for (subs, args, h), k in zip(terms, coefficients):
            lines.append(f"    r.scaled_add({k}.0, &{h});")
        lines.append("    r")
        return HEADER + f"{head} {{\n" + "\n".join(lines) + "\n}\n"
    parts = []
    for (subs, args, _), k in zip(terms, coefficients):
        call = f'"{subs}"({", ".join(args)})'
        parts.append(f"{k}.0 * {call}")
    body = "\n        + ".join(parts)
    return HEADER + f"{head} {{\n    einsum! {{\n        {body}\n    }}\n}}\n"


CRATES = {
    "calls": lambda: calls(False),
    "hand": lambda: calls(True),
    "sum60": lambda: sum60(False),
    "sum60_hand": lambda: sum60(True),
}


def write_crate(name, source):
    crate = ROOT / name
    (crate / "src").mkdir(parents=True, exist_ok=True)
    (crate / "Cargo.toml").write_text(
        f"""[package]
name = "cost_{name}"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
lazy-einsum = {{ path = "{REPO}" }}

[profile.dev.build-override]
opt-level = 3

[workspace]
"""
    )
    (crate / "src" / "lib.rs").write_text(source)
    return crate


def cargo(crate, *args, capture=False):
    env = dict(os.environ, CARGO_INCREMENTAL="0", CARGO_TARGET_DIR=str(TARGET))
    # Cargo's own options before `--` (`cargo rustc ... -- rustc options`).
    split = args.index("--") if "--" in args else len(args)
    manifest = ["--manifest-path", str(crate / "Cargo.toml")]
    return subprocess.run(
        ["cargo", *args[:split], *manifest, *args[split:]],
        env=env,
        check=True,
        capture_output=capture,
        text=True,
    )


def measure(name):
    crate = write_crate(name, CRATES[name]())
    cargo(crate, "build", "--quiet")  # dependencies (and a first build)
    times = []
    for _ in range(RUNS):
        (crate / "src" / "lib.rs").touch()
        start = os.times()
        wall = time.time()
        cargo(crate, "build", "--quiet")
        end = os.times()
        cpu = (end.children_user - start.children_user) + (end.children_system - start.children_system)
        times.append((cpu, time.time() - wall))
    # LLVM IR of the crate alone.
    deps = TARGET / "debug" / "deps"
    for old in deps.glob(f"cost_{name}-*.ll"):
        old.unlink()
    (crate / "src" / "lib.rs").touch()
    cargo(crate, "rustc", "--quiet", "--lib", "--", "--emit=llvm-ir")
    ir = sum(sum(1 for _ in open(p)) for p in deps.glob(f"cost_{name}-*.ll"))
    cpu, wall = min(times)
    print(f"{name:12} debug CPU {cpu:6.2f} s  wall {wall:6.2f} s  LLVM IR {ir:>9} lines", flush=True)


def main():
    names = sys.argv[1:] or list(CRATES)
    for name in names:
        if name not in CRATES:
            sys.exit(f"unknown crate {name}; one of {', '.join(CRATES)}")
        measure(name)


if __name__ == "__main__":
    main()
