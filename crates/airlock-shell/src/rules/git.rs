//! git: history rewrites and forced pushes to protected branches, discarded
//! work (`reset --hard`, `clean -f`, `checkout .`), deleted branches, stashes
//! and reflogs, against everyday reads, commits and feature-branch pushes.

use airlock_model::{EffectKind, Reversibility, Risk, Sensitivity, Target, TargetKind};

use super::{command_target, draft, Assess, Draft, Outcome, Rule, Scene};
use crate::glob::glob_match;
use crate::grammar::{Grammar, Invocation};

pub static GRAMMARS: &[Grammar] = &[Grammar {
    programs: &["git"],
    global_value_options: &[
        "-C",
        "-c",
        "--git-dir",
        "--work-tree",
        "--namespace",
        "--config-env",
        "--exec-path",
        "--super-prefix",
    ],
    has_subcommands: true,
    nested: &[
        "stash",
        "reflog",
        "remote",
        "worktree",
        "submodule",
        "lfs",
        "notes",
        "bisect",
        "sparse-checkout",
    ],
    value_options: &[
        "-m",
        "-F",
        "--message",
        "--file",
        "--author",
        "--date",
        "-b",
        "-B",
        "--orphan",
        "-o",
        "--push-option",
        "--repo",
        "--receive-pack",
        "--exec",
        "-e",
        "--exclude",
        "--format",
        "--depth",
        "--branch",
        "--origin",
        "-X",
        "-s",
        "--strategy",
        "--onto",
        "--since",
        "--until",
        "--grep",
        "--source",
        "--index-filter",
        "--tree-filter",
        "--msg-filter",
        "--env-filter",
        "--subdirectory-filter",
        "--path",
        "--path-rename",
        "--reference",
        "--separate-git-dir",
        "--template",
        "--set-upstream-to",
        "--sort",
        "--contains",
    ],
    single_dash_long: false,
}];

fn has_positionals(inv: &Invocation) -> bool {
    !inv.positionals.is_empty()
}

fn gc_prunes_now(inv: &Invocation) -> bool {
    inv.values_of("--prune").any(|v| v == "now" || v == "all")
}

const READ_VERBS: &[&str] = &[
    "status",
    "log",
    "diff",
    "show",
    "blame",
    "grep",
    "ls-files",
    "ls-tree",
    "ls-remote",
    "rev-parse",
    "rev-list",
    "describe",
    "shortlog",
    "cat-file",
    "for-each-ref",
    "show-ref",
    "whatchanged",
    "help",
    "version",
    "count-objects",
    "fsck",
    "check-ignore",
    "var",
    "name-rev",
    "merge-base",
    "range-diff",
    "cherry",
    "show-branch",
    "verify-commit",
    "verify-tag",
];

fn is_read_verb(inv: &Invocation) -> bool {
    match inv.subcommand(0) {
        None => true,
        Some(verb) => READ_VERBS.contains(&verb),
    }
}

fn is_read_only_nested(inv: &Invocation) -> bool {
    matches!(
        (inv.subcommand(0), inv.subcommand(1)),
        (Some("stash"), Some("list" | "show"))
            | (Some("reflog"), None | Some("show") | Some("exists"))
            | (
                Some("remote"),
                None | Some("show") | Some("get-url") | Some("-v")
            )
            | (Some("worktree"), Some("list"))
            | (Some("submodule"), None | Some("status") | Some("summary"))
            | (Some("notes"), None | Some("list") | Some("show"))
    ) || (inv.subcommand(0) == Some("config")
        && inv.has_any(&["--get", "--get-all", "--list", "-l", "--get-regexp"]))
        || (inv.subcommand(0) == Some("tag") && inv.positionals.is_empty() && !inv.has("-d"))
        || (inv.subcommand(0) == Some("branch")
            && inv.positionals.is_empty()
            && !inv.has_any(&[
                "-d",
                "-D",
                "--delete",
                "-m",
                "-M",
                "-c",
                "-C",
                "-u",
                "--set-upstream-to",
            ]))
}

pub static RULES: &[Rule] = &[
    Rule {
        id: "git.push",
        programs: &["git"],
        subcommand: &["push"],
        kind: EffectKind::Write,
        assess: Assess::GitPush,
        reason: "pushes commits to",
        blocks: &[
            "git push --force origin main",
            "git push -f",
            "git push origin +main",
            "git push --mirror",
            "git push origin --delete main",
            "git push origin :release/1.2",
            "git -C repo push -f origin master",
            "git --git-dir=.git push --force-with-lease origin production",
            "git push origin main",
            "git push --force origin HEAD",
            "git push origin :refs/tags/v2.0.0",
            "git push --delete origin refs/tags/v1.4.2",
        ],
        allows: &[
            "git push origin feature/login",
            "git push -u origin my-branch",
            "git push --force origin feature-x",
            "git push --force-with-lease origin fix/typo",
            "git push",
            "git push --dry-run --force origin main",
            "git push origin --delete old-feature",
            "git push origin HEAD:refs/heads/feature/x",
            "git push --tags",
            "git push origin refs/tags/v2.1.0",
        ],
        ..Rule::BASE
    },
    Rule {
        id: "git.reset.hard",
        programs: &["git"],
        subcommand: &["reset"],
        any_flag: &["--hard", "--merge", "--keep"],
        kind: EffectKind::Overwrite,
        risk: Risk::Medium,
        reversibility: Reversibility::Irreversible,
        reason: "discards uncommitted changes in the working tree (git reset --hard)",
        blocks: &["git reset --hard", "git reset --hard HEAD~3", "git reset --hard origin/main"],
        allows: &["git reset HEAD file.txt", "git reset --soft HEAD~1"],
        ..Rule::BASE
    },
    Rule {
        id: "git.reset",
        programs: &["git"],
        subcommand: &["reset"],
        kind: EffectKind::Write,
        reason: "moves the branch head or unstages changes, keeping the working tree",
        ..Rule::BASE
    },
    Rule {
        id: "git.clean",
        programs: &["git"],
        subcommand: &["clean"],
        any_flag: &["-f", "--force"],
        no_flag: &["-n", "--dry-run"],
        kind: EffectKind::Delete,
        risk: Risk::Medium,
        reversibility: Reversibility::Irreversible,
        reason: "permanently deletes untracked files (git clean -f)",
        blocks: &["git clean -fd", "git clean -fdx", "git clean -f", "git clean -d --force"],
        allows: &["git clean -n", "git clean -nd", "git clean --dry-run -x"],
        ..Rule::BASE
    },
    Rule {
        id: "git.clean.preview",
        programs: &["git"],
        subcommand: &["clean"],
        kind: EffectKind::Read,
        risk: Risk::None,
        reason: "lists untracked files that git clean would remove",
        ..Rule::BASE
    },
    Rule {
        id: "git.branch.force-delete",
        programs: &["git"],
        subcommand: &["branch"],
        any_flag: &["-D"],
        kind: EffectKind::Delete,
        risk: Risk::Medium,
        reversibility: Reversibility::Irreversible,
        assess: Assess::GitBranchDelete,
        reason: "force-deletes the branch, losing unmerged commits:",
        blocks: &["git branch -D feature-x", "git branch -D main"],
        allows: &[],
        ..Rule::BASE
    },
    Rule {
        id: "git.branch.delete",
        programs: &["git"],
        subcommand: &["branch"],
        any_flag: &["-d", "--delete"],
        kind: EffectKind::Delete,
        reversibility: Reversibility::Reversible,
        assess: Assess::GitBranchDelete,
        reason: "deletes the merged branch",
        blocks: &["git branch -d master"],
        allows: &["git branch -d merged-feature"],
        ..Rule::BASE
    },
    Rule {
        id: "git.branch.create",
        programs: &["git"],
        subcommand: &["branch"],
        test: Some(has_positionals),
        no_flag: &["--list", "-l", "--contains", "-a", "-r"],
        kind: EffectKind::Write,
        reason: "creates, renames or retargets a branch",
        allows: &["git branch new-feature", "git branch -m old-name new-name"],
        ..Rule::BASE
    },
    Rule {
        id: "git.history.rewrite",
        programs: &["git"],
        subcommand: &["filter-branch"],
        kind: EffectKind::Overwrite,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        reason: "rewrites the repository's entire history (git filter-branch)",
        blocks: &["git filter-branch --tree-filter 'rm -f secrets.txt' HEAD", "git filter-branch --force --index-filter 'git rm --cached --ignore-unmatch .env' -- --all"],
        ..Rule::BASE
    },
    Rule {
        id: "git.history.filter-repo",
        programs: &["git"],
        subcommand: &["filter-repo"],
        kind: EffectKind::Overwrite,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        reason: "rewrites the repository's entire history (git filter-repo)",
        blocks: &["git filter-repo --path secrets --invert-paths"],
        ..Rule::BASE
    },
    Rule {
        id: "git.checkout",
        programs: &["git"],
        subcommand: &["checkout"],
        kind: EffectKind::Overwrite,
        reversibility: Reversibility::Irreversible,
        assess: Assess::GitDiscard,
        reason: "discards uncommitted changes to",
        blocks: &["git checkout -- .", "git checkout .", "git checkout -f main", "git checkout HEAD -- src/"],
        allows: &["git checkout main", "git checkout -b feature/new", "git checkout -- src/lib.rs", "git checkout feature/login"],
        ..Rule::BASE
    },
    Rule {
        id: "git.restore",
        programs: &["git"],
        subcommand: &["restore"],
        kind: EffectKind::Overwrite,
        reversibility: Reversibility::Irreversible,
        assess: Assess::GitDiscard,
        reason: "discards uncommitted changes to",
        blocks: &["git restore .", "git restore --source=HEAD~2 .", "git restore --worktree --staged ."],
        allows: &["git restore --staged src/main.rs", "git restore README.md"],
        ..Rule::BASE
    },
    Rule {
        id: "git.switch.discard",
        programs: &["git"],
        subcommand: &["switch"],
        any_flag: &["--discard-changes", "-f", "--force"],
        kind: EffectKind::Overwrite,
        risk: Risk::Medium,
        reversibility: Reversibility::Irreversible,
        reason: "switches branch throwing away uncommitted changes",
        blocks: &["git switch -f main", "git switch --discard-changes feature"],
        allows: &["git switch main", "git switch -c feature/new"],
        ..Rule::BASE
    },
    Rule {
        id: "git.stash.clear",
        programs: &["git"],
        subcommand: &["stash", "clear"],
        kind: EffectKind::Delete,
        risk: Risk::Medium,
        reversibility: Reversibility::Irreversible,
        reason: "deletes every stash (git stash clear)",
        blocks: &["git stash clear"],
        allows: &["git stash list", "git stash", "git stash pop"],
        ..Rule::BASE
    },
    Rule {
        id: "git.stash.drop",
        programs: &["git"],
        subcommand: &["stash", "drop"],
        kind: EffectKind::Delete,
        risk: Risk::Medium,
        reversibility: Reversibility::Irreversible,
        reason: "deletes a stash and the work saved in it (git stash drop)",
        blocks: &["git stash drop", "git stash drop stash@{2}"],
        allows: &["git stash apply stash@{1}", "git stash show -p"],
        ..Rule::BASE
    },
    Rule {
        id: "git.reflog.expire",
        programs: &["git"],
        subcommand: &["reflog"],
        test: Some(|inv| matches!(inv.subcommand(1), Some("expire" | "delete"))),
        kind: EffectKind::Delete,
        risk: Risk::Medium,
        reversibility: Reversibility::Irreversible,
        reason: "expires reflog entries, removing the way back to lost commits",
        blocks: &["git reflog expire --expire=now --all", "git reflog delete HEAD@{1}"],
        allows: &["git reflog", "git reflog show main"],
        ..Rule::BASE
    },
    Rule {
        id: "git.gc.prune",
        programs: &["git"],
        subcommand: &["gc"],
        test: Some(gc_prunes_now),
        kind: EffectKind::Delete,
        risk: Risk::Medium,
        reversibility: Reversibility::Irreversible,
        reason: "prunes unreachable objects immediately (git gc --prune=now)",
        blocks: &["git gc --prune=now", "git gc --aggressive --prune=now"],
        allows: &["git gc", "git gc --auto"],
        ..Rule::BASE
    },
    Rule {
        id: "git.prune",
        programs: &["git"],
        subcommand: &["prune"],
        no_flag: &["-n", "--dry-run"],
        kind: EffectKind::Delete,
        risk: Risk::Medium,
        reversibility: Reversibility::Irreversible,
        reason: "deletes unreachable objects (git prune)",
        blocks: &["git prune --expire=now"],
        allows: &["git prune --dry-run"],
        ..Rule::BASE
    },
    Rule {
        id: "git.update-ref",
        programs: &["git"],
        subcommand: &["update-ref"],
        kind: EffectKind::Overwrite,
        risk: Risk::Medium,
        reversibility: Reversibility::Irreversible,
        assess: Assess::GitRef,
        reason: "rewrites a ref directly",
        blocks: &["git update-ref -d refs/heads/main", "git update-ref refs/heads/main HEAD~5"],
        ..Rule::BASE
    },
    Rule {
        id: "git.rewrite.local",
        programs: &["git"],
        test: Some(|inv| {
            matches!(inv.subcommand(0), Some("rebase"))
                || (inv.subcommand(0) == Some("commit") && inv.has("--amend"))
        }),
        kind: EffectKind::Overwrite,
        reversibility: Reversibility::Reversible,
        reason: "rewrites local commits (recoverable through the reflog)",
        allows: &["git rebase main", "git commit --amend --no-edit", "git rebase -i HEAD~3"],
        ..Rule::BASE
    },
    Rule {
        id: "git.read",
        programs: &["git"],
        test: Some(|inv| is_read_verb(inv) || is_read_only_nested(inv)),
        kind: EffectKind::Read,
        risk: Risk::None,
        reversibility: Reversibility::Reversible,
        reason: "reads repository state",
        allows: &[
            "git status",
            "git log --oneline -20",
            "git diff HEAD~1",
            "git show HEAD:src/main.rs",
            "git -C ../lib status",
            "git branch -a",
            "git remote -v",
            "git config --get user.email",
            "git blame src/lib.rs",
            "git --no-pager log -p",
        ],
        ..Rule::BASE
    },
    Rule {
        id: "git.network",
        programs: &["git"],
        test: Some(|inv| matches!(inv.subcommand(0), Some("fetch" | "pull" | "clone" | "ls-remote"))),
        kind: EffectKind::Network,
        reversibility: Reversibility::Reversible,
        reason: "fetches from a remote repository",
        allows: &["git fetch origin", "git pull --rebase", "git clone https://github.com/org/repo.git"],
        ..Rule::BASE
    },
    Rule {
        id: "git.change",
        programs: &["git"],
        kind: EffectKind::Write,
        reversibility: Reversibility::Reversible,
        reason: "records or changes local repository state",
        allows: &[
            "git add -A",
            "git commit -m 'fix: handle empty input'",
            "git merge feature",
            "git cherry-pick abc123",
            "git stash push -m wip",
            "git tag v1.2.0",
            "git init",
            "git rm --cached secrets.txt",
            "git worktree add ../wt feature",
        ],
        ..Rule::BASE
    },
];

/// Whether `branch` is one of the configured protected branches.
pub fn is_protected_branch(branch: &str, scene: &Scene) -> bool {
    let branch = branch.strip_prefix("refs/heads/").unwrap_or(branch);
    scene
        .cfg
        .protected_branches
        .iter()
        .any(|glob| glob_match(glob, branch))
}

fn branch_target(branch: &str, protected: bool, scene: &Scene) -> Target {
    let mut target = Target::new(TargetKind::GitRef, format!("branch {branch}"));
    if protected {
        target.sensitivity = Sensitivity::Protected;
        if let Some(tier) = scene.cfg.environments.tier_of(branch) {
            target.environment = tier;
        }
    }
    target
}

/// `git push`: forced, mirrored or deleting pushes to protected or unknown
/// branches are high risk; ordinary pushes and feature branches are not.
pub fn push(rule: &Rule, inv: &Invocation, scene: &Scene) -> Outcome {
    let mut out = Outcome::default();
    if inv.has_any(&["-n", "--dry-run"]) {
        out.push(Draft {
            kind: EffectKind::Read,
            risk: Risk::None,
            reason: "previews a push without sending anything (--dry-run)".into(),
            ..draft(rule, command_target(inv), scene.span)
        });
        return out;
    }
    let forced_flag = inv.has_any(&["-f", "--force", "--force-with-lease", "--force-if-includes"])
        || inv
            .flags
            .iter()
            .any(|f| f.name.starts_with("--force-with-lease"));
    let deleting = inv.has_any(&["-d", "--delete"]);
    if inv.has("--mirror") {
        out.push(Draft {
            kind: EffectKind::Overwrite,
            target: branch_target("every branch", true, scene),
            risk: Risk::High,
            reversibility: Reversibility::Irreversible,
            reason: "mirrors every local ref to the remote, overwriting and deleting remote branches (git push --mirror)".into(),
            span: scene.span,
        });
        return out;
    }
    let refspecs: Vec<&crate::syntax::Word> = inv.positional_words().skip(1).collect();
    if inv.has("--prune") {
        out.push(Draft {
            kind: EffectKind::Delete,
            target: branch_target("remote branches without a local counterpart", true, scene),
            risk: Risk::High,
            reversibility: Reversibility::Irreversible,
            reason: "deletes remote branches that have no local counterpart (git push --prune)"
                .into(),
            span: scene.span,
        });
    }
    if refspecs.is_empty() {
        if inv.has_any(&["--tags", "--all", "--follow-tags"]) && !forced_flag && !deleting {
            out.push(draft(
                rule,
                Target::new(TargetKind::GitRef, "tags and branches"),
                scene.span,
            ));
            return out;
        }
        // No refspec: the branch comes from configuration, so it is unknown.
        if forced_flag || deleting || inv.has("--all") {
            out.push(Draft {
                kind: if deleting {
                    EffectKind::Delete
                } else {
                    EffectKind::Overwrite
                },
                target: Target::new(TargetKind::GitRef, "the current branch (not named)"),
                risk: Risk::High,
                reversibility: Reversibility::Irreversible,
                reason: "force-pushes without naming the branch, so it may be a protected one"
                    .into(),
                span: scene.span,
            });
        } else if out.drafts.is_empty() {
            out.push(draft(
                rule,
                Target::new(TargetKind::GitRef, "the current branch"),
                scene.span,
            ));
        }
        return out;
    }
    for spec in refspecs {
        let text = spec.text.as_str();
        let forced = forced_flag || text.starts_with('+');
        let text = text.trim_start_matches('+');
        let (source, dest) = match text.split_once(':') {
            Some((s, d)) => (s, d),
            None => (text, text),
        };
        let delete = deleting || (source.is_empty() && text.contains(':'));
        // A published tag is what releases and consumers point at: deleting
        // or moving one needs a person, like a protected branch.
        let tag = dest.strip_prefix("refs/tags/");
        let dest = tag.unwrap_or_else(|| dest.strip_prefix("refs/heads/").unwrap_or(dest));
        let unknown = spec.dynamic || dest.is_empty() || dest == "HEAD" || dest.contains('$');
        let protected =
            !unknown && ((tag.is_some() && (delete || forced)) || is_protected_branch(dest, scene));
        let name = if unknown {
            "a branch not named statically".to_string()
        } else if tag.is_some() {
            format!("tag {dest}")
        } else {
            dest.to_string()
        };
        let name = name.as_str();
        let target = branch_target(name, protected, scene);
        let d = if delete {
            Draft {
                kind: EffectKind::Delete,
                target,
                risk: if protected || unknown {
                    Risk::High
                } else {
                    Risk::Low
                },
                reversibility: Reversibility::Irreversible,
                reason: if tag.is_some() {
                    format!("deletes the remote {name}")
                } else {
                    format!("deletes the remote branch {name}")
                },
                span: spec.span,
            }
        } else if forced {
            Draft {
                kind: EffectKind::Overwrite,
                target,
                risk: if protected || unknown {
                    Risk::High
                } else {
                    Risk::Low
                },
                reversibility: Reversibility::Irreversible,
                reason: format!("force-pushes, overwriting the history of {name}"),
                span: spec.span,
            }
        } else {
            Draft {
                reason: format!("{} {name}", rule.reason),
                ..draft(rule, target, spec.span)
            }
        };
        out.push(d);
    }
    out
}

pub fn branch_delete(rule: &Rule, inv: &Invocation, scene: &Scene) -> Outcome {
    let mut out = Outcome::default();
    let remote = inv.has_any(&["-r", "--remotes"]);
    for word in inv.positional_words() {
        let name = word.text.as_str();
        let short = if remote {
            name.split_once('/').map(|(_, b)| b).unwrap_or(name)
        } else {
            name
        };
        let protected = word.dynamic || is_protected_branch(short, scene);
        let mut d = draft(rule, branch_target(name, protected, scene), word.span);
        d.reason = format!("{} {name}", rule.reason.trim_end_matches(':'));
        if inv.has_any(&["-f", "--force"]) {
            d.risk = d.risk.max(Risk::Medium);
        }
        out.push(d);
    }
    out
}

fn discards_everything(path: &str) -> bool {
    matches!(path, "." | "./" | "*" | ":/" | ":/*" | "..") || path.ends_with('/')
}

/// `git checkout`/`git restore`: which paths lose their uncommitted changes.
pub fn discard(rule: &Rule, inv: &Invocation, scene: &Scene) -> Outcome {
    let mut out = Outcome::default();
    let checkout = inv.subcommand(0) == Some("checkout");
    if checkout && inv.has_any(&["-b", "-B", "--orphan", "-t", "--track"]) {
        out.push(Draft {
            kind: EffectKind::Write,
            risk: Risk::Low,
            reason: "creates and switches to a branch".into(),
            ..draft(rule, command_target(inv), scene.span)
        });
        return out;
    }
    let positionals: Vec<&crate::syntax::Word> = inv.positional_words().collect();
    let split = inv.double_dash_at.unwrap_or(if checkout { 1 } else { 0 });
    let (revs, paths) = positionals.split_at(split.min(positionals.len()));
    let staged_only =
        !checkout && inv.has_any(&["--staged", "-S"]) && !inv.has_any(&["--worktree", "-W"]);
    if staged_only {
        out.push(Draft {
            kind: EffectKind::Write,
            risk: Risk::Low,
            reason: "unstages changes, keeping them in the working tree".into(),
            ..draft(rule, command_target(inv), scene.span)
        });
        return out;
    }
    let forced = inv.has_any(&["-f", "--force"]);
    if paths.is_empty() {
        let branch = revs.first().map(|w| w.text.clone()).unwrap_or_default();
        if !checkout || forced {
            out.push(Draft {
                risk: Risk::Medium,
                reason: format!("{} the whole working tree", rule.reason),
                ..draft(rule, Target::new(TargetKind::Path, "."), scene.span)
            });
        } else if revs.len() == 1 && discards_everything(&branch) {
            out.push(Draft {
                risk: Risk::Medium,
                reason: format!("{} everything under {branch}", rule.reason),
                ..draft(
                    rule,
                    Target::new(TargetKind::Path, branch.clone()),
                    scene.span,
                )
            });
        } else {
            out.push(Draft {
                kind: EffectKind::Write,
                risk: Risk::Low,
                reason: format!("switches the working tree to {branch}"),
                ..draft(
                    rule,
                    Target::new(TargetKind::GitRef, format!("branch {branch}")),
                    scene.span,
                )
            });
        }
        return out;
    }
    for path in paths {
        let everything = discards_everything(&path.text) || path.dynamic;
        out.push(Draft {
            risk: if everything || forced {
                Risk::Medium
            } else {
                Risk::Low
            },
            reason: format!("{} {}", rule.reason, path.text),
            ..draft(
                rule,
                Target::new(TargetKind::Path, path.text.clone()),
                path.span,
            )
        });
    }
    out
}

pub fn update_ref(rule: &Rule, inv: &Invocation, scene: &Scene) -> Outcome {
    let mut out = Outcome::default();
    let deleting = inv.has("-d");
    if let Some(word) = inv.positional(0) {
        let name = word.text.as_str();
        let short = name.strip_prefix("refs/heads/").unwrap_or(name);
        let protected = word.dynamic || is_protected_branch(short, scene);
        let mut d = draft(rule, branch_target(name, protected, scene), word.span);
        if deleting {
            d.kind = EffectKind::Delete;
            d.reason = format!("deletes the ref {name} directly (git update-ref -d)");
        } else {
            d.reason = format!("points the ref {name} at another commit directly (git update-ref)");
        }
        if protected {
            d.risk = d.risk.max(Risk::High);
        }
        out.push(d);
    } else {
        out.push(draft(rule, command_target(inv), scene.span));
    }
    out
}
