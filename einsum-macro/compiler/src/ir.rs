//! The intermediate representation every later stage works on.

/// One index of a tensor network after renaming: unique within one macro input.
///
/// Labels of different calls never collide: the summed labels of each call are
/// renamed apart before distribution, so two labels are equal exactly when they
/// must take the same value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label(pub u16);

/// A scalar coefficient: a sum of `count * value * value * ...` monomials,
/// where the values are Rust scalar expressions of the macro input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coefficient(pub Vec<Monomial>);

/// `count * values[0] * values[1] * ...`, values as indices of the macro's Rust values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Monomial {
    /// The integer factor (negative for subtracted terms).
    pub count: i64,
    /// Scalar values multiplied in, sorted by their source text.
    pub values: Vec<usize>,
}

impl Coefficient {
    /// The coefficient 1.
    pub fn one() -> Self {
        Coefficient(vec![Monomial {
            count: 1,
            values: Vec::new(),
        }])
    }

    /// The product of two coefficients (`key` gives a value's sort key).
    pub fn times(&self, other: &Coefficient, key: &impl Fn(usize) -> String) -> Coefficient {
        let mut product = Coefficient(Vec::new());
        for a in &self.0 {
            for b in &other.0 {
                let mut values: Vec<usize> = a.values.iter().chain(&b.values).copied().collect();
                values.sort_by_key(|&v| key(v));
                product.add_monomial(
                    Monomial {
                        count: a.count * b.count,
                        values,
                    },
                    key,
                );
            }
        }
        product
    }

    /// Adds `other` into this coefficient, merging monomials with the same values.
    pub fn add(&mut self, other: &Coefficient, key: &impl Fn(usize) -> String) {
        for m in &other.0 {
            self.add_monomial(m.clone(), key);
        }
    }

    fn add_monomial(&mut self, m: Monomial, key: &impl Fn(usize) -> String) {
        let same = |a: &Monomial| {
            a.values.len() == m.values.len()
                && a.values
                    .iter()
                    .zip(&m.values)
                    .all(|(&x, &y)| key(x) == key(y))
        };
        match self.0.iter_mut().find(|a| same(a)) {
            Some(existing) => existing.count += m.count,
            None => self.0.push(m),
        }
        self.0.retain(|a| a.count != 0);
    }

    /// Whether every monomial cancelled.
    pub fn is_zero(&self) -> bool {
        self.0.is_empty()
    }
}

/// One factor of a product: a Rust operand (or a materialized sum) with a
/// label per axis.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Factor {
    /// Index of the operand among the macro's Rust values; indices from
    /// `SumOfProducts::value_count` on name materialized sums (see
    /// [`SumOfProducts::sum_index`]).
    pub value: usize,
    /// One label per axis (repeats read a diagonal).
    pub labels: Vec<Label>,
}

/// `coefficient * sum over the non-output labels of prod factors`.
#[derive(Debug, Clone)]
pub struct Term {
    /// The scalar in front.
    pub coefficient: Coefficient,
    /// The operands multiplied.
    pub factors: Vec<Factor>,
}

/// A Rust operand as it appears in the source: which call it is an argument
/// of and the labels written there, for runtime messages.
#[derive(Debug, Clone)]
pub struct Leaf {
    /// Index of its site.
    pub site: usize,
    /// Its position among the site's operands.
    pub position: usize,
    /// The labels as written at that site, one per axis.
    pub chars: Vec<char>,
}

/// The whole input as a sum of products of Rust operands.
#[derive(Debug, Clone)]
pub struct SumOfProducts {
    /// The terms, identical ones merged.
    pub terms: Vec<Term>,
    /// The labels of the result, in axis order.
    pub output: Vec<Label>,
    /// The character each label was written as (indexed by `Label.0`).
    pub label_chars: Vec<char>,
    /// Operand values, by value index (`None` for coefficient values).
    pub leaves: Vec<Option<Leaf>>,
    /// Every labelled axis of every operand, as `(label, value, axis)`, taken
    /// before terms merged or cancelled: all of them bind sizes.
    pub axes: Vec<(Label, usize, usize)>,
    /// Sums computed into an intermediate before the terms that use them, in
    /// dependency order (a sum only uses sums before it).
    pub sums: Vec<MaterializedSum>,
    /// The number of Rust values; factor values from here on are sums.
    pub value_count: usize,
    /// For each Rust value, the first value holding the same data (uses of
    /// one variable); itself otherwise. Sums are their own identity.
    pub identity: Vec<usize>,
}

/// A sum argument or a binding computed once into an intermediate rather
/// than distributed.
#[derive(Debug, Clone)]
pub struct MaterializedSum {
    /// The binding it is the value of, if it is one.
    pub binding: Option<usize>,
    /// The labels of the intermediate, in axis order (distinct).
    pub labels: Vec<Label>,
    /// Its terms, with `labels` as their output.
    pub terms: Vec<Term>,
}

impl SumOfProducts {
    /// The materialized sum a factor value names, if it names one.
    pub fn sum_index(&self, value: usize) -> Option<usize> {
        value.checked_sub(self.value_count)
    }

    /// The value whose data `value` reads (see [`SumOfProducts::identity`]).
    pub fn identity_of(&self, value: usize) -> usize {
        self.identity.get(value).copied().unwrap_or(value)
    }
}
