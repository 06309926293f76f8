//! The README's tour, compiled in a crate that depends on `lazy-einsum`
//! under the name `le` (see `build.rs`): `einsum!` must reach its runtime
//! through the name the caller gave it, since `::lazy_einsum` does not
//! exist here.

include!(concat!(env!("OUT_DIR"), "/tour.rs"));
