use lazy_einsum::einsum;

fn main() {
    let _c = einsum!("ij->ji");
}
