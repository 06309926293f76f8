// Nested `Vec`s are no matrix: one error, at the operand.
use lazy_einsum::einsum;

fn main() {
    let m: Vec<Vec<f64>> = vec![vec![1.0, 2.0], vec![3.0, 4.0]];
    let _t: f64 = einsum!("ii", m);
}
