//! Kubernetes and Helm: deletions, drains, scale-to-zero, rollbacks,
//! forced replaces and prunes, exec into production pods, against reads.

use crate::grammar::Grammar;

use super::Rule;

pub static GRAMMARS: &[Grammar] = &[];

pub static RULES: &[Rule] = &[];
