//! secrets and exfiltration: credentials read and sent out over
//! the network.

use crate::grammar::Grammar;

use super::Rule;

pub static GRAMMARS: &[Grammar] = &[];

pub static RULES: &[Rule] = &[];
