//! Supply chain: publishing packages and releases (`npm publish`, `cargo
//! publish`, `twine upload`, `gh release create`, `helm push`), changing
//! what registries serve (`npm unpublish`, `cargo yank`, `npm dist-tag`),
//! installing code straight from a URL or repository, and switching off
//! verification (TLS, signatures, checksums) in package managers, git and
//! the environment. The GitHub CLI's whole table lives here too.
//!
//! Judgement calls: publishing is `network` with risk high (irreversible,
//! public); dry runs, `npm pack`, `twine check` are allowed. Installing from
//! a registry is routine; installing from a URL or a git repository runs
//! unreviewed code, like `curl | sh`, so it is `execute` with risk high.
//! Switching off verification is a `write` to a protected setting with risk
//! high, wherever it is spelled (`git -c http.sslVerify=false`,
//! `npm config set strict-ssl false`, `GIT_SSL_NO_VERIFY=1`, `export
//! NODE_TLS_REJECT_UNAUTHORIZED=0`, `apt-get --allow-unauthenticated`,
//! `rpm --nosignature`); the walk in `analyze` asks [`disables_verification`]
//! and [`insecure_variable`] about every command and assignment, so the
//! check holds whichever family's table judges the rest of the command.

use airlock_model::{EffectKind, Reversibility, Risk, Sensitivity, Target, TargetKind};

use crate::grammar::{Grammar, Invocation};
use crate::syntax::Word;

use super::{draft, Assess, Outcome, Rule, Scene};

/// Package managers and publishing tools this table covers completely.
const PACKAGE_TOOLS: &[&str] = &[
    "npm", "pnpm", "yarn", "bun", "cargo", "twine", "gem", "poetry", "dotnet", "uv", "hatch",
    "flit", "pip", "pip3", "pipx",
];

pub static GRAMMARS: &[Grammar] = &[
    Grammar {
        programs: PACKAGE_TOOLS,
        global_value_options: &[
            "-C",
            "--manifest-path",
            "--config",
            "-Z",
            "--prefix",
            "--cwd",
            "--dir",
            "--filter",
            "-w",
            "--workspace",
            "--python",
            "--directory",
            "--project",
        ],
        has_subcommands: true,
        nested: &[
            "config", "dist-tag", "owner", "token", "access", "npm", "pip", "nuget", "team",
            "cache", "source", "tool",
        ],
        value_options: &[
            "-r",
            "--requirement",
            "-c",
            "--constraint",
            "-e",
            "--editable",
            "-i",
            "--index-url",
            "--extra-index-url",
            "--index",
            "--trusted-host",
            "-f",
            "--find-links",
            "--target",
            "-t",
            "--prefix",
            "--registry",
            "--tag",
            "--access",
            "--otp",
            "-p",
            "--package",
            "--features",
            "-F",
            "--bin",
            "--example",
            "--test",
            "--bench",
            "--git",
            "--branch",
            "--rev",
            "--path",
            "--version",
            "--vers",
            "--token",
            "--manifest-path",
            "-j",
            "--jobs",
            "--repository",
            "--repository-url",
            "-u",
            "--username",
            "--password",
            "-s",
            "--source",
            "-k",
            "--api-key",
            "--key",
            "--python",
            "--cwd",
            "--filter",
            "-w",
            "--workspace",
            "--config",
            "--profile",
            "--color",
            "--message",
            "-m",
        ],
        single_dash_long: false,
    },
    Grammar {
        programs: &["gh"],
        global_value_options: &["-R", "--repo", "--hostname"],
        has_subcommands: true,
        nested: &[
            "release",
            "repo",
            "pr",
            "issue",
            "auth",
            "secret",
            "variable",
            "gist",
            "run",
            "workflow",
            "extension",
            "codespace",
            "label",
            "cache",
            "ruleset",
            "project",
            "ssh-key",
            "gpg-key",
            "org",
            "search",
            "browse",
            "status",
            "attestation",
        ],
        value_options: &[
            "-R",
            "--repo",
            "-t",
            "--title",
            "-b",
            "--body",
            "-F",
            "--body-file",
            "--notes",
            "-n",
            "--notes-file",
            "-X",
            "--method",
            "-f",
            "--field",
            "--raw-field",
            "-H",
            "--header",
            "--jq",
            "-q",
            "--template",
            "-L",
            "--limit",
            "-B",
            "--base",
            "--head",
            "-a",
            "--assignee",
            "-l",
            "--label",
            "-s",
            "--state",
            "--target",
            "--visibility",
            "-e",
            "--env",
            "-o",
            "--org",
            "--json",
            "-d",
            "--desc",
            "--hostname",
            "--reviewer",
            "-r",
            "--ref",
            "--discussion-category",
            "-p",
            "--pattern",
            "-D",
            "--dir",
            "-w",
            "--workflow",
            "--branch",
            "-u",
            "--user",
        ],
        single_dash_long: false,
    },
];

fn sub(inv: &Invocation, depth: usize) -> &str {
    inv.subcommand(depth).unwrap_or("")
}

fn dry_run(inv: &Invocation) -> bool {
    inv.has("--dry-run") || (inv.program == "cargo" && inv.has("-n"))
}

fn publishes(inv: &Invocation) -> bool {
    if dry_run(inv) {
        return false;
    }
    match inv.program.as_str() {
        "twine" => sub(inv, 0) == "upload",
        "gem" => sub(inv, 0) == "push",
        "dotnet" => sub(inv, 0) == "nuget" && sub(inv, 1) == "push",
        "yarn" => sub(inv, 0) == "publish" || (sub(inv, 0) == "npm" && sub(inv, 1) == "publish"),
        "pip" | "pip3" | "pipx" => false,
        _ => sub(inv, 0) == "publish",
    }
}

fn unpublishes(inv: &Invocation) -> bool {
    match inv.program.as_str() {
        "npm" | "pnpm" | "bun" => sub(inv, 0) == "unpublish",
        "yarn" => {
            sub(inv, 0) == "unpublish" || (sub(inv, 0) == "npm" && sub(inv, 1) == "unpublish")
        }
        "cargo" => sub(inv, 0) == "yank" && !inv.has("--undo"),
        "gem" => sub(inv, 0) == "yank",
        "dotnet" => sub(inv, 0) == "nuget" && sub(inv, 1) == "delete",
        _ => false,
    }
}

fn changes_registry(inv: &Invocation) -> bool {
    let first = sub(inv, 0);
    let second = sub(inv, 1);
    match inv.program.as_str() {
        "npm" | "pnpm" | "yarn" | "bun" => {
            first == "deprecate"
                || first == "undeprecate"
                || (first == "dist-tag" && matches!(second, "add" | "rm"))
                || (first == "owner" && matches!(second, "add" | "rm"))
                || (first == "access" && !matches!(second, "" | "list" | "get" | "ls"))
                || (first == "team" && matches!(second, "add" | "rm" | "create" | "destroy"))
                || (first == "token" && matches!(second, "create" | "revoke"))
        }
        "cargo" => first == "owner" && inv.has_any(&["--add", "-a", "--remove", "-r"]),
        "gem" => first == "owner" && inv.has_any(&["--add", "-a", "--remove", "-r"]),
        _ => false,
    }
}

/// A package spec that is a URL or a repository rather than a registry name.
fn is_remote_spec(spec: &str, program: &str) -> bool {
    let lower = spec.to_ascii_lowercase();
    let package_part = lower
        .split_once(" @ ")
        .map_or(lower.as_str(), |(_, url)| url);
    let scheme = [
        "http://", "https://", "git+", "git://", "ssh://", "hg+", "svn+", "bzr+",
    ]
    .iter()
    .any(|s| package_part.starts_with(s) || package_part.contains(&format!("@{s}")));
    let shorthand = ["github:", "gitlab:", "bitbucket:", "gist:"]
        .iter()
        .any(|s| package_part.starts_with(s));
    // npm reads `user/repo` as a GitHub repository.
    let npm_repo = matches!(program, "npm" | "pnpm" | "yarn" | "bun")
        && spec.contains('/')
        && !spec.starts_with(['@', '.', '/', '~'])
        && !spec.contains(':')
        && spec.split('/').count() == 2;
    scheme || shorthand || npm_repo
}

fn installs_from_remote(inv: &Invocation) -> bool {
    let program = inv.program.as_str();
    let installing = match program {
        "npm" | "pnpm" | "bun" => {
            matches!(
                sub(inv, 0),
                "install" | "i" | "add" | "update" | "up" | "link"
            )
        }
        "yarn" => matches!(sub(inv, 0), "add" | "global" | "up"),
        "pip" | "pip3" | "pipx" => matches!(sub(inv, 0), "install" | "inject" | "run"),
        "uv" => {
            (sub(inv, 0) == "pip" && sub(inv, 1) == "install")
                || matches!(sub(inv, 0), "add" | "tool")
        }
        "poetry" => sub(inv, 0) == "add",
        "cargo" => {
            return sub(inv, 0) == "install" && inv.has("--git");
        }
        "gem" => sub(inv, 0) == "install" && inv.has("--source"),
        _ => false,
    };
    installing
        && (inv
            .positional_words()
            .any(|w| is_remote_spec(&w.text, program))
            || inv
                .values_of("-e")
                .chain(inv.values_of("--editable"))
                .any(|v| is_remote_spec(v, program)))
}

fn gh_release_deletes(inv: &Invocation) -> bool {
    sub(inv, 0) == "release" && matches!(sub(inv, 1), "delete" | "delete-asset")
}

fn gh_release_publishes(inv: &Invocation) -> bool {
    sub(inv, 0) == "release" && matches!(sub(inv, 1), "create" | "upload" | "edit")
}

fn gh_deletes(inv: &Invocation) -> bool {
    let method_delete = sub(inv, 0) == "api"
        && inv
            .values_of("-X")
            .chain(inv.values_of("--method"))
            .any(|m| m.eq_ignore_ascii_case("DELETE"));
    method_delete
        || (matches!(
            sub(inv, 0),
            "repo"
                | "gist"
                | "cache"
                | "run"
                | "label"
                | "ruleset"
                | "project"
                | "codespace"
                | "ssh-key"
                | "gpg-key"
        ) && sub(inv, 1) == "delete")
        || (sub(inv, 0) == "repo" && sub(inv, 1) == "archive")
}

fn gh_changes_protected(inv: &Invocation) -> bool {
    (matches!(sub(inv, 0), "secret" | "variable")
        && matches!(sub(inv, 1), "set" | "delete" | "remove"))
        || (sub(inv, 0) == "repo" && sub(inv, 1) == "edit" && inv.has("--visibility"))
        || (sub(inv, 0) == "auth" && sub(inv, 1) == "refresh")
        || (sub(inv, 0) == "api"
            && inv
                .values_of("-X")
                .chain(inv.values_of("--method"))
                .any(|m| matches!(m.to_ascii_uppercase().as_str(), "PUT" | "PATCH"))
            && inv
                .positional_words()
                .any(|w| w.text.contains("/branches/") && w.text.contains("protection")))
}

/// The target of a publishing command: the registry it talks to.
fn registry(rule: &Rule, inv: &Invocation, scene: &Scene) -> Outcome {
    let place = match inv.program.as_str() {
        "npm" | "pnpm" | "yarn" | "bun" => "the npm registry",
        "cargo" => "crates.io",
        "twine" | "poetry" | "uv" | "hatch" | "flit" => "the Python package index",
        "gem" => "RubyGems",
        "dotnet" => "NuGet",
        "helm" => "a chart registry",
        "gh" => "GitHub",
        _ => "a package registry",
    };
    let registry_name = inv
        .value_of("--registry")
        .or_else(|| inv.value_of("--repository"))
        .or_else(|| inv.value_of("--repository-url"))
        .or_else(|| inv.value_of("-s"))
        .or_else(|| inv.value_of("--source"))
        .unwrap_or(place);
    let mut target = Target::new(TargetKind::Remote, registry_name.to_string());
    if rule.kind != EffectKind::Execute {
        target = target.with_sensitivity(Sensitivity::Protected);
    }
    let mut out = Outcome::default();
    out.push(draft(rule, target, scene.span));
    out
}

pub static RULES: &[Rule] = &[
    Rule {
        id: "supply-chain.publish",
        programs: PACKAGE_TOOLS,
        test: Some(publishes),
        kind: EffectKind::Network,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Custom(registry),
        reason: "publishes a package version to a public registry, which cannot be taken back",
        blocks: &[
            "npm publish --access public",
            "pnpm publish -r --no-git-checks",
            "yarn npm publish --tag next",
            "cargo publish -p airlock-model",
            "twine upload dist/*",
            "gem push pkg/widget-1.2.0.gem",
            "poetry publish --build",
            "dotnet nuget push bin/Release/App.1.0.0.nupkg -s https://api.nuget.org/v3/index.json",
            "uv publish",
        ],
        allows: &[
            "npm publish --dry-run",
            "cargo publish --dry-run",
            "npm pack",
            "twine check dist/*",
            "poetry build",
            "gem build widget.gemspec",
            "cargo package --list",
        ],
        ..Rule::BASE
    },
    Rule {
        id: "supply-chain.unpublish",
        programs: PACKAGE_TOOLS,
        test: Some(unpublishes),
        kind: EffectKind::Delete,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Custom(registry),
        reason: "removes or yanks a published version that others may depend on",
        blocks: &["npm unpublish my-pkg@1.0.0", "cargo yank --version 0.3.1 airlock-model", "gem yank widget -v 1.2.0"],
        allows: &["cargo yank --undo --version 0.3.1 airlock-model"],
        ..Rule::BASE
    },
    Rule {
        id: "supply-chain.registry-change",
        programs: PACKAGE_TOOLS,
        test: Some(changes_registry),
        kind: EffectKind::Write,
        risk: Risk::High,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(registry),
        reason: "changes which version users get, who owns a package, or who may publish it",
        blocks: &[
            "npm deprecate my-pkg@'<2.0.0' 'use v2'",
            "npm dist-tag add my-pkg@2.0.0-rc.1 latest",
            "npm owner add mallory my-pkg",
            "cargo owner --add github:org:release airlock-model",
        ],
        allows: &["npm dist-tag ls my-pkg", "npm owner ls my-pkg"],
        ..Rule::BASE
    },
    Rule {
        id: "supply-chain.install.remote",
        programs: PACKAGE_TOOLS,
        test: Some(installs_from_remote),
        kind: EffectKind::Execute,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Custom(registry),
        reason: "installs and runs code fetched straight from a URL or repository, outside the package registry",
        blocks: &[
            "pip install git+https://github.com/someone/tool.git",
            "pip install https://files.example.com/pkg-1.0.tar.gz",
            "npm install github:someone/left-pad",
            "npm i someone/left-pad",
            "cargo install --git https://github.com/someone/tool",
            "uv pip install 'tool @ https://x.example.com/tool-1.0-py3-none-any.whl'",
            "pip install -e git+https://github.com/org/lib.git#egg=lib",
        ],
        allows: &[
            "pip install -r requirements.txt",
            "npm install @types/node --save-dev",
            "npm install ./packages/shared",
            "cargo install ripgrep",
            "pip install -e .",
            "pip install 'requests>=2.31'",
        ],
        ..Rule::BASE
    },
    Rule {
        id: "supply-chain.package-manager",
        programs: PACKAGE_TOOLS,
        kind: EffectKind::Execute,
        reversibility: Reversibility::Reversible,
        reason: "runs a package manager or build tool (install, build, test, scripts)",
        allows: &[
            "npm ci",
            "npm install",
            "yarn install --frozen-lockfile",
            "pnpm run build",
            "cargo build --release",
            "cargo test --workspace",
            "pip install -U pip",
            "poetry install --no-root",
            "uv sync",
            "bun test",
            "npm view react version",
            "npm config get registry",
        ],
        ..Rule::BASE
    },
    Rule {
        id: "supply-chain.helm.push",
        programs: &["helm"],
        subcommand: &["push"],
        kind: EffectKind::Network,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Custom(registry),
        reason: "publishes a chart to a registry",
        ..Rule::BASE
    },
    Rule {
        id: "supply-chain.gh.release.delete",
        programs: &["gh"],
        test: Some(gh_release_deletes),
        kind: EffectKind::Delete,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Custom(registry),
        reason: "deletes a published release or its assets",
        blocks: &["gh release delete v1.4.0 --yes --cleanup-tag"],
        allows: &["gh release view v1.4.0", "gh release list"],
        ..Rule::BASE
    },
    Rule {
        id: "supply-chain.gh.release",
        programs: &["gh"],
        test: Some(gh_release_publishes),
        kind: EffectKind::Network,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Custom(registry),
        reason: "publishes or changes a release that users download",
        blocks: &[
            "gh release create v1.5.0 dist/*.tar.gz --generate-notes",
            "gh -R org/app release upload v1.5.0 app-linux-amd64 --clobber",
        ],
        allows: &["gh release download v1.4.0 -p '*.tar.gz'"],
        ..Rule::BASE
    },
    Rule {
        id: "supply-chain.gh.delete",
        programs: &["gh"],
        test: Some(gh_deletes),
        kind: EffectKind::Delete,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        reason: "deletes a repository, gist, run, cache or other object on GitHub",
        blocks: &[
            "gh repo delete org/app --yes",
            "gh api -X DELETE repos/org/app/git/refs/heads/main",
        ],
        allows: &["gh repo view org/app", "gh api repos/org/app/pulls"],
        ..Rule::BASE
    },
    Rule {
        id: "supply-chain.gh.protected",
        programs: &["gh"],
        test: Some(gh_changes_protected),
        kind: EffectKind::Write,
        risk: Risk::Medium,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(registry),
        reason: "changes CI secrets, repository visibility or branch protection on GitHub",
        blocks: &[
            "gh secret set NPM_TOKEN --body abc123",
            "gh repo edit org/app --visibility public --accept-visibility-change-consequences",
        ],
        allows: &["gh secret list", "gh variable list"],
        ..Rule::BASE
    },
    Rule {
        id: "supply-chain.gh",
        programs: &["gh"],
        kind: EffectKind::Network,
        reversibility: Reversibility::Reversible,
        reason: "talks to GitHub",
        allows: &[
            "gh pr create --fill",
            "gh pr view 12",
            "gh run list",
            "gh run watch 123456",
            "gh issue list --label bug",
            "gh pr checks 42",
            "gh auth status",
        ],
        ..Rule::BASE
    },
];

// ----- verification switched off ------------------------------------------

/// A value that turns a check off, or one only known at run time.
fn falsy_or_dynamic(value: &str) -> bool {
    falsy(value) || value.contains('$')
}

fn falsy(value: &str) -> bool {
    matches!(
        value
            .trim_matches(['"', '\''])
            .to_ascii_lowercase()
            .as_str(),
        "false" | "0" | "no" | "off"
    )
}

fn plain_http(value: &str) -> bool {
    value.to_ascii_lowercase().starts_with("http://")
        && !value.contains("://localhost")
        && !value.contains("://127.0.0.1")
}

/// Programs whose verification [`disables_verification`] knows how to see
/// switched off.
const VERIFYING_TOOLS: &[&str] = &[
    "git", "npm", "pnpm", "yarn", "bun", "npx", "pnpx", "bunx", "pip", "pip3", "uv", "uvx", "pipx",
    "poetry", "apt", "apt-get", "aptitude", "rpm", "dnf", "yum", "zypper", "microdnf", "go", "gem",
];

/// Why `name` (argv `words`) switches off TLS, signature or checksum
/// verification, if it does.
pub fn disables_verification(name: &str, words: &[Word]) -> Option<String> {
    if !VERIFYING_TOOLS.contains(&name) {
        return None;
    }
    let args: Vec<&str> = words.iter().skip(1).map(|w| w.text.as_str()).collect();
    let has = |flag: &str| args.contains(&flag);
    let value_after = |flag: &str| {
        args.iter()
            .position(|a| *a == flag)
            .and_then(|i| args.get(i + 1))
            .copied()
    };
    let pair_sets = |key_matches: &dyn Fn(&str) -> bool, value_bad: &dyn Fn(&str) -> bool| {
        args.windows(2).any(|pair| match pair {
            [key, value] => key_matches(key) && value_bad(value),
            _ => false,
        }) || args.iter().any(|a| {
            a.split_once('=')
                .is_some_and(|(k, v)| key_matches(k) && value_bad(v))
        })
    };
    match name {
        "git" => {
            let ssl_key = |k: &str| {
                let lower = k.to_ascii_lowercase();
                lower.starts_with("http.") && lower.ends_with("sslverify")
            };
            pair_sets(&ssl_key, &falsy_or_dynamic).then(|| {
                "switches off TLS certificate checks for git, so a man-in-the-middle can serve tampered code".to_string()
            })
        }
        "npm" | "pnpm" | "yarn" | "bun" | "npx" | "pnpx" | "bunx" => {
            let ssl_key = |k: &str| {
                let lower = k.trim_start_matches('-').to_ascii_lowercase();
                lower == "strict-ssl" || lower == "enablestrictssl"
            };
            let registry_key = |k: &str| k.trim_start_matches('-').ends_with("registry");
            if pair_sets(&ssl_key, &falsy_or_dynamic) || has("--no-strict-ssl") {
                return Some(format!(
                    "switches off TLS certificate checks for {name}, so packages can be tampered with in transit"
                ));
            }
            pair_sets(&registry_key, &plain_http).then(|| {
                format!("points {name} at a registry over plain http, so packages can be tampered with in transit")
            })
        }
        "pip" | "pip3" | "uv" | "uvx" | "pipx" | "poetry" => {
            if has("--trusted-host")
                || args.iter().any(|a| a.starts_with("--trusted-host="))
                || args
                    .iter()
                    .any(|a| a.ends_with(".trusted-host") || *a == "trusted-host")
                || has("--allow-insecure-host")
            {
                return Some(format!(
                    "tells {name} to trust a host without TLS certificate checks"
                ));
            }
            let index_key = |k: &str| {
                matches!(
                    k,
                    "-i" | "--index-url" | "--extra-index-url" | "--index" | "--default-index"
                ) || k.ends_with("index-url")
            };
            pair_sets(&index_key, &plain_http).then(|| {
                format!("installs from a package index over plain http, so {name} cannot verify what it gets")
            })
        }
        "apt" | "apt-get" | "aptitude" => (has("--allow-unauthenticated")
            || has("--allow-insecure-repositories")
            || has("--no-check-certificate")
            || args.iter().any(|a| {
                let lower = a.to_ascii_lowercase();
                [
                    "allowunauthenticated",
                    "allowinsecurerepositories",
                    "allowdowngradetoinsecurerepositories",
                ]
                .iter()
                .any(|k| lower.contains(&format!("{k}=true")) || lower.contains(&format!("{k}=1")))
                    || lower.contains("verify-peer=false")
            }))
        .then(|| "installs packages whose signatures are not checked".to_string()),
        "rpm" | "dnf" | "yum" | "zypper" | "microdnf" => (has("--nosignature")
            || has("--nodigest")
            || has("--nogpgcheck")
            || has("--no-gpg-checks")
            || args.iter().any(|a| {
                let lower = a.to_ascii_lowercase();
                lower.contains("gpgcheck=0")
                    || lower.contains("sslverify=0")
                    || lower.contains("sslverify=false")
            }))
        .then(|| "installs packages whose signatures or checksums are not checked".to_string()),
        "go" => {
            let env_write = has("env") && has("-w");
            let bad = args.iter().any(|a| {
                a.starts_with("GOINSECURE=")
                    || a.starts_with("GONOSUMDB=")
                    || a.starts_with("GONOSUMCHECK=")
                    || a.starts_with("GOPRIVATE=*")
                    || *a == "GOSUMDB=off"
                    || (a.starts_with("GOFLAGS=") && a.contains("-insecure"))
            });
            ((env_write && bad) || has("-insecure")).then(|| {
                "switches off Go's checksum database or TLS checks for modules".to_string()
            })
        }
        "gem" => (has("sources")
            && (value_after("-a").is_some_and(plain_http)
                || value_after("--add").is_some_and(plain_http)))
        .then(|| "adds a RubyGems source over plain http".to_string()),
        _ => None,
    }
}

/// Why assigning `value` to the variable `name` switches off verification
/// for the programs that read it, if it does.
pub fn insecure_variable(name: &str, value: &str) -> Option<String> {
    let value = value.trim();
    let what = match name {
        "GIT_SSL_NO_VERIFY" if !value.is_empty() && !falsy(value) => "git's TLS certificate checks",
        "NODE_TLS_REJECT_UNAUTHORIZED" if value == "0" => "Node.js TLS certificate checks",
        "PYTHONHTTPSVERIFY" if value == "0" => "Python's HTTPS certificate checks",
        "CURL_CA_BUNDLE" | "REQUESTS_CA_BUNDLE" if value.is_empty() => {
            "certificate checks of Python requests"
        }
        "NPM_CONFIG_STRICT_SSL" | "YARN_ENABLE_STRICT_SSL" | "npm_config_strict_ssl"
            if falsy(value) =>
        {
            "the package manager's TLS certificate checks"
        }
        "PIP_TRUSTED_HOST" | "UV_INSECURE_HOST" if !value.is_empty() => {
            "TLS certificate checks for a package index"
        }
        "PIP_INDEX_URL" | "PIP_EXTRA_INDEX_URL" | "UV_INDEX_URL" | "NPM_CONFIG_REGISTRY"
            if plain_http(value) =>
        {
            "transport security of the package index"
        }
        "GOINSECURE" | "GONOSUMDB" | "GONOSUMCHECK" if !value.is_empty() => {
            "Go's module checksum or TLS checks"
        }
        "GOSUMDB" if value == "off" => "Go's module checksum database",
        "GOFLAGS" if value.contains("-insecure") => "Go's TLS checks for modules",
        "DOCKER_CONTENT_TRUST" if value == "0" => return None,
        _ => return None,
    };
    Some(format!("{name}={value} switches off {what}"))
}

/// The effect of switching verification off.
pub fn verification_target(name: &str) -> Target {
    Target::new(TargetKind::System, format!("{name} verification settings"))
        .with_sensitivity(Sensitivity::Protected)
}

#[cfg(test)]
mod tests {
    use crate::test_policy::classification_blocked;
    use crate::ShellClassifier;

    #[test]
    fn switching_off_verification_is_blocked_in_every_spelling() {
        let classifier = ShellClassifier::default();
        for command in [
            "git config --global http.sslVerify false",
            "git -c http.sslVerify=false clone https://git.example.com/org/app.git",
            "GIT_SSL_NO_VERIFY=1 git pull",
            "export NODE_TLS_REJECT_UNAUTHORIZED=0",
            "env NODE_TLS_REJECT_UNAUTHORIZED=0 npm install",
            "npm config set strict-ssl false",
            "yarn config set strict-ssl false",
            "pip config set global.trusted-host pypi.example.com",
            "pip install --trusted-host pypi.example.com -r requirements.txt",
            "sudo apt-get install -y --allow-unauthenticated internal-agent",
            "rpm -ivh --nosignature agent.rpm",
            "dnf install --nogpgcheck ./agent.rpm",
            "go env -w GOSUMDB=off",
            "pip install -i http://pypi.internal.example.com/simple flask",
        ] {
            let c = classifier.classify(command);
            assert!(classification_blocked(&c), "{command}: {:#?}", c.effects);
            assert!(
                c.effects
                    .iter()
                    .any(|e| e.rule == "supply-chain.verification-off"),
                "{command}: {:#?}",
                c.effects
            );
        }
        for command in [
            "git config --global user.name 'A B'",
            "npm config set save-exact true",
            "pip install -r requirements.txt",
            "apt-get install -y jq",
            "NODE_ENV=production npm run build",
            "GIT_SSL_NO_VERIFY=false git pull",
        ] {
            let c = classifier.classify(command);
            assert!(
                !c.effects
                    .iter()
                    .any(|e| e.rule == "supply-chain.verification-off"),
                "{command}: {:#?}",
                c.effects
            );
        }
    }
}
