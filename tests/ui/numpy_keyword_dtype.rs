// numpy's `dtype=` is answered: convert the operands first.
use lazy_einsum::einsum;
use lazy_einsum::ndarray::Array2;

fn main() {
    let a = Array2::<f32>::zeros((2, 2));
    let _c = einsum!("ij,jk->ik", a, a, dtype = f64);
    let _d = einsum!("ij,jk->ik", a, a, dtype = np.float64);
}
