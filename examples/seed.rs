//! The seed problem: the einsums a numpy user ran out of memory on.
//!
//! ```text
//! D1 = einsum("i,jk,i,kj->k", B, A, B, A)
//! ```
//! Run with `cargo run --release --example seed [n q]` (default n = 100, q = 102).

use lazy_einsum::einsum;
use ndarray::{Array1, Array2};
use std::time::Instant;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("sizes are integers"))
        .collect();
    let (n, q) = match args[..] {
        [n, q] => (n, q),
        [] => (100, 102),
        _ => panic!("usage: seed [n q]"),
    };
    let a = Array2::from_shape_fn((n, n), |(j, k)| ((j * 7 + k * 3) % 11) as f64 / 11.0 - 0.5);
    let b = Array1::from_shape_fn(q, |i| ((i * 5) % 13) as f64 / 13.0 - 0.5);

    let start = Instant::now();
    let d1 = einsum!("i,jk,i,kj->k", b, a, b, a);
    let elapsed = start.elapsed();
    println!("n = {n}, q = {q}");
    println!(
        "D1 = einsum(\"i,jk,i,kj->k\", B, A, B, A): checksum {:.12e}, {:.3} ms",
        d1.sum(),
        elapsed.as_secs_f64() * 1e3
    );
}
