//! containers: `docker`, `podman` and compose removing
//! containers, volumes and images, against builds, runs and reads.

use crate::grammar::Grammar;

use super::Rule;

pub static GRAMMARS: &[Grammar] = &[];

pub static RULES: &[Rule] = &[];
