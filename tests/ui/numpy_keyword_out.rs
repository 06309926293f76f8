// numpy's `out=` is answered with the output target syntax.
use lazy_einsum::einsum;
use lazy_einsum::ndarray::Array2;

fn main() {
    let a = Array2::<f64>::zeros((2, 2));
    let b = Array2::<f64>::zeros((2, 2));
    let mut c = Array2::<f64>::zeros((2, 2));
    einsum!("ij,jk->ik", a, b, out = c);
    einsum!("ij,jk->ik", a, b, out = c.view_mut());
}
