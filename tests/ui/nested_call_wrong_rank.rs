use lazy_einsum::einsum;
use lazy_einsum::ndarray::Array1;

fn main() {
    let b = Array1::<f64>::zeros(3);
    let _c = einsum!("ij,j->i", "i->i"(b), b);
}
