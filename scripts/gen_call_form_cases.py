#!/usr/bin/env python3
"""Generates tests/call_form_differential.rs: a differential test of the call form.

    python3 scripts/gen_call_form_cases.py

Draws random, valid `einsum!` call-form expressions (`let` bindings used zero,
one or two times and inside other bindings, nested calls as arguments, sums and
differences of equal-rank terms, scalar coefficients `2.0 * x`, `-x`,
`alpha * x`, repeated labels, batch labels, rank-0 operands given as plain
scalars and as `Array0`, rank-0 results, one variable used several times, and
`out = / += / -=` targets) and writes one `#[test]` per expression. Each test
compiles its expression once and runs it over several assignments of sizes to
its size variables (including 0, 1, 2 and primes), against a reference that
evaluates the same tree eagerly: every call through `common::reference`, every
sum through elementwise arithmetic, every binding as a materialized array.

Deterministic: a fixed seed and Python's `random.Random`, so every run writes
the same file. The output is passed through `rustfmt` (edition 2021), so that
`cargo fmt --all --check` accepts the file as written. Python standard library
only; needs `rustfmt` on the PATH.
"""
import pathlib
import random
import subprocess
import sys

SEED = 15
# Random cases after the fixed regression cases; each einsum! call compiles a
# fair amount of code, so this is bounded by the compile time of the test.
RANDOM_CASES = 46
# Labels of one call; the uppercase label sorts first in implicit outputs.
ALPHABET = "ijklK"
# At most this many calls (nested and in bindings) per case, and at most this
# many terms after the macro multiplies out every sum.
MAX_CALLS = 5
MAX_TERMS = 12
ARRAY_NAMES = list("abcefghmp")
SCALAR_NAMES = list("xyzw")  # plain `T` rank-0 operands
ARR0_NAMES = list("srqu")  # `Array0<T>` rank-0 operands
WIDTH = 100  # rustfmt's max_width


class Leaf:
    """A Rust operand of the test: an array, a plain scalar or an `Array0`."""

    def __init__(self, name, shape, kind):
        self.name, self.shape, self.kind = name, shape, kind  # kind: array | scalar | arr0


class Binding:
    """`let name = expr;` inside the macro."""

    def __init__(self, name, shape, expr):
        self.name, self.shape, self.expr = name, shape, expr


class Call:
    """`"subscripts"(args)`; `args` are Sums."""

    def __init__(self, subscripts, args, repeated, batch, implicit):
        self.subscripts, self.args = subscripts, args
        self.repeated, self.batch, self.implicit = repeated, batch, implicit


class Term:
    """`sign * coef * node`; coef is None, ("lit", text) or ("alpha",)."""

    def __init__(self, sign, coef, node):
        self.sign, self.coef, self.node = sign, coef, node


class Sum:
    """Terms of equal shape; a parenthesized Sum may be a term's node."""

    def __init__(self, terms):
        self.terms = terms


class Case:
    def __init__(self, index, elem):
        self.index, self.elem = index, elem
        self.leaves = []
        self.bindings = []
        self.top = None
        self.shape = ()
        self.target = None  # None, "=", "+=", "-="
        self.n_sizes = 0
        self.size_sets = []
        self.alpha = None  # the value of `alpha`, as Rust source
        self.doc = None  # a first doc line, for the fixed cases


class Failed(Exception):
    """A draw that broke a limit: draw the case again."""


class Generator:
    """Draws one case: bindings first, then the result, top-down. Each call
    gets the size variables of its output, names its own labels, and asks its
    arguments for the size variables their labels stand for, so that every
    expression is valid by construction."""

    def __init__(self, rng, case):
        self.rng = rng
        self.case = case
        self.calls = 0
        self.quota = {}  # binding name -> uses still wanted
        self.used = set()  # bindings used so far

    # -- leaves -------------------------------------------------------------

    def leaf(self, shape):
        """A Rust operand of `shape`: often one already used (fusion), else new."""
        same = [lf for lf in self.case.leaves if lf.shape == shape]
        if same and self.rng.random() < 0.55:
            return self.rng.choice(same)
        if shape:
            kind, pool = "array", ARRAY_NAMES
        elif self.rng.random() < 0.6:
            kind, pool = "scalar", SCALAR_NAMES
        else:
            kind, pool = "arr0", ARR0_NAMES
        used = {lf.name for lf in self.case.leaves}
        names = [n for n in pool if n not in used]
        if not names:
            if same:
                return self.rng.choice(same)
            raise Failed("out of names")
        leaf = Leaf(names[0], shape, kind)
        self.case.leaves.append(leaf)
        return leaf

    # -- expressions ----------------------------------------------------------

    def coefficient(self):
        r = self.rng.random()
        if r < 0.75:
            return None
        if r < 0.9:
            values = ["2.0", "0.5", "3.0", "1.5"] if self.case.elem == "f64" else ["2", "3"]
            return ("lit", self.rng.choice(values))
        return ("alpha",)

    def bindings_of(self, shape):
        return [b for b in self.available if b.shape == shape and self.quota.get(b.name, 0) > 0]

    def term_node(self, shape, depth, want_lazy=False):
        """A binding, a call, a plain operand or (rarely) a parenthesized sum."""
        options = []
        matching = self.bindings_of(shape)
        if matching:
            options.append(("binding", 5))
        if depth > 0 and self.calls < MAX_CALLS:
            options.append(("call", 4 if want_lazy else 3))
        if not want_lazy:
            options.append(("leaf", 3))
            if depth > 0 and self.calls < MAX_CALLS:
                options.append(("paren", 0.4))
        if not options:
            if want_lazy:
                raise Failed("no lazy term possible")
            options.append(("leaf", 1))
        kind = self.weighted(options)
        if kind == "binding":
            b = self.rng.choice(matching)
            self.quota[b.name] -= 1
            self.used.add(b.name)
            return b
        if kind == "call":
            return self.call(shape, depth - 1)
        if kind == "paren":
            return Sum(self.terms(shape, depth - 1, 2 + (self.rng.random() < 0.2)))
        return self.leaf(shape)

    def terms(self, shape, depth, n, first_lazy=False):
        out = []
        for k in range(n):
            sign = -1 if self.rng.random() < (0.15 if k == 0 else 0.5) else 1
            node = self.term_node(shape, depth, want_lazy=first_lazy and k == 0)
            out.append(Term(sign, self.coefficient(), node))
        return out

    def sum(self, shape, depth, weights=(6, 3, 1), first_lazy=False):
        n = self.weighted([(1, weights[0]), (2, weights[1]), (3, weights[2])])
        return Sum(self.terms(shape, depth, n, first_lazy))

    def call(self, out_shape, depth):
        """A call whose result has `out_shape` (a tuple of size variables)."""
        self.calls += 1
        if self.calls > MAX_CALLS:
            raise Failed("too many calls")
        rng = self.rng
        r = len(out_shape)
        letters = list(ALPHABET)
        rng.shuffle(letters)
        out = letters[:r]
        if rng.random() < 0.5:
            out.sort()
        size_of = dict(zip(out, out_shape))
        spare = [c for c in letters if c not in out]

        def label_for(sv, existing_prob):
            have = [c for c, s in size_of.items() if s == sv]
            if have and (rng.random() < existing_prob or not spare):
                return rng.choice(have)
            if not spare:
                raise Failed("out of labels")
            c = spare.pop(0)
            size_of[c] = sv
            return c

        n_ops = self.weighted([(1, 3), (2, 4), (3, 3), (4, 1)])
        ops = []  # [labels, fixed node or None]
        for _ in range(n_ops):
            fixed_bindings = [b for b in self.available if self.quota.get(b.name, 0) > 0]
            unused = [b for b in fixed_bindings if b.name not in self.used]
            roll = rng.random()
            if fixed_bindings and roll < 0.5:
                b = rng.choice(unused or fixed_bindings)
                self.quota[b.name] -= 1
                self.used.add(b.name)
                ops.append([[label_for(sv, 0.5) for sv in b.shape], b])
            elif self.case.leaves and roll < 0.65:
                lf = rng.choice(self.case.leaves)
                ops.append([[label_for(sv, 0.5) for sv in lf.shape], lf])
            else:
                rank = self.weighted([(0, 2), (1, 4), (2, 4), (3, 2)])
                labels = []
                for _ in range(rank):
                    if labels and rng.random() < 0.15:
                        labels.append(rng.choice(labels))  # a diagonal
                    elif size_of and rng.random() < 0.6:
                        labels.append(rng.choice(sorted(size_of)))
                    else:
                        labels.append(label_for(rng.randrange(self.case.n_sizes), 0.0))
                ops.append([labels, None])
        # Every output label must come from some operand.
        for c in out:
            if any(c in labels for labels, _ in ops):
                continue
            free = [op for op in ops if op[1] is None and len(op[0]) < 3]
            if free:
                op = rng.choice(free)
                op[0].insert(rng.randrange(len(op[0]) + 1), c)
            elif len(ops) < 4:
                ops.append([[c], None])
            else:
                raise Failed("output label without operand")
        # Sometimes a batch label: an output label in every operand.
        batch = False
        if out and len(ops) >= 2 and rng.random() < 0.3:
            c = rng.choice(out)
            if all(c in labels or (fixed is None and len(labels) < 3) for labels, fixed in ops):
                for op in ops:
                    if c not in op[0]:
                        op[0].insert(rng.randrange(len(op[0]) + 1), c)
                batch = True
        inputs = ["".join(labels) for labels, _ in ops]
        explicit = ",".join(inputs) + "->" + "".join(out)
        counts = {}
        for c in "".join(inputs):
            counts[c] = counts.get(c, 0) + 1
        implicit_out = sorted(c for c, n in counts.items() if n == 1)
        # Implicit output when it says the same (never for calls without labels).
        implicit = implicit_out == out and bool(counts) and rng.random() < 0.5
        subscripts = ",".join(inputs) if implicit else explicit
        repeated = any(len(set(labels)) < len(labels) for labels, _ in ops)
        args = []
        for labels, fixed in ops:
            shape = tuple(size_of[c] for c in labels)
            if fixed is not None:
                coef = self.coefficient() if rng.random() < 0.3 else None
                args.append(Sum([Term(1, coef, fixed)]))
            else:
                args.append(self.sum(shape, depth))
        return Call(subscripts, args, repeated, batch, implicit)

    def weighted(self, options):
        total = sum(w for _, w in options)
        x = self.rng.random() * total
        for value, w in options:
            x -= w
            if x < 0:
                return value
        return options[-1][0]

    def random_shape(self, rank):
        return tuple(self.rng.randrange(self.case.n_sizes) for _ in range(rank))

    def generate(self):
        rng, case = self.rng, self.case
        case.n_sizes = self.weighted([(2, 2), (3, 3)])
        self.available = []
        n_bindings = self.weighted([(0, 1), (1, 3), (2, 3), (3, 2)])
        for k in range(n_bindings):
            shape = self.random_shape(self.weighted([(0, 2), (1, 3), (2, 3), (3, 2)]))
            expr = self.sum(shape, 1, weights=(5, 3, 1), first_lazy=True)
            b = Binding(f"t{k + 1}", shape, expr)
            case.bindings.append(b)
            self.available.append(b)
            self.quota[b.name] = self.weighted([(0, 1), (1, 3), (2, 3)])
        # The result: often the shape of a binding, so that it can be a term.
        if case.bindings and rng.random() < 0.35:
            case.shape = rng.choice(case.bindings).shape
        else:
            case.shape = self.random_shape(self.weighted([(0, 3), (1, 3), (2, 3), (3, 1)]))
        case.top = self.sum(case.shape, 2, weights=(4, 4, 2), first_lazy=True)
        if rng.random() < 0.25:
            case.target = rng.choice(["=", "+=", "-="])


# -- analysis -------------------------------------------------------------------


def nodes(expr):
    """Every node under a Sum, a Call or a Binding use (not into binding bodies)."""
    if isinstance(expr, Sum):
        for t in expr.terms:
            yield t
            yield from nodes(t.node)
    elif isinstance(expr, Call):
        yield expr
        for a in expr.args:
            yield a
            yield from nodes(a)
    else:
        yield expr


def all_nodes(case):
    for b in case.bindings:
        yield from nodes(b.expr)
    yield from nodes(case.top)


def expanded_terms(expr, bindings):
    if isinstance(expr, Sum):
        return sum(expanded_terms(t.node, bindings) for t in expr.terms)
    if isinstance(expr, Call):
        n = 1
        for a in expr.args:
            n *= expanded_terms(a, bindings)
        return n
    if isinstance(expr, Binding):
        return expanded_terms(expr.expr, bindings)
    return 1


def binding_uses(case):
    uses = {b.name: 0 for b in case.bindings}
    for n in all_nodes(case):
        if isinstance(n, Binding):
            uses[n.name] += 1
    return uses


def reachable_bindings(case):
    """Bindings the result depends on (the reference materializes only those)."""
    seen = set()

    def walk(expr):
        for n in nodes(expr):
            if isinstance(n, Binding) and n.name not in seen:
                seen.add(n.name)
                walk(n.expr)

    walk(case.top)
    return seen


def leaf_uses(case):
    uses = {}
    for n in all_nodes(case):
        if isinstance(n, Leaf):
            uses[n.name] = uses.get(n.name, 0) + 1
    return uses


def features(case):
    """What the case covers, for its doc comment and the summary."""
    f = {}
    uses = binding_uses(case)
    nested_binding = any(
        isinstance(n, Binding) for b in case.bindings for n in nodes(b.expr)
    )
    calls = [n for n in all_nodes(case) if isinstance(n, Call)]
    sums_in_args = sum(
        1 for c in calls for a in c.args if len(a.terms) > 1
    )
    terms = [n for n in all_nodes(case) if isinstance(n, Term)]
    f["bindings"] = len(case.bindings)
    f["binding uses"] = sorted(uses.values())
    f["binding in a binding"] = nested_binding
    f["calls"] = len(calls)
    f["nested calls"] = any(isinstance(t.node, Call) for c in calls for a in c.args for t in a.terms)
    f["sums in arguments"] = sums_in_args
    f["top-level sum"] = len(case.top.terms) > 1
    f["parenthesized sums"] = sum(1 for t in terms if isinstance(t.node, Sum))
    f["literal coefficients"] = sum(1 for t in terms if t.coef and t.coef[0] == "lit")
    f["alpha coefficients"] = sum(1 for t in terms if t.coef and t.coef[0] == "alpha")
    f["negated terms"] = sum(1 for t in terms if t.sign < 0)
    f["scalar operands"] = sorted({lf.name for lf in case.leaves if lf.kind == "scalar"})
    f["Array0 operands"] = sorted({lf.name for lf in case.leaves if lf.kind == "arr0"})
    f["rank-0 call results"] = sum(1 for c in calls if c.subscripts.endswith("->") or (c.implicit and call_out_rank(c) == 0))
    f["rank-0 result"] = not case.shape
    f["target"] = case.target
    f["repeated labels"] = sum(1 for c in calls if c.repeated)
    f["batch labels"] = sum(1 for c in calls if c.batch)
    f["implicit outputs"] = sum(1 for c in calls if c.implicit)
    f["variables used repeatedly"] = sorted(n for n, k in leaf_uses(case).items() if k > 1)
    f["expanded terms"] = expanded_terms(case.top, case.bindings)
    return f


def call_out_rank(call):
    if "->" in call.subscripts:
        return len(call.subscripts.split("->")[1])
    counts = {}
    for c in call.subscripts.replace(",", ""):
        counts[c] = counts.get(c, 0) + 1
    return sum(1 for n in counts.values() if n == 1)


def describe(case):
    f = features(case)
    parts = []
    if f["bindings"]:
        used = ", ".join(str(u) for u in f["binding uses"])
        if f["bindings"] == 1:
            parts.append(f"a binding used {used} time" + ("" if used == "1" else "s"))
        else:
            parts.append(f"{f['bindings']} bindings used {used} times")
    if f["binding in a binding"]:
        parts.append("a binding inside a binding")
    if f["nested calls"]:
        parts.append("nested calls")
    if f["sums in arguments"]:
        n = f["sums in arguments"]
        parts.append("a sum argument" if n == 1 else f"{n} sum arguments")
    if f["top-level sum"]:
        parts.append("a top-level sum")
    if f["parenthesized sums"]:
        parts.append("a parenthesized sum")
    coefs = f["literal coefficients"] + f["alpha coefficients"]
    if coefs:
        parts.append("a coefficient" if coefs == 1 else f"{coefs} coefficients")
    rank0 = f["scalar operands"] + f["Array0 operands"]
    if rank0:
        parts.append("rank-0 operands " + ", ".join(f"`{n}`" for n in rank0))
    if f["rank-0 call results"]:
        parts.append("rank-0 calls")
    if f["rank-0 result"]:
        parts.append("a rank-0 result")
    if f["repeated labels"]:
        parts.append("repeated labels")
    if f["batch labels"]:
        parts.append("batch labels")
    if f["implicit outputs"]:
        parts.append("implicit outputs")
    if f["variables used repeatedly"]:
        parts.append("repeated " + ", ".join(f"`{n}`" for n in f["variables used repeatedly"]))
    if case.target:
        parts.append(f"target `{case.target}`")
    if case.elem != "f64":
        parts.append(case.elem)
    return "; ".join(parts) or "a single call"


# -- sizes ------------------------------------------------------------------------


def size_sets(rng, n):
    """Sizes of the size variables: small, with a 0, with 1s, primes."""
    if n == 0:
        return []
    small = [rng.choice([2, 3]) for _ in range(n)]
    small[rng.randrange(n)] = 2
    zero = [rng.choice([1, 2, 3]) for _ in range(n)]
    zero[rng.randrange(n)] = 0
    ones = [1] * n
    if n > 1:
        ones[rng.randrange(n)] = rng.choice([1, 2])
    primes = [rng.choice([3, 5, 7]) for _ in range(n)]
    return [small, zero, ones, primes]


# -- rendering ----------------------------------------------------------------------


class Renderer:
    """The macro input, laid out as rustfmt would lay out Rust of that shape."""

    def __init__(self, case):
        self.case = case

    def flat(self, node):
        if isinstance(node, Sum):
            out = []
            for k, t in enumerate(node.terms):
                body = self.flat(t.node)
                if isinstance(t.node, Sum):
                    body = f"({body})"
                if t.coef:
                    c = t.coef[1] if t.coef[0] == "lit" else "alpha"
                    body = f"{c} * {body}"
                if k == 0:
                    out.append(("-" if t.sign < 0 else "") + body)
                else:
                    out.append(("- " if t.sign < 0 else "+ ") + body)
            return " ".join(out)
        if isinstance(node, Call):
            return f'"{node.subscripts}"(' + ", ".join(self.flat(a) for a in node.args) + ")"
        return node.name

    def lines(self, node, indent, prefix="", suffix=""):
        """`prefix node suffix` at `indent`, broken over lines if too wide."""
        text = " " * indent + prefix + self.flat(node) + suffix
        if len(text) <= WIDTH:
            return [text]
        pad = " " * indent
        if isinstance(node, Sum) and len(node.terms) > 1:
            # First term on the first line, the others indented by 4 below.
            first = Sum([node.terms[0]])
            out = self.lines(first, indent, prefix)
            for t in node.terms[1:]:
                op = "- " if t.sign < 0 else "+ "
                body = Sum([Term(1, t.coef, t.node)])
                last = t is node.terms[-1]
                out += self.lines(body, indent + 4, op, suffix if last else "")
            return out
        if isinstance(node, Sum):
            t = node.terms[0]
            head = prefix + ("-" if t.sign < 0 else "")
            if t.coef:
                head += (t.coef[1] if t.coef[0] == "lit" else "alpha") + " * "
            if isinstance(t.node, Sum):
                return [pad + head + "("] + self.lines(t.node, indent + 4) + [pad + ")" + suffix]
            return self.lines(t.node, indent, head, suffix)
        if isinstance(node, Call):
            out = [pad + prefix + f'"{node.subscripts}"(']
            for a in node.args:
                out += self.lines(a, indent + 4, "", ",")
            out.append(pad + ")" + suffix)
            return out
        return [text]


def wrap(text, prefix, hang=""):
    """`text` as comment lines of at most WIDTH characters, continuation lines
    indented by `hang` (list items)."""
    lines, line = [], prefix
    for word in text.split(" "):
        if line.strip() and len(line) + 1 + len(word) > WIDTH:
            lines.append(line)
            line = prefix + hang
        line += ("" if line in (prefix, prefix + hang) else " ") + word
    lines.append(line)
    return lines


def rust_coef(case, term):
    f64 = case.elem == "f64"
    if term.coef is None:
        value = "1.0" if f64 else "1"
    elif term.coef[0] == "lit":
        value = term.coef[1]
    else:
        value = "alpha"
    return ("-" if term.sign < 0 else "") + value


def single(arg):
    """The node of a one-term argument without sign or coefficient, else None."""
    if len(arg.terms) == 1 and arg.terms[0].sign > 0 and arg.terms[0].coef is None:
        return arg.terms[0].node
    return None


def reference_expr(case, node):
    """Rust code computing `node` eagerly as an `ArrayD`."""
    if isinstance(node, Sum):
        if len(node.terms) == 1 and node.terms[0].sign > 0 and node.terms[0].coef is None:
            return reference_expr(case, node.terms[0].node)
        parts = [f"({rust_coef(case, t)}, {reference_expr(case, t.node)})" for t in node.terms]
        return "lin([" + ", ".join(parts) + "])"
    if isinstance(node, Call):
        if len(node.args) == 1 and isinstance(single(node.args[0]), Binding):
            # One materialized binding: borrowed, not cloned.
            name = single(node.args[0]).name
            return f'reference("{node.subscripts}", std::slice::from_ref(&want_{name}))'
        args = ", ".join(reference_expr(case, a) for a in node.args)
        return f'reference("{node.subscripts}", &[{args}])'
    if isinstance(node, Binding):
        return f"want_{node.name}.clone()"
    if node.kind == "scalar":
        return f"d(&arr0({node.name}))"
    return f"d(&{node.name})"


RANK_TYPES = ["Array0", "Array1", "Array2", "Array3"]


def shape_text(shape):
    if not shape:
        return "()"
    dims = [f"n{s}" for s in shape]
    if len(dims) == 1:
        return dims[0]
    return "(" + ", ".join(dims) + ")"


def value_type(case, shape):
    if not shape:
        return case.elem
    return f"{RANK_TYPES[len(shape)]}<{case.elem}>"


def render_case(case):
    T = case.elem
    out = []
    if case.doc:
        out += wrap(case.doc, "/// ")
        out.append("///")
    text = describe(case)
    out += wrap(text[0].upper() + text[1:] + ".", "/// ")
    out.append("#[test]")
    out.append(f"fn case_{case.index:02}() {{")
    out.append(f"    let mut rng = Lcg::new({1000 + case.index});")
    terms = [n for n in all_nodes(case) if isinstance(n, Term)]
    if any(t.coef and t.coef[0] == "alpha" for t in terms):
        alpha = case.alpha
        out.append(f"    let alpha: {T} = {alpha};")
    used_sizes = sorted(
        {s for lf in case.leaves for s in lf.shape} | set(case.shape if case.target else ())
    )
    if case.size_sets:
        sets = ", ".join("[" + ", ".join(str(s) for s in st) + "]" for st in case.size_sets)
        out.append(f"    for sizes in [{sets}] {{")
        names = ", ".join(f"n{s}" if s in used_sizes else "_" for s in range(case.n_sizes))
        out.append(f"        let [{names}] = sizes;")
        what = f'&format!("case {case.index}, sizes {{sizes:?}}")'
    else:
        out.append("    for draw in 0..3 {")
        what = f'&format!("case {case.index}, draw {{draw}}")'
    ind = " " * 8
    for lf in case.leaves:
        if lf.kind == "scalar":
            out.append(f"{ind}let {lf.name}: {T} = scalar(&mut rng);")
        else:
            out.append(
                f"{ind}let {lf.name}: {RANK_TYPES[len(lf.shape)]}<{T}> = "
                f"random({shape_text(lf.shape)}, &mut rng);"
            )
    r = Renderer(case)
    body = []
    for b in case.bindings:
        body += r.lines(b.expr, 12, f"let {b.name} = ", ";")
    if case.target:
        out.append(
            f"{ind}let mut out: {RANK_TYPES[len(case.shape)]}<{T}> = "
            f"random({shape_text(case.shape)}, &mut rng);"
        )
        if case.target != "=":
            out.append(f"{ind}let init = d(&out);")
        body += r.lines(case.top, 12, f"out {case.target} ")
        out.append(f"{ind}einsum! {{")
        out += body
        out.append(f"{ind}}};")
    else:
        out.append(f"{ind}let got: {value_type(case, case.shape)} = einsum! {{")
        out += body
        out += r.lines(case.top, 12)
        out.append(f"{ind}}};")
    reach = reachable_bindings(case)
    for b in case.bindings:
        if b.name in reach:
            out.append(f"{ind}let want_{b.name} = {reference_expr(case, b.expr)};")
    out.append(f"{ind}let want = {reference_expr(case, case.top)};")
    one = "1.0" if T == "f64" else "1"
    if case.target is None:
        out.append(f"{ind}check_result({what}, got, &want);")
    elif case.target == "=":
        out.append(f"{ind}assert_close({what}, &d(&out), &want);")
    else:
        sign = "" if case.target == "+=" else "-"
        out.append(
            f"{ind}assert_close({what}, &d(&out), &combine(&init, {one}, &want, {sign}{one}));"
        )
    out.append("    }")
    out.append("}")
    return "\n".join(out)


HEADER = '''\
//! Differential test of the call form (issue 15): random `einsum!` expressions
//! with `let` bindings, nested calls, sums and differences, scalar coefficients,
//! repeated and batch labels, rank-0 operands (plain scalars and `Array0`),
//! rank-0 results, one variable used several times (fused passes) and output
//! targets, each checked against the same expression evaluated eagerly: every
//! call by the naive `common::reference`, every sum elementwise, every binding
//! as a materialized array. Each case runs at several sizes of its size
//! variables `n0`, `n1`, `n2`, including 0, 1, 2 and primes.
//!
//! GENERATED by `python3 scripts/gen_call_form_cases.py` (fixed seed): do not
//! edit by hand; change the script and regenerate.
{summary}
mod common;

use common::{{assert_close, check_result, combine, random, reference, Elem, Lcg}};
use lazy_einsum::einsum;
use ndarray::{{{ndarray_imports}}};

fn d<T: Clone, D: Dimension>(a: &Array<T, D>) -> ArrayD<T> {{
    a.clone().into_dyn()
}}

/// A small random scalar (a rank-0 operand passed as a plain `T`).
fn scalar<T: Elem>(rng: &mut Lcg) -> T {{
    random::<T, _>((), rng).into_scalar()
}}

/// `sum of c * x` over the terms, elementwise: the reference of a sum.
fn lin<T: Elem, const N: usize>(terms: [(T, ArrayD<T>); N]) -> ArrayD<T> {{
    let mut terms = terms.into_iter();
    let (c, first) = terms.next().expect("at least one term");
    let mut sum = first.mapv(|x| x.r_mul(c));
    for (c, x) in terms {{
        sum = combine(&sum, T::one(), &x, c);
    }}
    sum
}}
'''


FIXED_DOC = (
    "Found panicking by an earlier differential fuzz: the two terms' steps over the "
    "scalar `x` run as one fused pass anchored on a rank-0 operand."
)


def regression_cases():
    """The shapes the earlier fuzz found panicking: a fused pass anchored on a
    rank-0 operand."""
    cases = []
    # let r: f64 = einsum! { ",,->"(x, y, y) + ",,->"(x, z, z) };
    c = Case(0, "f64")
    x, y, z = Leaf("x", (), "scalar"), Leaf("y", (), "scalar"), Leaf("z", (), "scalar")
    c.leaves = [x, y, z]

    def arg(n):
        return Sum([Term(1, None, n)])

    c.top = Sum(
        [
            Term(1, None, Call(",,->", [arg(x), arg(y), arg(y)], False, False, False)),
            Term(1, None, Call(",,->", [arg(x), arg(z), arg(z)], False, False, False)),
        ]
    )
    c.shape = ()
    c.n_sizes = 0
    c.doc = FIXED_DOC
    cases.append(c)
    # "i,,->i"(v, x, y) + "i,,->i"(w, x, z)
    c = Case(1, "f64")
    v, w = Leaf("v", (0,), "array"), Leaf("w", (0,), "array")
    x, y, z = Leaf("x", (), "scalar"), Leaf("y", (), "scalar"), Leaf("z", (), "scalar")
    c.leaves = [v, w, x, y, z]
    c.top = Sum(
        [
            Term(1, None, Call("i,,->i", [arg(v), arg(x), arg(y)], False, False, False)),
            Term(1, None, Call("i,,->i", [arg(w), arg(x), arg(z)], False, False, False)),
        ]
    )
    c.shape = (0,)
    c.n_sizes = 1
    c.doc = FIXED_DOC
    cases.append(c)
    return cases


def draw_case(index):
    # One stream per case: changing how one case is drawn leaves the others.
    rng = random.Random(SEED * 1000 + index)
    elem = "i64" if rng.random() < 0.17 else "f64"
    for _ in range(1000):
        case = Case(index, elem)
        gen = Generator(rng, case)
        try:
            gen.generate()
        except Failed:
            continue
        if expanded_terms(case.top, case.bindings) > MAX_TERMS:
            continue
        case.alpha = rng.choice(["-1.5", "0.25", "2.5"] if elem == "f64" else ["-3", "2"])
        used = {s for lf in case.leaves for s in lf.shape} | set(case.shape)
        # Renumber the size variables densely.
        order = sorted(used)
        remap = {s: k for k, s in enumerate(order)}
        for lf in case.leaves:
            lf.shape = tuple(remap[s] for s in lf.shape)
        case.shape = tuple(remap[s] for s in case.shape)
        for b in case.bindings:
            b.shape = tuple(remap[s] for s in b.shape)
        case.n_sizes = len(order)
        case.size_sets = size_sets(rng, case.n_sizes)
        return case
    raise RuntimeError("no valid case drawn")


def main():
    cases = regression_cases()
    for c in cases:
        c.alpha = "1.0"
        c.size_sets = size_sets(random.Random(SEED * 1000 + c.index), c.n_sizes)
    for k in range(RANDOM_CASES):
        cases.append(draw_case(len(cases)))
    totals = summarize(cases)
    summary = "//!\n" + "\n".join(w for line in totals for w in wrap(line, "//! ", "  " if line.startswith("- ") else "")) + "\n"
    types = set()
    for c in cases:
        for lf in c.leaves:
            types.add("arr0" if lf.kind == "scalar" else RANK_TYPES[len(lf.shape)])
        if c.target or c.shape:
            types.add(RANK_TYPES[len(c.shape)])
    imports = sorted(types - {"arr0"}) + ["Array", "ArrayD", "Dimension"]
    imports = (["arr0"] if "arr0" in types else []) + sorted(imports)
    text = HEADER.format(summary=summary, ndarray_imports=", ".join(imports)) + "\n" + "\n\n".join(render_case(c) for c in cases) + "\n"
    formatted = subprocess.run(
        ["rustfmt", "--edition", "2021", "--emit", "stdout"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = pathlib.Path(__file__).resolve().parent.parent / "tests" / "call_form_differential.rs"
    path.write_text(formatted)
    print(f"wrote {path}: {len(cases)} cases", file=sys.stderr)
    for line in totals:
        print("  " + line, file=sys.stderr)


def summarize(cases):
    fs = [features(c) for c in cases]
    n = len(cases)
    with_bindings = sum(1 for f in fs if f["bindings"])
    uses = [u for f in fs for u in f["binding uses"]]
    lines = [
        f"{n} cases ({sum(1 for c in cases if c.elem == 'i64')} in i64, compared exactly), "
        f"{sum(f['calls'] for f in fs)} calls:",
        f"- {with_bindings} with bindings ({len(uses)} bindings: used 0 times {uses.count(0)}, "
        f"once {uses.count(1)}, twice or more {sum(1 for u in uses if u >= 2)}; "
        f"{sum(1 for f in fs if f['binding in a binding'])} with a binding inside a binding);",
        f"- {sum(1 for f in fs if f['nested calls'])} with nested calls, "
        f"{sum(1 for f in fs if f['sums in arguments'])} with sums in arguments, "
        f"{sum(1 for f in fs if f['top-level sum'])} with a top-level sum, "
        f"{sum(1 for f in fs if f['parenthesized sums'])} with a parenthesized sum;",
        f"- {sum(1 for f in fs if f['literal coefficients'] + f['alpha coefficients'])} with "
        f"coefficients ({sum(1 for f in fs if f['alpha coefficients'])} with `alpha`), "
        f"{sum(1 for f in fs if f['negated terms'])} with negated terms;",
        f"- {sum(1 for f in fs if f['scalar operands'] or f['Array0 operands'])} with rank-0 "
        f"operands ({sum(1 for f in fs if f['scalar operands'])} plain scalars, "
        f"{sum(1 for f in fs if f['Array0 operands'])} `Array0`), "
        f"{sum(1 for f in fs if f['rank-0 call results'])} with rank-0 calls, "
        f"{sum(1 for f in fs if f['rank-0 result'])} with a rank-0 result;",
        f"- {sum(1 for f in fs if f['repeated labels'])} with repeated labels, "
        f"{sum(1 for f in fs if f['batch labels'])} with batch labels, "
        f"{sum(1 for f in fs if f['implicit outputs'])} with implicit outputs, "
        f"{sum(1 for f in fs if f['variables used repeatedly'])} using a variable repeatedly;",
        f"- {sum(1 for c in cases if c.target)} with output targets "
        f"({', '.join(t + ' ' + str(sum(1 for c in cases if c.target == t)) for t in ['=', '+=', '-='])}).",
    ]
    return lines


if __name__ == "__main__":
    main()
