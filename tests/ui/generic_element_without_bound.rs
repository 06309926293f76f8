// Generic code without the element bound: one error, suggesting
// `lazy_einsum::Element` (not the internal bounds it implies).
use lazy_einsum::einsum;
use lazy_einsum::ndarray::Array2;

fn matmul<T: Copy>(a: &Array2<T>, b: &Array2<T>) -> Array2<T> {
    einsum!("ij,jk->ik", a, b)
}

fn trace<T>(m: &Array2<T>) -> T {
    einsum!("ii", m)
}

fn main() {
    let a = Array2::<f64>::eye(2);
    let _ = matmul(&a, &a);
    let _ = trace(&a);
}
