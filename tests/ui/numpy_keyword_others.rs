// numpy's `order=` and `casting=`, and any other `name = value`, are no
// operands; every one is reported, with no operand count error.
use lazy_einsum::einsum;
use lazy_einsum::ndarray::Array2;

fn main() {
    let a = Array2::<f64>::zeros((2, 2));
    let _c = einsum!("ij->ji", a, order = "F", casting = "safe");
    let _d = einsum!("ij->ji", a, alpha = 2.0);
}
