//! cloud CLIs (`aws`, `gcloud`, `gsutil`, `az`): deletions and
//! terminations of cloud resources, admin grants, key deletion, against
//! describe/list/get.

use crate::grammar::Grammar;

use super::Rule;

pub static GRAMMARS: &[Grammar] = &[];

pub static RULES: &[Rule] = &[];
