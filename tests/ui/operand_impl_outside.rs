// `Operand` is sealed: the kernels read raw memory through the pointer,
// shape and strides an operand reports, so a type outside the runtime may
// not claim to be one (this one would claim 1000 elements behind one).
use einsum_runtime::operand::{Operand, RawParts};

struct Liar(f64);

impl Operand for Liar {
    type Elem = f64;
    type Dim = ndarray::Ix1;
    fn raw_parts(&self) -> RawParts<'_, f64> {
        RawParts {
            ptr: &self.0,
            shape: &[1000],
            strides: &[1],
        }
    }
}

fn main() {
    let liar = Liar(1.0);
    let _sum: f64 = lazy_einsum::einsum!("i->", liar);
}
