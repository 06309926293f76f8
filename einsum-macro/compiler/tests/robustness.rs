//! Robustness: "the macro itself never panics". Generated inputs, good and
//! bad, go through `einsum_compiler::expand` for each output (both error
//! modes and the plan description); every bad input must end in
//! `compile_error!`s, every good one must expand into a block that parses as
//! a Rust expression and a description starting "einsum plan for". The parse
//! and validate stages are run on their own only to tell how far an input
//! got.
//!
//! Three generators:
//! - [`numpy_form`]: proptest strategies for `"subscripts", operands...`:
//!   1-6 operands of rank 0-5 over a small alphabet with uppercase labels and
//!   repeats, explicit / implicit / scalar outputs, operands reusing one
//!   variable (`a`, `&a`, `a.view()`) at different ranks, wrong operand
//!   counts, and occasional damage to the subscripts (invalid characters, bad
//!   arrows, dots, repeated or unknown output labels) and options.
//! - [`call_form_source`]: a generator driven by a byte string (proptest shrinks the
//!   bytes, which shrinks the input toward its simplest choices) that writes
//!   rank-consistent programs: `let` bindings used 0, 1 or more times, nested
//!   and summed, nested calls, linear combinations with coefficients on either
//!   side, cancelling terms, plain operands in sums, targets `=`, `+=`, `-=`,
//!   options, and now and then a rank mismatch, an unknown name, a malformed
//!   statement or an unsupported operator. Some identifiers and literals are
//!   wrapped in invisible (`Delimiter::None`) groups, as `macro_rules!`
//!   passes `$x:expr` fragments.
//! - [`token_soup`]: balanced random token trees from the macro's vocabulary.
//!
//! Every panic found is kept as a regression test at the end of this file.

use einsum_compiler::{expand, parse, validate, OnError, Output};
use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngSeed, TestCaseError};
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::str::FromStr;
use std::sync::Once;

// ---------------------------------------------------------------------------
// The pipeline, as the proc macros run it.

/// How far an input got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// `syn` rejected the tokens (a compile error).
    Syntax,
    /// Validation reported compile errors.
    Invalid,
    /// The input expanded into code and a plan printout.
    Expanded,
}

/// Expands `tokens` for every output. Beyond not panicking, it checks that a
/// rejected input expands into compile errors only, and that an accepted one
/// expands into code that parses and a plan description.
fn pipeline(tokens: TokenStream) -> Outcome {
    let outcome = match syn::parse2::<parse::MacroInput>(tokens.clone()) {
        Err(_) => Outcome::Syntax,
        Ok(input) => match validate::validate(input) {
            Ok(_) => Outcome::Expanded,
            Err(errors) => {
                assert!(!errors.is_empty(), "rejected without an error");
                Outcome::Invalid
            }
        },
    };
    for on_error in [OnError::Panic, OnError::Return] {
        let code = expand(tokens.clone(), Output::Code(on_error));
        if outcome != Outcome::Expanded {
            assert_compile_errors(&code);
        } else if let Err(e) = syn::parse2::<syn::Expr>(code.clone()) {
            panic!("the expansion does not parse as an expression ({e}):\n{code}");
        }
    }
    let description = expand(tokens, Output::Description);
    if outcome != Outcome::Expanded {
        assert_compile_errors(&description);
    } else {
        match syn::parse2::<syn::LitStr>(description.clone()) {
            Ok(text) => assert!(
                text.value().starts_with("einsum plan for"),
                "{}",
                text.value()
            ),
            Err(e) => panic!("the description is not a string literal ({e}):\n{description}"),
        }
    }
    outcome
}

/// Asserts that `tokens` is a block of one or more `compile_error!`s and nothing else.
fn assert_compile_errors(tokens: &TokenStream) {
    let block: syn::Block = syn::parse2(tokens.clone())
        .unwrap_or_else(|e| panic!("the errors are not a block ({e}):\n{tokens}"));
    let is_compile_error = |mac: &syn::Macro| {
        mac.path
            .segments
            .last()
            .is_some_and(|s| s.ident == "compile_error")
    };
    assert!(
        !block.stmts.is_empty()
            && block.stmts.iter().all(|stmt| match stmt {
                syn::Stmt::Macro(m) => is_compile_error(&m.mac),
                syn::Stmt::Expr(syn::Expr::Macro(m), _) => is_compile_error(&m.mac),
                _ => false,
            }),
        "a rejected input expanded into more than compile errors:\n{tokens}"
    );
}

thread_local! {
    /// Where and why the last panic on this thread happened.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// A panic hook that also records the panic's location and message (for
/// this thread), then runs the previous hook.
fn record_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            LAST_PANIC.with(|last| *last.borrow_mut() = Some(info.to_string()));
            previous(info);
        }));
    });
}

/// Runs the pipeline, turning a panic into an `Err` naming the input.
fn run_tokens(tokens: TokenStream, shown: &str) -> Result<Outcome, String> {
    record_panics();
    LAST_PANIC.with(|last| *last.borrow_mut() = None);
    catch_unwind(AssertUnwindSafe(|| pipeline(tokens))).map_err(|_| {
        let why = LAST_PANIC
            .with(|last| last.borrow_mut().take())
            .unwrap_or_else(|| "a panic".into());
        format!("the macro pipeline panicked on input\n    {shown}\n{why}")
    })
}

/// Runs the pipeline on source text (text `syn` cannot lex is a syntax error).
fn run(src: &str) -> Result<Outcome, String> {
    match TokenStream::from_str(src) {
        Ok(tokens) => run_tokens(tokens, src),
        Err(_) => Ok(Outcome::Syntax),
    }
}

/// `run`, failing the test on a panic.
fn check(src: &str) -> Outcome {
    run(src).unwrap_or_else(|message| panic!("{message}"))
}

/// Cases per property: `PROPTEST_CASES` if set, else `default`. The seed
/// is random unless `PROPTEST_RNG_SEED` is set; failures are not persisted.
fn config(default: u32) -> Config {
    let base = Config::default();
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    Config {
        cases,
        failure_persistence: None,
        rng_seed: match std::env::var("PROPTEST_RNG_SEED") {
            Ok(seed) => RngSeed::Fixed(seed.parse().unwrap_or(0)),
            Err(_) => base.rng_seed,
        },
        ..base
    }
}

// ---------------------------------------------------------------------------
// Shared vocabulary.

/// Labels, lowercase first (the simplest choices come first everywhere).
const LABELS: [char; 7] = ['i', 'j', 'k', 'l', 'm', 'I', 'J'];

/// Rust operands; several name the same variable.
const OPERANDS: [&str; 24] = [
    "a",
    "b",
    "&a",
    "a.view()",
    "&b",
    "x",
    "(a)",
    "self.a",
    "&self.a",
    "&mut a",
    "b.t()",
    "m[0]",
    "2.0",
    "1",
    "f(a)",
    "a.clone()",
    "{ a }",
    "u",
    "Array2::zeros((2, 2))",
    "a.slice(s![.., 0])",
    "a as B",
    "&&a",
    "r#a",
    "a /* note */",
];

/// Scalar coefficients.
const COEFFICIENTS: [&str; 12] = [
    "2.0",
    "alpha",
    "-1.5",
    "2",
    "(1.0 / beta)",
    "s.sqrt()",
    "m[0]",
    "(-2.0)",
    "alpha.powi(2)",
    "T::one()",
    "a",
    "0.0",
];

/// Options: the first [`VALID_OPTIONS`] are well formed (and valid where the
/// subscripts use the labels they name), the others are not.
const OPTIONS: [&str; 37] = [
    "#![sizes(i = 10)]",
    "#![max_intermediate(N^2)]",
    "#![sizes(i = 10 * N, j = N^2)]",
    "#![max_intermediate(1)]",
    "#![max_intermediate(4 * N^2)]",
    "#![sizes(i = 0.5 * N)]",
    "#![sizes(i = 1e300 * N, j = 1e300 * N, k = 1e300)]",
    "#![sizes(i = N^16, j = N^16)]",
    "#![sizes(i = 1e-300 * N^16)]",
    "#![max_intermediate(1e300 * N^16)]",
    "#![sizes(i = 0x10, j = 1_000)]",
    "#![sizes(i = 2, j = 3, k = 5, l = 7, m = 11)]",
    "#![sizes(I = 1000, k = 2)]",
    "#![sizes(i = 1e-300 * N^16, j = 1e-300 * N^16, k = 2)]",
    "#![sizes(i = 1e300, j = 1e300, k = 1e-300 * N^16)]",
    "#![max_intermediate(1e-300 * N^16)]",
    "#![sizes(q = 3)]",
    "#![sizes(i = 0)]",
    "#![sizes(i = -1)]",
    "#![sizes(i = 0.5)]",
    "#![sizes(i = 1e400)]",
    "#![sizes()]",
    "#![sizes(i)]",
    "#![sizes(ij = 2)]",
    "#![sizes(i = 2, i = 3)]",
    "#![sizes(i = N^17)]",
    "#![sizes(i = N * N^16)]",
    "#![sizes(i = a)]",
    "#![max_intermediate()]",
    "#![max_intermediate]",
    "#![max_intermediate = 3]",
    "#![max_intermediate(0.5)]",
    "#![max_intermediate(N, N)]",
    "#![speed(fast)]",
    "#![doc = \"x\"]",
    "#![einsum::sizes(i = 1)]",
    "#[sizes(i = 1)]",
];

/// How many of [`OPTIONS`] are well formed.
const VALID_OPTIONS: usize = 16;

/// Things that break a subscripts string.
const DAMAGE: [&str; 22] = [
    "$", ".", "..", "...", "....", "-", ">", "->", ",", "1", "é", "字", "\t", "\"", "\\", "{", " ",
    "\n", "\0", "=>", "-->", "\u{301}",
];

/// The subscripts as a literal: usually a plain string, sometimes a raw or
/// byte string, or something that is no string literal.
fn literal(subscripts: &str, form: usize) -> String {
    match form {
        1 if !subscripts.contains("\"#") => format!("r#\"{subscripts}\"#"),
        2 => format!("b{subscripts:?}"),
        3 => format!("c{subscripts:?}"),
        4 => format!("({subscripts:?})"),
        5 => "s".into(),
        6 => "1".into(),
        7 => "'i'".into(),
        8 => format!("{subscripts:?}.to_string()"),
        _ => format!("{subscripts:?}"),
    }
}

// ---------------------------------------------------------------------------
// numpy form, from proptest strategies.

/// What follows the operands' labels.
#[derive(Debug, Clone)]
enum OutputSpec {
    /// No `->`: numpy's implicit output.
    Implicit,
    /// `->` then the labels picked (by index into the labels the inputs
    /// use); `repeats` keeps repeated picks, `unknown` adds a label no
    /// input has.
    Explicit {
        picks: Vec<usize>,
        repeats: bool,
        unknown: bool,
        ellipsis: Option<usize>,
    },
}

fn output_spec() -> impl Strategy<Value = OutputSpec> {
    prop_oneof![
        3 => Just(OutputSpec::Implicit),
        6 => (
            prop::collection::vec(0..16usize, 0..=5),
            prop::bool::weighted(0.05),
            prop::bool::weighted(0.05),
            prop::option::weighted(0.25, any::<usize>()),
        )
            .prop_map(|(picks, repeats, unknown, ellipsis)| OutputSpec::Explicit {
                picks,
                repeats,
                unknown,
                ellipsis,
            }),
    ]
}

/// One operand's labels: rank 0-5, repeats likely with this alphabet;
/// sometimes an ellipsis anywhere among them.
fn operand_labels() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(prop::sample::select(LABELS.to_vec()), 0..=5),
        prop::option::weighted(0.2, any::<usize>()),
    )
        .prop_map(|(labels, ellipsis)| with_ellipsis(labels.into_iter().collect(), ellipsis))
}

/// `labels` with `...` inserted at position `at` (modulo its length), if any.
fn with_ellipsis(labels: String, at: Option<usize>) -> String {
    let Some(at) = at else { return labels };
    let chars: Vec<char> = labels.chars().collect();
    let at = at % (chars.len() + 1);
    let (before, after) = chars.split_at(at);
    format!(
        "{}...{}",
        before.iter().collect::<String>(),
        after.iter().collect::<String>()
    )
}

/// `"subscripts"`: 1-6 operands, an output, maybe damaged somewhere.
fn subscripts() -> impl Strategy<Value = String> {
    let damage = prop::option::weighted(
        0.08,
        (any::<usize>(), prop::sample::select(DAMAGE.to_vec())),
    );
    (
        prop::collection::vec(operand_labels(), 1..=6),
        output_spec(),
        damage,
        prop::bool::weighted(0.1),
    )
        .prop_map(|(inputs, output, damage, spaced)| {
            let mut text = inputs.join(",");
            if let OutputSpec::Explicit {
                picks,
                repeats,
                unknown,
                ellipsis,
            } = output
            {
                let mut used: Vec<char> = inputs
                    .iter()
                    .flat_map(|s| s.chars())
                    .filter(|&c| c != '.')
                    .collect();
                used.sort_unstable();
                used.dedup();
                let mut out: Vec<char> = Vec::new();
                for pick in picks {
                    if let Some(&c) = used.get(pick % used.len().max(1)) {
                        if repeats || !out.contains(&c) {
                            out.push(c);
                        }
                    }
                }
                if unknown {
                    out.push('Q');
                }
                text.push_str("->");
                text.push_str(&with_ellipsis(out.into_iter().collect(), ellipsis));
            }
            if let Some((at, damage)) = damage {
                let chars: Vec<char> = text.chars().collect();
                let at = at % (chars.len() + 1);
                text = chars[..at]
                    .iter()
                    .chain(damage.chars().collect::<Vec<_>>().iter())
                    .chain(&chars[at..])
                    .collect();
            }
            if spaced {
                // numpy ignores spaces: `"i j , j k -> i k"`.
                text = text.replace(',', " , ").replace("->", " -> ");
                text = text.chars().flat_map(|c| [c, ' ']).collect();
                text = text.replace("- >", "->");
            }
            text
        })
}

/// An operand of the numpy form: mostly plain Rust values (the same few
/// variables again and again), sometimes lazy expressions.
fn numpy_operand() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => prop::sample::select(OPERANDS[..6].to_vec()).prop_map(String::from),
        4 => prop::sample::select(OPERANDS.to_vec()).prop_map(String::from),
        1 => prop::sample::select(vec![
            "a + b",
            "2.0 * a",
            "a * alpha",
            "-a",
            "a - a",
            "a - &a",
            "\"ij->ji\"(a)",
            "\"i->i\"(b) + a",
            "2.0 * \"ij->ji\"(a) - a.view()",
            "\"ij->ji\"(a).t()",
            "(\"i->i\"(a))",
            "\"i\"",
            "\"\"(a)",
            "a * b",
            "a / 2.0",
            "-(-a)",
        ])
        .prop_map(String::from),
    ]
}

/// Usually no option, else one or two, mostly well formed.
fn options() -> impl Strategy<Value = Vec<&'static str>> {
    let option = prop_oneof![
        4 => prop::sample::select(OPTIONS[..VALID_OPTIONS].to_vec()),
        1 => prop::sample::select(OPTIONS.to_vec()),
    ];
    prop_oneof![
        6 => Just(Vec::new()),
        3 => prop::collection::vec(option, 1..=2),
    ]
}

/// The whole numpy-form input.
fn numpy_form() -> impl Strategy<Value = String> {
    (
        options(),
        prop::option::weighted(0.1, 1..=8usize),
        subscripts(),
        prop::collection::vec(numpy_operand(), 0..=8),
        prop_oneof![24 => Just(0i32), 1 => Just(-1), 1 => Just(1), 1 => Just(3)],
        prop::bool::weighted(0.05),
    )
        .prop_map(|(options, form, subscripts, pool, delta, trailing)| {
            let wanted = subscripts
                .split("->")
                .next()
                .unwrap_or("")
                .split(',')
                .count() as i32;
            let count = (wanted + delta).max(0) as usize;
            let operands: Vec<&str> = (0..count)
                .map(|k| pool.get(k).map_or(OPERANDS[k % 4], String::as_str))
                .collect();
            let mut src = options.join(" ");
            src.push(' ');
            src.push_str(&literal(&subscripts, form.unwrap_or(0)));
            for operand in operands {
                src.push_str(", ");
                src.push_str(operand);
            }
            if trailing {
                src.push(',');
            }
            src
        })
}

// ---------------------------------------------------------------------------
// Call form, from a byte string.

/// Decisions read from bytes; past the end every decision is 0, the
/// simplest choice.
struct Choices<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Choices<'_> {
    /// A number below `n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        let byte = self.bytes.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        if n == 0 {
            0
        } else {
            usize::from(byte) % n
        }
    }

    /// True with probability `1/n` (false for a 0 byte).
    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == n - 1
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// A generated lazy expression.
struct Lazy {
    text: String,
    /// Written as a sum or difference (needs parentheses under `*`).
    sum: bool,
}

impl Lazy {
    fn atom(text: String) -> Lazy {
        Lazy { text, sum: false }
    }

    /// The text, parenthesized if it is a sum.
    fn factor(&self) -> String {
        if self.sum {
            format!("({})", self.text)
        } else {
            self.text.clone()
        }
    }
}

/// Writes one program.
struct Writer<'a, 'b> {
    g: &'a mut Choices<'b>,
    /// `let` bindings written so far: name and rank (`None`: an alias of a
    /// plain operand, whose rank its uses give).
    bindings: Vec<(String, Option<usize>)>,
    /// Calls and sums still to write: distributing multiplies sums out, so
    /// a few keep an input cheap to plan.
    budget: usize,
}

impl Writer<'_, '_> {
    /// An injected fault: rare, so that most programs stay valid.
    fn fault(&mut self) -> bool {
        self.g.one_in(40)
    }

    fn program(&mut self) -> String {
        let mut src = String::new();
        while self.g.one_in(4) {
            let option = if self.fault() {
                self.g.pick(&OPTIONS)
            } else {
                self.g.pick(&OPTIONS[..VALID_OPTIONS])
            };
            src.push_str(option);
            src.push(' ');
        }
        if self.g.one_in(6) {
            // numpy form with lazy operands.
            let rank = self.g.below(4);
            let call = self.call(2, rank);
            let (subscripts, args) = call
                .split_once('(')
                .map(|(s, a)| (s.to_string(), a[..a.len() - 1].to_string()))
                .unwrap_or_default();
            src.push_str(&subscripts);
            if !args.is_empty() {
                src.push_str(", ");
                src.push_str(&args);
            }
            return src;
        }
        for k in 0..self.g.below(4) {
            // Now and then a name bound twice, or one that shadows an operand.
            let name = if self.fault() {
                self.g.pick(&["a", "c"])
            } else {
                ["c", "d", "e"][k]
            };
            let (statement, rank) = self.binding(name);
            src.push_str(&statement);
            src.push(' ');
            self.bindings.push((name.to_string(), rank));
        }
        src.push_str(match self.g.below(8) {
            0..=4 => "",
            5 => "out = ",
            6 => "out += ",
            _ => "out -= ",
        });
        if self.fault() {
            src.push_str(self.g.pick(&[
                "/// doc\n",
                "//! doc\n",
                "#![sizes(i = 2)] ",
                "#[sizes(i = 2)] ",
                "c.view_mut() = ",
                "*out += ",
                "out *= ",
                "out.x -= ",
                "out |= ",
                "a = ",
            ]));
        }
        let rank = self.g.below(4);
        let body = match self.g.below(6) {
            0..=2 => Lazy::atom(self.call(3, rank)),
            3 => self.combination(3, rank),
            4 => match self.binding_of_rank(rank) {
                Some(name) => Lazy::atom(name),
                None => Lazy::atom(self.call(3, rank)),
            },
            _ => self.expr(3, rank),
        };
        src.push_str(&body.text);
        if self.fault() {
            src.push(';');
        }
        src
    }

    /// `let NAME = VALUE;` (now and then malformed) and the rank of VALUE.
    fn binding(&mut self, name: &str) -> (String, Option<usize>) {
        let rank = self.g.below(4);
        let (value, rank) = match self.g.below(5) {
            0 | 1 => (self.call(2, rank), Some(rank)),
            2 => (self.combination(2, rank).text, Some(rank)),
            3 => (self.g.pick(&OPERANDS[..6]).to_string(), None),
            _ => (self.expr(2, rank).text, Some(rank)),
        };
        if !self.fault() {
            return (format!("let {name} = {value};"), rank);
        }
        let statement = match self.g.below(10) {
            0 => format!("let mut {name} = {value};"),
            1 => format!("let {name}: A = {value};"),
            2 => format!("let ({name}, z) = {value};"),
            3 => format!("let {name};"),
            4 => format!("let {name} = {value} else {{ return; }};"),
            5 => format!("#[allow(x)] let {name} = {value};"),
            6 => format!("{value};"),
            7 => format!("let {name} = {value}"),
            8 => "fn f() {}".to_string(),
            _ => format!("let ref {name} = {value};"),
        };
        (statement, rank)
    }

    /// A lazy expression of rank `want` (unless a fault says otherwise).
    fn expr(&mut self, depth: usize, want: usize) -> Lazy {
        if depth > 0 && self.fault() {
            return self.unusual(depth - 1, want);
        }
        let kinds = if depth == 0 || self.budget == 0 { 2 } else { 8 };
        match self.g.below(kinds) {
            0 => Lazy::atom(self.operand()),
            1 => match self.binding_of_rank(want) {
                Some(name) => Lazy::atom(name),
                None => Lazy::atom(self.operand()),
            },
            2 | 3 => Lazy::atom(self.call(depth - 1, want)),
            4 | 5 => self.combination(depth - 1, want),
            6 => {
                let inner = self.expr(depth - 1, want);
                Lazy::atom(format!("-{}", inner.factor()))
            }
            _ => Lazy::atom(format!("({})", self.expr(depth - 1, want).text)),
        }
    }

    fn operand(&mut self) -> String {
        if self.g.one_in(4) {
            self.g.pick(&OPERANDS).to_string()
        } else {
            self.g.pick(&OPERANDS[..6]).to_string()
        }
    }

    /// A binding of rank `want` or of unknown rank (now and then another
    /// one, or a name never bound); `None` without one.
    fn binding_of_rank(&mut self, want: usize) -> Option<String> {
        if self.fault() {
            return Some(self.g.pick(&["zz", "c", "d", "e"]).to_string());
        }
        let fitting: Vec<&String> = self
            .bindings
            .iter()
            .filter(|(_, rank)| rank.is_none_or(|r| r == want))
            .map(|(name, _)| name)
            .collect();
        if fitting.is_empty() {
            return None;
        }
        Some(fitting[self.g.below(fitting.len())].clone())
    }

    /// `"subscripts"(args...)` with an output of rank `want` and arguments
    /// of the ranks their labels give; now and then damaged.
    fn call(&mut self, depth: usize, want: usize) -> String {
        self.budget = self.budget.saturating_sub(1);
        let alphabet = &LABELS[..4 + self.g.below(4)];
        let mut free: Vec<char> = alphabet.to_vec();
        let mut output = Vec::new();
        for _ in 0..want.min(free.len()) {
            output.push(free.remove(self.g.below(free.len())));
        }
        let count = if self.g.one_in(8) {
            4 + self.g.below(3)
        } else {
            1 + self.g.below(3)
        };
        let mut inputs: Vec<Vec<char>> = (0..count)
            .map(|_| {
                let rank = if self.g.one_in(10) {
                    4 + self.g.below(2)
                } else {
                    self.g.below(4)
                };
                (0..rank).map(|_| self.g.pick(alphabet)).collect()
            })
            .collect();
        for &label in &output {
            if !inputs.iter().flatten().any(|&l| l == label) {
                let k = self.g.below(count);
                inputs[k].push(label);
            }
        }
        let mut subscripts = inputs
            .iter()
            .map(|labels| labels.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(",");
        // The implicit output, when it has the wanted rank.
        let implicit: Vec<char> = {
            let all: Vec<char> = inputs.iter().flatten().copied().collect();
            let mut once: Vec<char> = all
                .iter()
                .copied()
                .filter(|&l| all.iter().filter(|&&m| m == l).count() == 1)
                .collect();
            once.sort_unstable();
            once
        };
        if implicit.len() != output.len() || !self.g.one_in(3) {
            subscripts.push_str("->");
            subscripts.extend(&output);
        }
        if self.g.one_in(6) {
            subscripts = self.add_ellipses(&subscripts);
        }
        if self.fault() {
            subscripts = self.damage(subscripts, &output);
        }
        let given = match self.fault() {
            true if self.g.one_in(2) => count + 1,
            true => count - 1,
            false => count,
        };
        let args: Vec<String> = (0..given)
            .map(|k| {
                let rank = match inputs.get(k) {
                    Some(labels) if !self.fault() => labels.len(),
                    _ => self.g.below(4),
                };
                self.expr(depth, rank).text
            })
            .collect();
        let literal = literal(&subscripts, if self.g.one_in(12) { 1 } else { 0 });
        format!("{literal}({})", args.join(", "))
    }

    /// `...` in some operands and maybe the output, anywhere in each.
    fn add_ellipses(&mut self, subscripts: &str) -> String {
        let (inputs, output) = match subscripts.split_once("->") {
            Some((i, o)) => (i, Some(o)),
            None => (subscripts, None),
        };
        let mut place = |labels: &str| {
            let at = (!self.g.one_in(3)).then(|| self.g.below(8));
            with_ellipsis(labels.to_string(), at)
        };
        let inputs: Vec<String> = inputs.split(',').map(&mut place).collect();
        let mut text = inputs.join(",");
        if let Some(output) = output {
            text.push_str("->");
            text.push_str(&place(output));
        }
        text
    }

    fn damage(&mut self, subscripts: String, output: &[char]) -> String {
        match self.g.below(6) {
            0 => format!("{subscripts}{}", output.first().copied().unwrap_or('i')),
            1 => format!("{subscripts}Q"),
            2 => format!("{subscripts}->i"),
            3 => format!("...{subscripts}"),
            4 => format!("{subscripts},"),
            _ => {
                let chars: Vec<char> = subscripts.chars().collect();
                let at = self.g.below(chars.len() + 1);
                let damage = self.g.pick(&DAMAGE);
                chars[..at]
                    .iter()
                    .copied()
                    .chain(damage.chars())
                    .chain(chars[at..].iter().copied())
                    .collect()
            }
        }
    }

    /// A linear combination of 2-3 terms of rank `want`, coefficients on
    /// either side; a term may repeat the one before it (`x - x`).
    fn combination(&mut self, depth: usize, want: usize) -> Lazy {
        self.budget = self.budget.saturating_sub(1);
        let mut text = String::new();
        let mut previous: Option<String> = None;
        for k in 0..2 + self.g.below(2) {
            let sign = self.g.below(2) == 1;
            text.push_str(match (k, sign) {
                (0, false) => "",
                (0, true) => "-",
                (_, false) => " + ",
                (_, true) => " - ",
            });
            let value = match &previous {
                Some(p) if self.g.one_in(3) => Lazy::atom(p.clone()),
                _ => self.expr(depth, want),
            };
            let factor = value.factor();
            let term = match self.g.below(5) {
                0 | 1 => value.text.clone(),
                2 => format!("{} * {factor}", self.g.pick(&COEFFICIENTS)),
                3 => format!("{factor} * {}", self.g.pick(&COEFFICIENTS)),
                _ => format!(
                    "{} * {factor} * {}",
                    self.g.pick(&COEFFICIENTS),
                    self.g.pick(&COEFFICIENTS)
                ),
            };
            let term = if value.sum && term == value.text {
                factor
            } else {
                term
            };
            text.push_str(&term);
            previous = Some(value.text);
        }
        Lazy { text, sum: true }
    }

    /// Operators and places the call form does not take (each an error),
    /// and odd but valid spellings.
    fn unusual(&mut self, depth: usize, want: usize) -> Lazy {
        let x = self.expr(depth, want).factor();
        let text = match self.g.below(18) {
            0 => format!("{x} * {}", self.expr(depth, want).factor()),
            1 => format!("{x} / 2.0"),
            2 => format!("2.0 / {x}"),
            3 => format!("{x} % {}", self.expr(depth, want).factor()),
            4 => format!("{x}.sum()"),
            5 => format!("&{x}"),
            6 => format!("{x} as f64"),
            7 => format!("f({x})"),
            8 => format!("!{x}"),
            9 => format!("{x} == {x}"),
            10 => format!("-(-{x})"),
            11 => format!("2.0 * 3.0 * {x}"),
            12 => format!("{x} * -1.0"),
            13 => format!("alpha * beta * {x} * 2"),
            14 => format!("[{x}]"),
            15 => format!("{x}, #![max_intermediate(N)]"),
            16 => format!("#![sizes(i = 2)] {x}"),
            _ => format!("{x}+{x}"),
        };
        Lazy::atom(text)
    }
}

/// Wraps some identifiers and literals in invisible groups, as
/// `macro_rules!` passes `$x:expr` fragments (decided by `g`).
fn wrap_fragments(tokens: TokenStream, g: &mut Choices) -> TokenStream {
    tokens
        .into_iter()
        .map(|token| match token {
            TokenTree::Group(group) => {
                let mut inner = Group::new(group.delimiter(), wrap_fragments(group.stream(), g));
                inner.set_span(group.span());
                TokenTree::Group(inner)
            }
            TokenTree::Ident(ident)
                if matches!(ident.to_string().as_str(), "a" | "b" | "x" | "c" | "d")
                    && g.one_in(3) =>
            {
                TokenTree::Group(Group::new(Delimiter::None, TokenTree::Ident(ident).into()))
            }
            TokenTree::Literal(literal) if g.one_in(3) => TokenTree::Group(Group::new(
                Delimiter::None,
                TokenTree::Literal(literal).into(),
            )),
            other => other,
        })
        .collect()
}

/// Calls and sums per program.
const BUDGET: usize = 6;

/// A call-form program from `bytes`.
fn call_form_source(bytes: &[u8]) -> String {
    let mut g = Choices { bytes, at: 0 };
    Writer {
        g: &mut g,
        bindings: Vec::new(),
        budget: BUDGET,
    }
    .program()
}

// ---------------------------------------------------------------------------
// Token soup.

const SOUP: [&str; 30] = [
    "\"ij->ji\"",
    "\"i,i\"",
    "\"\"",
    "\"->\"",
    "a",
    "b",
    "c",
    "let",
    "=",
    "+=",
    "-=",
    ";",
    ",",
    "+",
    "-",
    "*",
    "/",
    "2.0",
    "#",
    "!",
    "&",
    ".",
    "view",
    "mut",
    "->",
    "sizes",
    "N",
    "^",
    "_",
    "'a",
];

/// Balanced token trees over [`SOUP`].
fn token_soup() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(SOUP.to_vec()).prop_map(String::from);
    leaf.prop_recursive(3, 40, 6, |inner| {
        (
            prop::collection::vec(inner, 0..6),
            prop::sample::select(vec![("(", ")"), ("[", "]"), ("{", "}"), ("", "")]),
        )
            .prop_map(|(items, (open, close))| format!("{open}{}{close}", items.join(" ")))
    })
}

// ---------------------------------------------------------------------------
// The properties.

/// Fails the case on a panic.
fn no_new_panic(src: &str, outcome: Result<Outcome, String>) -> Result<(), TestCaseError> {
    match outcome {
        Err(message) => Err(TestCaseError::fail(format!("{src}: {message}"))),
        Ok(_) => Ok(()),
    }
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn numpy_form_never_panics(src in numpy_form()) {
        no_new_panic(&src, run(&src))?;
    }

    #[test]
    fn call_form_never_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..200),
        wrap in any::<bool>(),
    ) {
        let src = call_form_source(&bytes);
        let outcome = match TokenStream::from_str(&src) {
            Err(_) => Ok(Outcome::Syntax),
            Ok(tokens) if wrap => {
                let mut g = Choices { bytes: &bytes, at: bytes.len() / 2 };
                let tokens = wrap_fragments(tokens, &mut g);
                let shown = format!("{src}\n    (some identifiers and literals in invisible groups)");
                run_tokens(tokens, &shown)
            }
            Ok(tokens) => run_tokens(tokens, &src),
        };
        no_new_panic(&src, outcome)?;
    }
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn token_soup_never_panics(src in token_soup()) {
        no_new_panic(&src, run(&src))?;
    }
}

/// The generators reach every stage: a property that only ever produced
/// syntax errors would prove little.
#[test]
fn generators_reach_every_outcome() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut counts = [0usize; 3];
    let mut ellipses = 0;
    let mut tally = |outcome: Outcome, src: &str| {
        if outcome == Outcome::Expanded && src.contains("...") {
            ellipses += 1;
        }
        counts[match outcome {
            Outcome::Syntax => 0,
            Outcome::Invalid => 1,
            Outcome::Expanded => 2,
        }] += 1;
    };
    for _ in 0..200 {
        let src = numpy_form()
            .new_tree(&mut runner)
            .expect("a value")
            .current();
        if let Ok(outcome) = run(&src) {
            tally(outcome, &src);
        }
        let bytes = prop::collection::vec(any::<u8>(), 0..200)
            .new_tree(&mut runner)
            .expect("a value")
            .current();
        let src = call_form_source(&bytes);
        if let Ok(outcome) = run(&src) {
            tally(outcome, &src);
        }
    }
    let [syntax, invalid, expanded] = counts;
    assert!(
        syntax >= 1 && invalid >= 80 && expanded >= 150 && ellipses >= 10,
        "{counts:?}, {ellipses} with an ellipsis"
    );
}

// ---------------------------------------------------------------------------
// Regression tests: inputs that panicked once, and other tricky ones.

/// One variable with two ranks in one call (codegen indexed the first
/// use's labels with the second use's axes).
#[test]
fn one_variable_with_two_ranks() {
    assert_eq!(check(r#"",i->i", v, v"#), Outcome::Expanded);
    assert_eq!(check(r#""i,ij->j", a, a"#), Outcome::Expanded);
    assert_eq!(check(r#""ij,i,->", &a, a.view(), a"#), Outcome::Expanded);
    assert_eq!(check(r#""ijk,i,ij->", a, &a, (a)"#), Outcome::Expanded);
    assert_eq!(check(r#""i,ij->ij"(a, "ij->ij"(a))"#), Outcome::Expanded);
}

#[test]
fn degenerate_inputs() {
    for src in [
        "",
        ";",
        "#![sizes(i = 1)]",
        "\"ij->ji\"",
        "\"ij->ji\",",
        "\"\"",
        "\"\", ",
        "\"->\", 2.0",
        "\",,\", a, b, c",
        "\"\"()",
        "\"->\"()",
        "a",
        "a, b",
        "let c = a;",
        "let c = a; c",
        "let c = \"i->i\"(a);",
        "out = a",
        "out += \"i->i\"(a) - \"i->i\"(a)",
        "\"i->i\"(a - a)",
        "\"i->i\"(a - &a)",
        "\"ij->i\"(a - a)",
        "let c = \"i->i\"(a); c - c",
        "\"i,i->\"(a + b - a - b, a)",
        "{ \"i->i\"(a) }",
        "(\"i->i\")(a)",
        "\"i->i\"(a)(b)",
        "\"ij->ji\"(\"ij->ji\"(\"ij->ji\"(\"ij->ji\"(a))))",
    ] {
        check(src);
    }
}

/// Operands, labels and nesting beyond the usual sizes: greedy and
/// operand-order path searches, sums past `MAX_SUM_CHOICES`, deep nesting.
#[test]
fn large_inputs() {
    for operands in [14, 21, 60, 257, 300] {
        let subscripts = vec!["ij"; operands].join(",");
        let args = vec!["a"; operands].join(", ");
        assert_eq!(
            check(&format!("\"{subscripts}->ij\", {args}")),
            Outcome::Expanded
        );
        let chain: Vec<String> = (0..operands)
            .map(|k| format!("{}{}", LABELS[k % 7], LABELS[(k + 1) % 7]))
            .collect();
        check(&format!("\"{}\", {args}", chain.join(",")));
    }
    let all: String = ('a'..='z').chain('A'..='Z').collect();
    assert_eq!(
        check(&format!("\"{all},{all}->{all}\", a, b")),
        Outcome::Expanded
    );
    let sums = ["a + b"; 8].join(", ");
    let ones = ["i"; 8].join(",");
    assert_eq!(check(&format!("\"{ones}->i\"({sums})")), Outcome::Expanded);
    let mut nested = "a".to_string();
    for _ in 0..30 {
        nested = format!("\"ij->ji\"({nested} + b)");
    }
    assert_eq!(check(&nested), Outcome::Expanded);
}

#[test]
fn extreme_options() {
    for src in [
        "#![sizes(i = 1e300 * N, j = 1e300 * N, k = 1e300)] #![max_intermediate(1)] \"ij,jk,kl->il\", a, b, c",
        "#![sizes(i = 1e300, j = 1e300, k = 1e300)] \"ij,jk,ki->\", a, b, c",
        "#![sizes(i = N^16, j = N^16, k = N^16, l = N^16)] \"ij,jk,kl,li->\", a, b, c, d",
        "#![sizes(i = 1e-300 * N^16)] #![max_intermediate(1e-300)] \"ij,jk,kl->il\", a, b, c",
        "#![max_intermediate(1)] \"ij,jk,kl,lm,mi->\", a, b, c, d, e",
    ] {
        check(src);
    }
}

#[test]
fn invisible_groups() {
    let wrap = |tokens: &str| -> TokenTree {
        Group::new(Delimiter::None, TokenStream::from_str(tokens).unwrap()).into()
    };
    let mut numpy = TokenStream::new();
    numpy.extend([
        wrap("\"ij->ji\""),
        TokenStream::from_str(",")
            .unwrap()
            .into_iter()
            .next()
            .unwrap(),
        wrap("a"),
    ]);
    assert_eq!(run_tokens(numpy, "$s, $a").unwrap(), Outcome::Expanded);
    let mut call = TokenStream::new();
    call.extend([
        wrap("\"ij->ji\""),
        Group::new(Delimiter::Parenthesis, wrap("a + b").into()).into(),
    ]);
    assert_eq!(
        run_tokens(call, "$s($a_plus_b)").unwrap(),
        Outcome::Expanded
    );
}

/// Two calls, each summing all 52 labels apart: one term over 104 labels
/// (bit sets of more than one word in the path search).
#[test]
fn more_than_64_labels_in_one_term() {
    let all: String = ('a'..='z').chain('A'..='Z').collect();
    let src = format!("\",->\"(\"{all}->\"(a), \"{all}->\"(b))");
    assert_eq!(check(&src), Outcome::Expanded);
    let src = format!("#![max_intermediate(1)] \"{all},{all}->\"(a, \"{all}->{all}\"(b) + c)");
    assert_eq!(check(&src), Outcome::Expanded);
}

/// Bug 1: see [`binding_of_unknown_rank_used_at_two_ranks`].
const BINDING_AT_TWO_RANKS: [&str; 5] = [
    r#"let c = a; c + "ij->i"(c)"#,
    r#"let c = a + b; c + "ij->i"(c)"#,
    r#"let c = a; let d = c; "i,jk->ijk"(c, d)"#,
    r#"let c = a; let d = -c; "i,jk->ijk"(c, d)"#,
    r#"let c = a; let d = c + "i->i"(b); "i,jk->ijk"(d, c)"#,
];

/// Bug 3: see [`plan_printout_with_a_naive_cost_that_underflows`].
const UNDERFLOWING_SIZES: &str =
    r#"#![sizes(i = 1e-300 * N^16, j = 1e-300 * N^16, k = 2)] "ij,k->k", a, b"#;

/// Bug 1. A binding whose value has no call (`let c = a;`) has no rank
/// until a call argument gives it one. Validation does not carry that rank
/// (a) into the terms of a sum outside any call (the body, or a binding's
/// value) that it saw before the rank was known, nor (b) into the bindings
/// an alias names (`let d = c;`, `let d = -c;`). Distribution then expands
/// the same operand at two ranks: its leaf gets the first rank, and codegen
/// indexes the leaf's labels with the other's axes (`codegen.rs`, sizes:
/// `leaf.chars[axis]`, index out of bounds) when the first is smaller, or
/// silently emits a view of one rank read with the other's axes otherwise
/// (the last input). Expected: a compile error naming the binding and both
/// ranks, as `check_rank` gives for bindings of known rank.
#[test]
fn binding_of_unknown_rank_used_at_two_ranks() {
    for src in BINDING_AT_TWO_RANKS
        .iter()
        .chain(&[r#"let c = a; let d = c; "jk,i->ijk"(d, c)"#])
    {
        assert_eq!(check(src), Outcome::Invalid, "{src}");
    }
}

/// Bug 2. A result whose rank only a binding's use gives (the body is that
/// binding, no call in it) gets the axis names `'a' + k` in
/// `Expander::output_chars` (`distribute.rs`), a `u8` addition that
/// overflows from rank 160 on (and names axes `{`, `|`, ... from rank 27).
#[test]
fn result_of_rank_160_through_a_binding() {
    let labels = "i".repeat(160);
    check(&format!(r#"let c = a; let d = "{labels}"(c); c"#));
}

/// Bug 3. Size hints whose products underflow `f64` (`1e-300 * N^16`
/// twice) make a term's naive cost zero while the planned cost is a
/// non-zero constant; `describe::speedup` then takes `naive.terms()[0]`
/// of an empty polynomial (index out of bounds). Only `einsum_plan!` panics.
#[test]
fn plan_printout_with_a_naive_cost_that_underflows() {
    assert_eq!(check(UNDERFLOWING_SIZES), Outcome::Expanded);
}
