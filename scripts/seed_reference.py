#!/usr/bin/env python3
"""Reference values of the seed problem, computed by numpy the way its user did.

    C  = einsum("i,jk->ijk", B, A)         # q x n x n
    C2 = einsum("j,ik->ijk", Y2, Z2)
    E  = einsum("ijk,ikj->k", C + C2, C + C2)
    D1 = einsum("i,jk,i,kj->k", B, A, B, A)

Inputs follow the formulas in tests/seed.rs (small integers, so every value is
exact in f64). Writes tests/data/seed_reference.txt; run it with numpy installed:

    python3 scripts/seed_reference.py
"""
import pathlib

import numpy as np

SIZES = [(1, 1), (2, 3), (5, 4), (13, 17), (20, 20)]


def inputs(n, q):
    a = np.array([[(j * 7 + k * 3) % 11 - 5 for k in range(n)] for j in range(n)], dtype=np.float64)
    b = np.array([(i * 5) % 13 - 6 for i in range(q)], dtype=np.float64)
    y2 = np.array([(j * 3 + 1) % 7 - 3 for j in range(n)], dtype=np.float64)
    z2 = np.array([[(i * 2 + k * 5) % 17 - 8 for k in range(n)] for i in range(q)], dtype=np.float64)
    return a, b, y2, z2


def main():
    out = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "seed_reference.txt"
    lines = [f"# numpy {np.__version__}: n q, then E and D1 (space separated), materialized as the user did"]
    for n, q in SIZES:
        a, b, y2, z2 = inputs(n, q)
        c = np.einsum("i,jk->ijk", b, a)
        c2 = np.einsum("j,ik->ijk", y2, z2)
        e = np.einsum("ijk,ikj->k", c + c2, c + c2)
        d1 = np.einsum("i,jk,i,kj->k", b, a, b, a)
        lines.append(f"{n} {q}")
        lines.append(" ".join(repr(float(x)) for x in e))
        lines.append(" ".join(repr(float(x)) for x in d1))
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
