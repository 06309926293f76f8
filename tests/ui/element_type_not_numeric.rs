// Elements must have the arithmetic einsum needs.
use lazy_einsum::einsum;
use lazy_einsum::ndarray::Array1;

fn main() {
    let flags = Array1::from(vec![true, false]);
    let _c = einsum!("i,i->i", flags, flags);
}
