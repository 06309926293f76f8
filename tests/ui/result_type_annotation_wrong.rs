// A wrong annotation of the result is a type mismatch between the
// annotation and the result type, naming no internal function.
use lazy_einsum::{einsum, try_einsum, EinsumError};
use lazy_einsum::ndarray::{Array1, Array2};

fn main() {
    let a = Array2::<f64>::zeros((2, 2));
    let _c: Array1<f64> = einsum!("ij,jk->ik", a, a);
    let _t: f32 = einsum!("ii", a);
    let _r: Result<Array1<f64>, EinsumError> = try_einsum!("ij,jk->ik", a, a);
}
