#!/usr/bin/env python3
"""numpy's values for the ellipsis table of tests/ellipsis.rs.

Reads the `table! { ... }` rows of tests/ellipsis.rs (subscripts and operand
shapes), fills operand j with the formula of tests/ellipsis.rs
(`((k * 7 + j * 3 + 1) % 11) - 5` at C-order index k, exact in f64), runs
`np.einsum` (its default C implementation, optimize=False), and writes
tests/data/ellipsis_numpy.txt: per case the result's shape, its sum, a
weighted sum and, for small results, every value; plus cases numpy rejects.
Run it with numpy installed:

    python3 scripts/ellipsis_reference.py
"""
import pathlib
import re

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Inputs numpy raises on: the ellipsis test checks einsum! errors too.
ERRORS = [
    ("...ij->ij", [(2, 3, 4)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (5, 4, 6)]),
    ("...i,...i", [(2, 3), (4, 3)]),
    ("ij...,jk...->ik...", [(3, 4, 2), (4, 5, 3)]),
]


def table():
    text = (ROOT / "tests" / "ellipsis.rs").read_text()
    body = text[text.index("table! {") :]
    body = body[: body.index("\n}\n")]
    rows = []
    for match in re.finditer(r'"([^"]*)" => \[[^\]]*\] on (.*?);', body, re.S):
        subscripts, shapes_text = match.group(1), match.group(2)
        # `[[2, 3], [3]], [[4], []]`: each outer group is one run's shapes.
        runs = re.findall(r"\[((?:\[[^\[\]]*\],?\s*)*)\]", shapes_text)
        for run in runs:
            shapes = [
                tuple(int(d) for d in s.split(",") if d.strip())
                for s in re.findall(r"\[([^\[\]]*)\]", run)
            ]
            rows.append((subscripts, shapes))
    return rows


def operand(j, shape):
    n = int(np.prod(shape, dtype=np.int64))
    flat = np.array([((k * 7 + j * 3 + 1) % 11) - 5 for k in range(n)], dtype=np.float64)
    return flat.reshape(shape)


def shape_text(shapes):
    return ";".join(",".join(str(d) for d in s) for s in shapes)


def main():
    lines = [
        "# numpy " + np.__version__ + ": subscripts | shapes | result shape | sum | weighted sum | values",
        "# weighted sum: value k (C order) times (k % 7) + 1; values only for results of <= 64 elements",
    ]
    for subscripts, shapes in table():
        ops = [operand(j, s) for j, s in enumerate(shapes)]
        result = np.asarray(np.einsum(subscripts, *ops))
        flat = result.reshape(-1)
        weights = np.array([(k % 7) + 1 for k in range(flat.size)], dtype=np.float64)
        values = " ".join(str(int(v)) for v in flat) if flat.size <= 64 else "-"
        lines.append(
            f"{subscripts} | {shape_text(shapes)} | {','.join(str(d) for d in result.shape)}"
            f" | {int(flat.sum())} | {int((flat * weights).sum())} | {values}"
        )
    for subscripts, shapes in ERRORS:
        ops = [operand(j, s) for j, s in enumerate(shapes)]
        try:
            np.einsum(subscripts, *ops)
        except ValueError as error:
            lines.append(f"{subscripts} | {shape_text(shapes)} | error: {error}")
        else:
            raise SystemExit(f"numpy accepted {subscripts} on {shapes}")
    out = ROOT / "tests" / "data" / "ellipsis_numpy.txt"
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {len(lines) - 2} cases to {out}")


if __name__ == "__main__":
    main()
