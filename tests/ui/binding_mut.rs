use lazy_einsum::einsum;
use lazy_einsum::ndarray::Array2;

fn main() {
    let a = Array2::<f64>::zeros((2, 3));
    let _c = einsum! {
        let mut c = "ij->ji"(a);
        "ij->ij"(c)
    };
}
