// An output target that is also an operand would be written while it is
// read: each such operand is an error saying to compute into a new array.
use lazy_einsum::einsum;
use lazy_einsum::ndarray::Array2;

fn main() {
    let b = Array2::<f64>::zeros((2, 2));
    let mut c = Array2::<f64>::zeros((2, 2));
    einsum! { c += "ij,jk->ik"(c, b) };
    einsum! { c = "ij,jk->ik"(b, c.view()) };
    einsum! { c.view_mut() -= 2.0 * "ij->ji"(&c) };
    einsum! {
        let t = "ij->ji"(c.t());
        c += "ij,jk->ik"(t, b)
    };
}
