// numpy's `optimize=` is answered, and not counted as an operand.
use lazy_einsum::einsum;
use lazy_einsum::ndarray::Array2;

fn main() {
    let a = Array2::<f64>::zeros((2, 2));
    let b = Array2::<f64>::zeros((2, 2));
    let _c = einsum!("ij,jk->ik", a, b, optimize = true);
    let _d = einsum!("ij,jk->ik", a, b, optimize = "optimal");
    let _e = einsum! { "ij,jk->ik"(a, b, optimize = "greedy") };
}
