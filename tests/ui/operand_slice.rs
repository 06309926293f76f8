// A slice is no operand; the error points at it, not at the whole macro.
use lazy_einsum::einsum;
use lazy_einsum::ndarray::Array2;

fn main() {
    let a = Array2::<f64>::zeros((2, 3));
    let v: Vec<f64> = vec![1.0, 2.0, 3.0];
    let _c = einsum!("ij,j->i", a, &v[..]);
    let _d = einsum!("ij,j->i", a, v.as_slice());
}
