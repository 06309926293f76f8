// A generic `D: Dimension` operand under an ellipsis: the message says
// which bound to add, or to pass a dynamic-rank view.
use lazy_einsum::einsum;
use lazy_einsum::ndarray::{Array, ArrayD, Dimension};

fn transpose_last_two<D: Dimension>(a: &Array<f64, D>) -> ArrayD<f64> {
    einsum!("...ij->...ji", a)
}

fn main() {
    let a = lazy_einsum::ndarray::Array3::<f64>::zeros((2, 3, 4));
    let _ = transpose_last_two(&a);
}
