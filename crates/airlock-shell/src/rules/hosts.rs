//! the host system: power, services, firewalls, scheduled jobs,
//! accounts, SELinux, process kills and fork bombs.

use crate::grammar::Grammar;

use super::Rule;

pub static GRAMMARS: &[Grammar] = &[];

pub static RULES: &[Rule] = &[];
