//! Rule tables: one module per tool family, each a `static` table of
//! [`Rule`]s that match a program, its subcommand path and its flags, and say
//! which effect that has. How the effect's target and risk are worked out is
//! one of a few shared [`Assess`] strategies (paths to delete, a git push, a
//! Terraform workspace, ...). Every rule carries examples it must block and
//! examples it must allow; a test runs them all.

pub mod cloud;
pub mod containers;
pub mod databases;
pub mod everyday;
pub mod files;
pub mod git;
pub mod hosts;
pub mod kubernetes;
pub mod secrets;
pub mod supply_chain;
pub mod terraform;
pub mod wrappers;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use airlock_model::{EffectKind, EnvTier, Reversibility, Risk, Span, Target, TargetKind};

use crate::grammar::{Grammar, Invocation};
use crate::paths::Cwd;
use crate::syntax::Word;
use crate::ShellConfig;

/// How a rule's target, risk and details are worked out.
#[derive(Debug, Clone, Copy)]
pub enum Assess {
    /// The command itself is the target (`git status`, `cargo test`).
    Named,
    /// Each positional is a path being removed; `-r`/`-R`/`--recursive`
    /// (or `always_recursive`) removes whole trees.
    DeletePaths {
        always_recursive: bool,
    },
    /// Each positional (after `skip`) is a path being written; `clobber`
    /// replaces content.
    WritePaths {
        clobber: bool,
        skip: usize,
    },
    /// `mv`/`cp`: the last positional (or `-t DIR`) is written over; with
    /// `moves`, sources are taken away too.
    Destination {
        moves: bool,
    },
    /// `chmod`/`chown`/`chgrp`: the first positional is a mode or owner.
    Mode,
    /// `dd of=...`.
    DdOutput,
    /// `tar -x -C DIR`, `unzip -d DIR`: files land in the directory.
    ExtractInto,
    /// Positionals are block devices (`mkfs`, `wipefs`).
    Devices,
    /// `sed -i`: files after the script.
    SedInPlace,
    /// `find`: start paths, `-delete`, `-exec ... ;`.
    Find,
    /// `curl`/`wget`: a URL; uploads of local files.
    Remote,
    GitPush,
    GitBranchDelete,
    GitDiscard,
    GitRef,
    /// A Terraform/OpenTofu/Terragrunt command; environment from `-chdir`,
    /// the working directory, variables and workspace.
    Terraform,
    /// A family's own assessment, for rules whose target, risk and details
    /// need logic of their own (a SQL statement, a cloud resource ARN).
    Custom(fn(&Rule, &Invocation, &Scene) -> Outcome),
}

/// One row of a rule table.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    pub programs: &'static [&'static str],
    /// The subcommand path this rule applies to (a prefix of the command's);
    /// empty matches any.
    pub subcommand: &'static [&'static str],
    /// At least one of these options is present (empty: no condition).
    pub any_flag: &'static [&'static str],
    /// None of these options is present.
    pub no_flag: &'static [&'static str],
    /// A further condition on the arguments.
    pub test: Option<fn(&Invocation) -> bool>,
    pub kind: EffectKind,
    /// The least risk of the effect; assessments may raise it.
    pub risk: Risk,
    pub reversibility: Reversibility,
    pub assess: Assess,
    /// One sentence a person understands without reading the rule.
    pub reason: &'static str,
    /// Commands this rule must make airlock block.
    pub blocks: &'static [&'static str],
    /// Commands (of the same tools) airlock must allow.
    pub allows: &'static [&'static str],
}

impl Rule {
    /// The defaults rows start from: `Rule { id, programs, ..Rule::BASE }`.
    pub const BASE: Rule = Rule {
        id: "",
        programs: &[],
        subcommand: &[],
        any_flag: &[],
        no_flag: &[],
        test: None,
        kind: EffectKind::Execute,
        risk: Risk::Low,
        reversibility: Reversibility::Unknown,
        assess: Assess::Named,
        reason: "",
        blocks: &[],
        allows: &[],
    };

    pub fn matches(&self, inv: &Invocation) -> bool {
        let sub_ok = self.subcommand.len() <= inv.subcommands.len()
            && self
                .subcommand
                .iter()
                .zip(&inv.subcommands)
                .all(|(want, have)| want == have);
        sub_ok
            && (self.any_flag.is_empty() || inv.has_any(self.any_flag))
            && !inv.has_any(self.no_flag)
            && self.test.is_none_or(|test| test(inv))
    }
}

/// What the analysis knows around one command.
pub struct Scene<'a> {
    pub cfg: &'a ShellConfig,
    pub cwd: &'a Cwd,
    /// Environment named by earlier parts of the line (`TF_WORKSPACE=prod`,
    /// `terraform workspace select prod`).
    pub env_hint: Option<EnvTier>,
    /// The whole command's span.
    pub span: Span,
    /// What the command reads on standard input, when it is static text
    /// (a here-document, a here-string, `echo '…' |`).
    pub stdin: Option<StdinText<'a>>,
    /// The file redirected to standard input (`psql app < dump.sql`); its
    /// path is relative to `cwd`.
    pub stdin_file: Option<StdinFile<'a>>,
}

/// A file redirected to a command's standard input.
#[derive(Debug, Clone, Copy)]
pub struct StdinFile<'a> {
    /// The path as written.
    pub path: &'a str,
    /// The path is only known at run time.
    pub dynamic: bool,
    /// Where the redirection is in the input.
    pub span: Span,
}

/// Static text on a command's standard input.
#[derive(Debug, Clone, Copy)]
pub struct StdinText<'a> {
    pub text: &'a str,
    /// Where the text is in the input.
    pub span: Span,
    /// No expansions happen in it (`<<'EOF'`, a quoted here-string).
    pub literal: bool,
}

/// An effect before it gets its rule id and evidence text.
#[derive(Debug, Clone)]
pub struct Draft {
    pub kind: EffectKind,
    pub target: Target,
    pub risk: Risk,
    pub reversibility: Reversibility,
    pub reason: String,
    pub span: Span,
}

/// A command that a rule found nested in another (`find -exec rm {} ;`).
#[derive(Debug, Clone)]
pub struct Nested {
    pub words: Vec<Word>,
    pub via: String,
}

/// Everything one rule found.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub drafts: Vec<Draft>,
    pub nested: Vec<Nested>,
}

impl Outcome {
    pub fn push(&mut self, draft: Draft) {
        self.drafts.push(draft);
    }
}

/// A draft from the rule's own kind, risk and reason.
pub fn draft(rule: &Rule, target: Target, span: Span) -> Draft {
    Draft {
        kind: rule.kind,
        target,
        risk: rule.risk,
        reversibility: rule.reversibility,
        reason: rule.reason.to_string(),
        span,
    }
}

/// The command as a target name: program and subcommands.
pub fn command_target(inv: &Invocation) -> Target {
    let mut name = inv.program.clone();
    for sub in &inv.subcommands {
        name.push(' ');
        name.push_str(sub);
    }
    Target::new(TargetKind::Program, name)
}

/// Runs a rule's assessment.
pub fn assess(rule: &Rule, inv: &Invocation, scene: &Scene) -> Outcome {
    match rule.assess {
        Assess::Named => {
            let mut out = Outcome::default();
            out.push(draft(rule, command_target(inv), scene.span));
            out
        }
        Assess::DeletePaths { always_recursive } => {
            files::delete_paths(rule, inv, scene, always_recursive)
        }
        Assess::WritePaths { clobber, skip } => files::write_paths(rule, inv, scene, clobber, skip),
        Assess::Destination { moves } => files::destination(rule, inv, scene, moves),
        Assess::Mode => files::mode(rule, inv, scene),
        Assess::DdOutput => files::dd_output(rule, inv, scene),
        Assess::ExtractInto => files::extract_into(rule, inv, scene),
        Assess::Devices => files::devices(rule, inv, scene),
        Assess::SedInPlace => everyday::sed_in_place(rule, inv, scene),
        Assess::Find => files::find(rule, inv, scene),
        Assess::Remote => everyday::remote(rule, inv, scene),
        Assess::GitPush => git::push(rule, inv, scene),
        Assess::GitBranchDelete => git::branch_delete(rule, inv, scene),
        Assess::GitDiscard => git::discard(rule, inv, scene),
        Assess::GitRef => git::update_ref(rule, inv, scene),
        Assess::Terraform => terraform::assess(rule, inv, scene),
        Assess::Custom(assess) => assess(rule, inv, scene),
    }
}

/// Every rule table, in lookup order: the first rule that matches a
/// command decides, so the tool families come before the catch-all
/// everyday table.
pub fn all_rules() -> impl Iterator<Item = &'static Rule> {
    files::RULES
        .iter()
        .chain(git::RULES)
        .chain(terraform::RULES)
        .chain(kubernetes::RULES)
        .chain(cloud::RULES)
        .chain(databases::RULES)
        .chain(containers::RULES)
        .chain(hosts::RULES)
        .chain(secrets::RULES)
        .chain(supply_chain::RULES)
        .chain(everyday::RULES)
}

/// Every tool grammar. A program's grammar is the last one naming it, so a
/// family's own grammar overrides the generic one in the everyday table.
pub fn all_grammars() -> impl Iterator<Item = &'static Grammar> {
    files::GRAMMARS
        .iter()
        .chain(git::GRAMMARS)
        .chain(terraform::GRAMMARS)
        .chain(everyday::GRAMMARS)
        .chain(kubernetes::GRAMMARS)
        .chain(cloud::GRAMMARS)
        .chain(databases::GRAMMARS)
        .chain(containers::GRAMMARS)
        .chain(hosts::GRAMMARS)
        .chain(secrets::GRAMMARS)
        .chain(supply_chain::GRAMMARS)
}

/// Rules and grammars indexed by program name, built once.
pub struct RuleIndex {
    rules: ProgramMap<Vec<&'static Rule>>,
    grammars: ProgramMap<&'static Grammar>,
}

/// A map keyed by program name, hashed with [`ProgramNameHasher`].
type ProgramMap<V> = HashMap<&'static str, V, BuildHasherDefault<ProgramNameHasher>>;

/// FNV-1a over the name, high half folded into the low one. The index is
/// built from the static rule tables on every start of a hook process and
/// lookups never insert, so SipHash's resistance to chosen keys would buy
/// nothing here for a quarter of the build's time.
struct ProgramNameHasher(u64);

impl Default for ProgramNameHasher {
    fn default() -> Self {
        ProgramNameHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for ProgramNameHasher {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 32)
    }
}

impl RuleIndex {
    pub fn build() -> RuleIndex {
        // Sized for every (rule, program) pair up front: growing the table
        // rehashes every name again.
        let pairs: usize = all_rules().map(|rule| rule.programs.len()).sum();
        let mut rules: ProgramMap<Vec<&'static Rule>> =
            HashMap::with_capacity_and_hasher(pairs, BuildHasherDefault::default());
        for rule in all_rules() {
            for program in rule.programs {
                rules.entry(program).or_default().push(rule);
            }
        }
        let pairs: usize = all_grammars().map(|grammar| grammar.programs.len()).sum();
        let mut grammars: ProgramMap<&'static Grammar> =
            HashMap::with_capacity_and_hasher(pairs, BuildHasherDefault::default());
        for grammar in all_grammars() {
            for program in grammar.programs {
                grammars.insert(*program, grammar);
            }
        }
        RuleIndex { rules, grammars }
    }

    /// The name a program is known under: itself, or its family
    /// (`mkfs.ext4` is `mkfs`, `python3.12` is `python3`).
    pub fn known_name<'n>(&self, program: &'n str) -> Option<&'n str> {
        if self.rules.contains_key(program) {
            return Some(program);
        }
        let family = program.split('.').next().unwrap_or(program);
        self.rules.contains_key(family).then_some(family)
    }

    pub fn rules_for(&self, program: &str) -> &[&'static Rule] {
        self.rules.get(program).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn grammar_for(&self, program: &str) -> &Grammar {
        self.grammars
            .get(program)
            .copied()
            .unwrap_or(&Grammar::PLAIN)
    }
}

#[cfg(test)]
mod tests {
    use super::wrappers::WRAPPERS;
    use super::*;
    use crate::test_policy::classification_blocked;
    use crate::ShellClassifier;

    #[test]
    fn every_rule_blocks_and_allows_its_examples() {
        let classifier = ShellClassifier::default();
        let mut failures = Vec::new();
        let mut checked = 0;
        for rule in all_rules() {
            for example in rule.blocks {
                checked += 1;
                let c = classifier.classify(example);
                if !classification_blocked(&c) {
                    failures.push(format!(
                        "{}: should block `{example}`: {:#?}",
                        rule.id, c.effects
                    ));
                } else if !matches!(rule.assess, Assess::Find)
                    && !c.effects.iter().any(|e| e.rule == rule.id)
                {
                    failures.push(format!(
                        "{}: `{example}` was blocked by another rule: {:#?}",
                        rule.id, c.effects
                    ));
                }
            }
            for example in rule.allows {
                checked += 1;
                let c = classifier.classify(example);
                if classification_blocked(&c) {
                    failures.push(format!(
                        "{}: should allow `{example}`: {:#?}",
                        rule.id, c.effects
                    ));
                }
            }
        }
        for wrapper in WRAPPERS {
            for example in wrapper.blocks {
                checked += 1;
                if !classification_blocked(&classifier.classify(example)) {
                    failures.push(format!(
                        "wrapper {:?}: should block `{example}`",
                        wrapper.names
                    ));
                }
            }
            for example in wrapper.allows {
                checked += 1;
                let c = classifier.classify(example);
                if classification_blocked(&c) {
                    failures.push(format!(
                        "wrapper {:?}: should allow `{example}`: {:#?}",
                        wrapper.names, c.effects
                    ));
                }
            }
        }
        assert!(checked > 200, "only {checked} examples");
        assert!(
            failures.is_empty(),
            "{} failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn rule_ids_are_unique_and_every_rule_has_a_reason() {
        let mut ids: Vec<&str> = all_rules().map(|r| r.id).collect();
        let total = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), total, "duplicate rule ids");
        for rule in all_rules() {
            assert!(!rule.reason.is_empty(), "{} has no reason", rule.id);
            assert!(!rule.programs.is_empty(), "{} names no program", rule.id);
        }
    }
}
