use lazy_einsum::einsum;
use lazy_einsum::ndarray::{Array2, Array3};

fn main() {
    let a = Array3::<f64>::zeros((2, 3, 4));
    let b = Array2::<f64>::zeros((4, 5));
    let _c = einsum!("....ij->ij", a);
}
