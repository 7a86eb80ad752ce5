//! Terraform, OpenTofu and Terragrunt on the command line: `destroy`,
//! `apply` (whose real effect is in a plan airlock has not seen), state
//! surgery, locks and workspaces, against plans, validation and reads. The
//! environment comes from `-chdir`, the working directory, variables and the
//! selected workspace.

use airlock_model::{EffectKind, EnvTier, Reversibility, Risk, Target, TargetKind};

use super::{Assess, Draft, Outcome, Rule, Scene};
use crate::grammar::{Grammar, Invocation};
use crate::paths::Cwd;

pub const PROGRAMS: &[&str] = &["terraform", "tofu", "terragrunt"];

pub static GRAMMARS: &[Grammar] = &[Grammar {
    programs: PROGRAMS,
    global_value_options: &[
        "--terragrunt-working-dir",
        "--working-dir",
        "--terragrunt-config",
        "--config",
    ],
    has_subcommands: true,
    nested: &[
        "state",
        "workspace",
        "providers",
        "run-all",
        "run",
        "force-unlock-all",
    ],
    value_options: &[
        "-var",
        "-var-file",
        "-target",
        "-replace",
        "-out",
        "-state",
        "-state-out",
        "-backend-config",
        "-lock-timeout",
        "-parallelism",
        "-from-module",
        "-plugin-dir",
        "-lockfile",
        "--terragrunt-working-dir",
        "--working-dir",
        "--terragrunt-config",
        "--config",
    ],
    single_dash_long: true,
}];

const READ_VERBS: &[&str] = &[
    "plan",
    "validate",
    "show",
    "output",
    "providers",
    "version",
    "graph",
    "console",
    "-version",
    "-help",
    "help",
    "render-json",
    "hclfmt",
    "hcl",
    "info",
    "output-all",
    "plan-all",
    "validate-all",
];

fn is_read(inv: &Invocation) -> bool {
    match (inv.subcommand(0), inv.subcommand(1)) {
        (None, _) => true,
        (Some("state"), Some("list" | "show" | "pull")) => true,
        (Some("workspace"), Some("list" | "show" | "select")) => true,
        (Some(verb), _) => READ_VERBS.contains(&verb),
    }
}

pub static RULES: &[Rule] = &[
    Rule {
        id: "terraform.destroy",
        programs: PROGRAMS,
        subcommand: &["destroy"],
        kind: EffectKind::Destroy,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Terraform,
        reason: "destroys every resource the configuration manages",
        blocks: &[
            "terraform destroy",
            "terraform destroy -auto-approve",
            "tofu destroy -target=aws_instance.web",
            "terragrunt run-all destroy",
            "terraform -chdir=envs/prod destroy",
        ],
        allows: &["terraform plan -destroy", "terraform plan -destroy -out=destroy.tfplan"],
        ..Rule::BASE
    },
    Rule {
        id: "terraform.apply.destroy",
        programs: PROGRAMS,
        subcommand: &["apply"],
        any_flag: &["-destroy"],
        kind: EffectKind::Destroy,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Terraform,
        reason: "destroys every resource the configuration manages (apply -destroy)",
        blocks: &["terraform apply -destroy -auto-approve"],
        ..Rule::BASE
    },
    Rule {
        id: "terraform.apply.replace",
        programs: PROGRAMS,
        subcommand: &["apply"],
        any_flag: &["-replace"],
        kind: EffectKind::Replace,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Terraform,
        reason: "destroys and recreates the named resource (apply -replace)",
        blocks: &["terraform apply -replace=aws_instance.web", "terraform apply -replace aws_db_instance.main"],
        ..Rule::BASE
    },
    Rule {
        id: "terraform.apply.auto-approve",
        programs: PROGRAMS,
        subcommand: &["apply"],
        any_flag: &["-auto-approve", "--auto-approve", "--terragrunt-non-interactive", "--non-interactive"],
        kind: EffectKind::Unknown,
        risk: Risk::High,
        reversibility: Reversibility::Unknown,
        assess: Assess::Terraform,
        reason: "applies changes without review; airlock has not seen the plan, so judge it with `airlock check --plan`",
        blocks: &["terraform apply -auto-approve", "tofu apply -auto-approve -var env=dev", "terragrunt run-all apply --terragrunt-non-interactive"],
        ..Rule::BASE
    },
    Rule {
        id: "terraform.apply",
        programs: PROGRAMS,
        subcommand: &["apply"],
        kind: EffectKind::Unknown,
        risk: Risk::Medium,
        reversibility: Reversibility::Unknown,
        assess: Assess::Terraform,
        reason: "applies changes whose plan airlock has not seen; judge the plan with `airlock check --plan`",
        blocks: &["terraform apply", "terraform apply tfplan", "cd envs/prod && terraform apply"],
        ..Rule::BASE
    },
    Rule {
        id: "terraform.state.rm",
        programs: PROGRAMS,
        subcommand: &["state", "rm"],
        kind: EffectKind::Delete,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Terraform,
        reason: "removes resources from state, leaving them running but unmanaged",
        blocks: &["terraform state rm aws_s3_bucket.logs"],
        allows: &["terraform state list", "terraform state show aws_s3_bucket.logs"],
        ..Rule::BASE
    },
    Rule {
        id: "terraform.state.rewrite",
        programs: PROGRAMS,
        subcommand: &["state"],
        test: Some(|inv| matches!(inv.subcommand(1), Some("mv" | "push" | "replace-provider"))),
        kind: EffectKind::Overwrite,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Terraform,
        reason: "rewrites Terraform state directly",
        blocks: &[
            "terraform state mv aws_instance.a aws_instance.b",
            "terraform state push terraform.tfstate",
            "terraform state replace-provider hashicorp/aws registry.acme.corp/acme/aws",
        ],
        allows: &["terraform state pull"],
        ..Rule::BASE
    },
    Rule {
        id: "terraform.force-unlock",
        programs: PROGRAMS,
        subcommand: &["force-unlock"],
        kind: EffectKind::Overwrite,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Terraform,
        reason: "breaks the state lock another run may hold",
        blocks: &["terraform force-unlock 6638e010-1c3c-4d33-9c8c-6b6a1f2f1f1f", "terraform force-unlock -force abc"],
        ..Rule::BASE
    },
    Rule {
        id: "terraform.workspace.delete",
        programs: PROGRAMS,
        subcommand: &["workspace", "delete"],
        kind: EffectKind::Delete,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Terraform,
        reason: "deletes a workspace and its state",
        blocks: &["terraform workspace delete staging", "terraform workspace delete -force prod"],
        allows: &["terraform workspace list", "terraform workspace select dev", "terraform workspace new feature-x"],
        ..Rule::BASE
    },
    Rule {
        id: "terraform.import",
        programs: PROGRAMS,
        subcommand: &["import"],
        kind: EffectKind::Write,
        risk: Risk::High,
        reversibility: Reversibility::Reversible,
        assess: Assess::Terraform,
        reason: "adopts an existing resource into state, so later applies may change or destroy it",
        blocks: &["terraform import aws_instance.web i-0abc123"],
        ..Rule::BASE
    },
    Rule {
        id: "terraform.taint",
        programs: PROGRAMS,
        test: Some(|inv| matches!(inv.subcommand(0), Some("taint" | "untaint"))),
        kind: EffectKind::Replace,
        risk: Risk::Medium,
        reversibility: Reversibility::Reversible,
        assess: Assess::Terraform,
        reason: "marks a resource to be destroyed and recreated (or unmarks it) on the next apply",
        blocks: &["terraform taint aws_instance.web", "terraform untaint aws_instance.web"],
        ..Rule::BASE
    },
    Rule {
        id: "terraform.read",
        programs: PROGRAMS,
        test: Some(is_read),
        kind: EffectKind::Read,
        risk: Risk::None,
        reversibility: Reversibility::Reversible,
        assess: Assess::Terraform,
        reason: "plans or inspects infrastructure without changing it",
        allows: &[
            "terraform plan",
            "terraform -chdir=envs/prod plan -out=tfplan",
            "terraform validate",
            "terraform show -json tfplan",
            "terraform output -json",
            "tofu plan -var-file=prod.tfvars",
            "terragrunt run-all plan",
            "terraform state list",
        ],
        ..Rule::BASE
    },
    Rule {
        id: "terraform.prepare",
        programs: PROGRAMS,
        kind: EffectKind::Execute,
        risk: Risk::Low,
        reversibility: Reversibility::Reversible,
        assess: Assess::Terraform,
        reason: "prepares or formats the working directory without touching infrastructure",
        allows: &["terraform init", "terraform init -upgrade", "terraform fmt -recursive", "terraform -chdir=envs/prod init", "terraform get"],
        ..Rule::BASE
    },
];

/// The environment the command works in, from every hint it carries.
fn environment(inv: &Invocation, scene: &Scene) -> (EnvTier, String) {
    let patterns = &scene.cfg.environments;
    let mut tier: Option<EnvTier> = scene.env_hint;
    let mut place = String::from("the current directory");
    let consider = |candidate: Option<EnvTier>, tier: &mut Option<EnvTier>| {
        if let Some(c) = candidate {
            *tier = Some(tier.map_or(c, |t| t.max(c)));
        }
    };
    if let Cwd::Known(dir) = scene.cwd {
        consider(patterns.tier_of(dir), &mut tier);
        place = dir.clone();
    }
    for name in ["-chdir", "--terragrunt-working-dir", "--working-dir"] {
        if let Some(dir) = inv.value_of(name) {
            consider(patterns.tier_of(dir), &mut tier);
            place = dir.to_string();
        }
    }
    for value in inv.values_of("-var") {
        if let Some((key, val)) = value.split_once('=') {
            let key = key.to_ascii_lowercase();
            if key.contains("env")
                || key.contains("stage")
                || key.contains("workspace")
                || key.contains("tier")
            {
                consider(patterns.tier_of(val), &mut tier);
            }
        }
    }
    for file in inv
        .values_of("-var-file")
        .chain(inv.values_of("-backend-config"))
    {
        consider(patterns.tier_of(file), &mut tier);
    }
    if inv.subcommand(0) == Some("workspace") {
        for word in inv.positional_words() {
            consider(patterns.tier_of(&word.text), &mut tier);
            place = format!("workspace {}", word.text);
        }
    }
    (tier.unwrap_or(EnvTier::Unknown), place)
}

pub fn assess(rule: &Rule, inv: &Invocation, scene: &Scene) -> Outcome {
    let (tier, place) = environment(inv, scene);
    let addresses: Vec<String> = inv
        .values_of("-replace")
        .chain(inv.values_of("-target"))
        .map(str::to_string)
        .chain(
            if matches!(
                inv.subcommand(0),
                Some("state" | "import" | "taint" | "untaint")
            ) {
                inv.positional_words()
                    .map(|w| w.text.clone())
                    .collect::<Vec<_>>()
            } else {
                Vec::new()
            },
        )
        .collect();
    let name = if addresses.is_empty() {
        format!("{} configuration in {place}", inv.program)
    } else {
        addresses.join(", ")
    };
    let mut target = Target::new(TargetKind::Resource, name);
    // Reads, builds and formatting do not touch the environment itself.
    if !matches!(
        rule.kind,
        EffectKind::Read | EffectKind::Execute | EffectKind::Network
    ) {
        target.environment = tier;
    }
    let reason = if target.environment == EnvTier::Unknown || target.environment < EnvTier::Staging
    {
        rule.reason.to_string()
    } else {
        format!("{} (in {})", rule.reason, target.environment)
    };
    let mut out = Outcome::default();
    out.push(Draft {
        kind: rule.kind,
        target,
        risk: rule.risk,
        reversibility: rule.reversibility,
        reason,
        span: scene.span,
    });
    out
}

/// Terragrunt's `run-all X` / `run --all X` / `run -- X` run `X`: the words
/// without the runner, so `X` reads as the subcommand.
pub fn unwrap_terragrunt(words: &[crate::syntax::Word]) -> Option<Vec<crate::syntax::Word>> {
    let first = words.get(1)?;
    if first.text != "run-all" && first.text != "run" {
        return None;
    }
    let mut out = vec![words.first()?.clone()];
    out.extend(
        words
            .iter()
            .skip(2)
            .filter(|w| !matches!(w.text.as_str(), "--all" | "--" | "-a"))
            .cloned(),
    );
    Some(out)
}
