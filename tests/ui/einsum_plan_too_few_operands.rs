use lazy_einsum::ndarray::Array2;

fn main() {
    let a = Array2::<f64>::zeros((2, 3));
    let _c = lazy_einsum::einsum_plan!("ij,jk->ik", a);
}
