//! Writes the Rust blocks of the README's "Tour" section into
//! `$OUT_DIR/tour.rs`, as functions `tour_0`, `tour_1`, ..., with the
//! crate's name `lazy_einsum` written as this package calls it, `le`.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let readme =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../../README.md");
    println!("cargo:rerun-if-changed={}", readme.display());
    let text = std::fs::read_to_string(&readme).expect("README.md is readable");
    let start = text
        .find("\n## Tour\n")
        .expect("the README has a Tour section");
    let section = &text[start + 1..];
    let section = &section[..section[1..]
        .find("\n## ")
        .map_or(section.len(), |end| end + 1)];

    let mut blocks = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "```rust" {
            let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
            blocks.push(body.join("\n"));
        }
    }
    assert!(
        blocks.len() >= 3,
        "the Tour has its three Rust blocks, found {}",
        blocks.len()
    );

    let mut out = String::new();
    for (k, block) in blocks.iter().enumerate() {
        let renamed = block.replace("lazy_einsum::", "le::");
        assert!(
            !renamed.contains("lazy_einsum"),
            "block {k} names the crate other than as a path"
        );
        writeln!(
            out,
            "/// Block {k} of the README's tour.\npub fn tour_{k}() {{\n{renamed}\n}}\n"
        )
        .unwrap();
    }
    let calls: Vec<String> = (0..blocks.len()).map(|k| format!("tour_{k}")).collect();
    writeln!(
        out,
        "/// Every block of the README's tour, in order.\npub const TOUR: &[fn()] = &[{}];",
        calls.join(", ")
    )
    .unwrap();
    let path = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("tour.rs");
    std::fs::write(path, out).expect("OUT_DIR is writable");
}
