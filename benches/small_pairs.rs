//! The cases of `small`, each timed against its hand-written loop in
//! alternation: 31 rounds of einsum then hand, a batch of calls each, and
//! the ratio of each round's pair. On a shared machine whose speed drifts
//! over seconds, criterion's one-function-at-a-time medians gave ratios
//! that moved by 0.5 between runs; adjacent pairs do not see the drift.
//!
//! `cargo bench -p lazy-einsum-benches --bench small_pairs`
//!
//! With `--count CASE SIDE CALLS` it times nothing: it calls one side
//! (`inline`, `fn` or `hand`) of the case whose name starts with `CASE`
//! `CALLS` times and exits, for `scripts/small_instructions.py` to count
//! the instructions per call under callgrind, which code layout does not
//! move.
//!
//! Prints per case the best time per call of each (the fastest round) and
//! the median of the rounds' ratios (target: within 1.1), twice: with
//! `einsum!` written in the timed closure, as `small` and criterion have it
//! (the optimizer inlines it into the timing loop), and with `einsum!` in a
//! function of its own (`#[inline(never)]`, as a user's function holding one
//! `einsum!` is called). The hand loops are functions of their own in both.

mod common;

use common::filled;
use common::hand::*;
use lazy_einsum::einsum;
use ndarray::{Array1, Array2, Array3, Ix1, Ix2, Ix3};
use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Instant;

const ROUNDS: usize = 31;

#[inline(never)]
fn matmul_einsum(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
    einsum!("ij,jk->ik", a, b)
}

#[inline(never)]
fn matvec_einsum(a: &Array2<f64>, v: &Array1<f64>) -> Array1<f64> {
    einsum!("ij,j->i", a, v)
}

#[inline(never)]
fn dot_einsum(x: &Array1<f64>, y: &Array1<f64>) -> f64 {
    einsum!("i,i->", x, y)
}

#[inline(never)]
fn dot_ndarray(x: &Array1<f64>, y: &Array1<f64>) -> f64 {
    x.dot(y)
}

#[inline(never)]
fn batched_einsum(x: &Array3<f64>, y: &Array3<f64>) -> Array3<f64> {
    einsum!("bij,bjk->bik", x, y)
}

#[inline(never)]
fn tensor_vector_einsum(t: &Array3<f64>, v: &Array1<f64>) -> Array2<f64> {
    einsum!("ijk,k->ij", t, v)
}

#[inline(never)]
fn trace_einsum(a: &Array2<f64>) -> f64 {
    einsum!("ii->", a)
}

/// Nanoseconds per call of `f` over `calls` calls.
fn per_call<R>(calls: usize, f: &mut impl FnMut() -> R) -> f64 {
    let start = Instant::now();
    for _ in 0..calls {
        black_box(f());
    }
    start.elapsed().as_secs_f64() * 1e9 / calls as f64
}

/// Times `einsum` and `hand` in alternating rounds and prints the result.
fn pair<R, S>(
    case: &str,
    calls: usize,
    mut einsum: impl FnMut() -> R,
    mut hand: impl FnMut() -> S,
) {
    per_call(calls, &mut einsum);
    per_call(calls, &mut hand);
    let (mut best_einsum, mut best_hand) = (f64::MAX, f64::MAX);
    let mut ratios = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let e = per_call(calls, &mut einsum);
        let h = per_call(calls, &mut hand);
        best_einsum = best_einsum.min(e);
        best_hand = best_hand.min(h);
        ratios.push(e / h);
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "{case:27} einsum {best_einsum:10.2} ns  hand {best_hand:10.2} ns  median ratio {:.2} (rounds {:.2}-{:.2})",
        ratios[ROUNDS / 2],
        ratios[ROUNDS / 4],
        ratios[3 * ROUNDS / 4],
    );
}

/// [`pair`] twice: `einsum!` written in the timed closure (`inline`), and
/// in a function of its own (`as_fn`), each against `hand`.
fn both<R, S>(
    case: &str,
    calls: usize,
    mut inline: impl FnMut() -> R,
    mut as_fn: impl FnMut() -> R,
    mut hand: impl FnMut() -> S,
) {
    if let Some(count) = count_request() {
        if case.starts_with(&count.case) {
            match count.side.as_str() {
                "inline" => drop(per_call(count.calls, &mut inline)),
                "fn" => drop(per_call(count.calls, &mut as_fn)),
                "hand" => drop(per_call(count.calls, &mut hand)),
                side => panic!("--count: side {side:?} is none of inline, fn, hand"),
            }
            std::process::exit(0);
        }
        return;
    }
    pair(&format!("{case}, inline"), calls, inline, &mut hand);
    pair(&format!("{case}, fn"), calls, as_fn, &mut hand);
}

/// `--count CASE SIDE CALLS` (see the module's docs).
struct CountRequest {
    case: String,
    side: String,
    calls: usize,
}

fn count_request() -> Option<&'static CountRequest> {
    static REQUEST: OnceLock<Option<CountRequest>> = OnceLock::new();
    REQUEST
        .get_or_init(|| {
            let args: Vec<String> = std::env::args().collect();
            let at = args.iter().position(|a| a == "--count")?;
            let [case, side, calls] = args.get(at + 1..at + 4)? else {
                return None;
            };
            let calls = calls.parse().expect("--count: CALLS is a number");
            Some(CountRequest {
                case: case.clone(),
                side: side.clone(),
                calls,
            })
        })
        .as_ref()
}

fn main() {
    let (a3, b3) = (filled(Ix2(3, 3), 1), filled(Ix2(3, 3), 2));
    assert_close(
        "matmul 3x3",
        &einsum!("ij,jk->ik", a3, b3),
        &matmul_hand(&a3, &b3),
    );
    both(
        "matmul 3x3",
        50_000,
        || einsum!("ij,jk->ik", black_box(&a3), black_box(&b3)),
        || matmul_einsum(black_box(&a3), black_box(&b3)),
        || matmul_hand(black_box(&a3), black_box(&b3)),
    );

    let (a4, v4) = (filled(Ix2(4, 4), 3), filled(Ix1(4), 4));
    assert_close(
        "matvec 4x4",
        &einsum!("ij,j->i", a4, v4),
        &matvec_hand(&a4, &v4),
    );
    both(
        "matvec 4x4",
        50_000,
        || einsum!("ij,j->i", black_box(&a4), black_box(&v4)),
        || matvec_einsum(black_box(&a4), black_box(&v4)),
        || matvec_hand(black_box(&a4), black_box(&v4)),
    );

    let x3: Array1<f64> = filled(Ix1(3), 5);
    both(
        "dot 3",
        500_000,
        || -> f64 { einsum!("i,i->", black_box(&x3), black_box(&x3)) },
        || dot_einsum(black_box(&x3), black_box(&x3)),
        || dot_ndarray(black_box(&x3), black_box(&x3)),
    );

    let (x, y) = (filled(Ix3(10_000, 3, 3), 6), filled(Ix3(10_000, 3, 3), 7));
    assert_close(
        "batched 3x3",
        &einsum!("bij,bjk->bik", x, y),
        &batched_hand(&x, &y),
    );
    both(
        "batched 10000 x 3x3",
        10,
        || einsum!("bij,bjk->bik", black_box(&x), black_box(&y)),
        || batched_einsum(black_box(&x), black_box(&y)),
        || batched_hand(black_box(&x), black_box(&y)),
    );

    let (t4, w4) = (filled(Ix3(4, 4, 4), 8), filled(Ix1(4), 9));
    assert_close(
        "ijk,k->ij 4x4x4",
        &einsum!("ijk,k->ij", t4, w4),
        &tensor_vector_hand(&t4, &w4),
    );
    both(
        "ijk,k->ij 4x4x4",
        50_000,
        || einsum!("ijk,k->ij", black_box(&t4), black_box(&w4)),
        || tensor_vector_einsum(black_box(&t4), black_box(&w4)),
        || tensor_vector_hand(black_box(&t4), black_box(&w4)),
    );

    both(
        "ii-> 3x3",
        500_000,
        || -> f64 { einsum!("ii->", black_box(&a3)) },
        || trace_einsum(black_box(&a3)),
        || trace_hand(black_box(&a3)),
    );
    if let Some(count) = count_request() {
        panic!("--count: no case starts with {:?}", count.case);
    }
}
