use lazy_einsum::einsum;
use lazy_einsum::ndarray::{Array1, Array2};

fn main() {
    let v = Array1::<f64>::zeros(4);
    let b = Array2::<f64>::zeros((4, 5));
    let _c = einsum!("...ij,jk->...ik", v, b);
}
