use lazy_einsum::einsum;
use lazy_einsum::ndarray::{Array1, Array2};

fn main() {
    let a = Array2::<f64>::zeros((2, 3));
    let b = Array1::<f64>::zeros(3);
    let _c = einsum!("ij->ji"(a), b);
}
