//! The seed problem: the einsums a numpy user ran out of memory on.
//!
//! ```text
//! C  = einsum("i,jk->ijk", B, A)         # q x n x n
//! C2 = einsum("j,ik->ijk", Y2, Z2)       # Y2: n, Z2: q x n
//! E  = einsum("ijk,ikj->k", C + C2, C + C2)
//! D1 = einsum("i,jk,i,kj->k", B, A, B, A)
//! ```
//!
//! Materializing C takes 64 GB at n = q = 2000. `einsum!` never builds it: it
//! distributes the product of sums into four terms and contracts each in an
//! optimal order, in O(n^2 + qn) time and O(n + q) extra memory.
//!
//! Run with `cargo run --release --example seed [n q]` (default n = q = 2000).

use lazy_einsum::{einsum, einsum_plan};
use ndarray::{Array1, Array2};
use std::time::Instant;

/// The inputs of the seed problem at size n, q: deterministic values in [-0.5, 0.5).
struct Inputs {
    a: Array2<f64>,
    b: Array1<f64>,
    y2: Array1<f64>,
    z2: Array2<f64>,
}

impl Inputs {
    fn new(n: usize, q: usize) -> Self {
        let value = |x: usize, m: usize| (x % m) as f64 / m as f64 - 0.5;
        Inputs {
            a: Array2::from_shape_fn((n, n), |(j, k)| value(j * 7 + k * 3, 11)),
            b: Array1::from_shape_fn(q, |i| value(i * 5, 13)),
            y2: Array1::from_shape_fn(n, |j| value(j * 3 + 1, 7)),
            z2: Array2::from_shape_fn((q, n), |(i, k)| value(i * 2 + k * 5, 17)),
        }
    }

    fn e(&self) -> Array1<f64> {
        let Inputs { a, b, y2, z2 } = self;
        einsum! {
            let c = "i,jk->ijk"(b, a);
            let c2 = "j,ik->ijk"(y2, z2);
            "ijk,ikj->k"(c + c2, c + c2)
        }
    }

    fn d1(&self) -> Array1<f64> {
        let Inputs { a, b, .. } = self;
        einsum!("i,jk,i,kj->k", b, a, b, a)
    }

    /// E from the four hand-expanded products, each summed with plain loops.
    fn e_by_hand(&self) -> Array1<f64> {
        let Inputs { a, b, y2, z2 } = self;
        let (q, n) = z2.dim();
        Array1::from_shape_fn(n, |k| {
            let mut e = 0.0;
            for i in 0..q {
                for j in 0..n {
                    let c_ijk = b[i] * a[[j, k]];
                    let c_ikj = b[i] * a[[k, j]];
                    let c2_ijk = y2[j] * z2[[i, k]];
                    let c2_ikj = y2[k] * z2[[i, j]];
                    e += c_ijk * c_ikj + c_ijk * c2_ikj + c2_ijk * c_ikj + c2_ijk * c2_ikj;
                }
            }
            e
        })
    }
}

/// Runs `f` once cold, then five more times; the value and "cold, median warm" times.
fn timed<T>(mut f: impl FnMut() -> T) -> (T, String) {
    let start = Instant::now();
    let value = f();
    let cold = start.elapsed().as_secs_f64() * 1e3;
    let mut warm: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    warm.sort_by(f64::total_cmp);
    (
        value,
        format!("{cold:.2} ms cold, {:.2} ms median of 5 warm runs", warm[2]),
    )
}

/// Peak resident memory of this process, from /proc (Linux), in MB.
fn peak_resident_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("usage: seed [n q]"))
        .collect();
    let (n, q) = match args[..] {
        [n, q] => (n, q),
        [] => (2000, 2000),
        _ => panic!("usage: seed [n q]"),
    };

    let small = Inputs::new(13, 17);
    let (planned, by_hand) = (small.e(), small.e_by_hand());
    let error = (&planned - &by_hand)
        .iter()
        .fold(0.0f64, |m, x| m.max(x.abs()));
    assert!(
        error < 1e-9,
        "E disagrees with the hand expansion by {error}"
    );
    println!("check: E at n = 13, q = 17 matches the four hand-expanded products (max error {error:.1e})");

    let inputs = Inputs::new(n, q);
    let (e, e_time) = timed(|| inputs.e());
    let (d1, d1_time) = timed(|| inputs.d1());

    println!("n = {n}, q = {q}");
    println!(
        "E  = einsum(\"ijk,ikj->k\", C + C2, C + C2): checksum {:.12e}, {e_time}",
        e.sum()
    );
    println!(
        "D1 = einsum(\"i,jk,i,kj->k\", B, A, B, A):  checksum {:.12e}, {d1_time}",
        d1.sum()
    );
    match peak_resident_mb() {
        Some(mb) => println!(
            "peak resident memory: {mb:.0} MB (inputs: {:.0} MB)",
            ((n * n + q * n + n + q) * 8) as f64 / 1e6
        ),
        None => println!("peak resident memory: unknown (no /proc/self/status)"),
    }
    if std::env::var_os("SEED_PLAN").is_some() {
        println!(
            "\n{}",
            einsum_plan! {
                let c = "i,jk->ijk"(b, a);
                let c2 = "j,ik->ijk"(y2, z2);
                "ijk,ikj->k"(c + c2, c + c2)
            }
        );
    }
}
