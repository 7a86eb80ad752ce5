//! File-system tools: removal (`rm`, `shred`, `find -delete`), raw device
//! writes (`dd`, `mkfs`, `wipefs`), truncation, moves and copies over
//! important paths, and ownership or mode changes.

use airlock_model::{EffectKind, Reversibility, Risk, Sensitivity, Target, TargetKind};

use super::{command_target, draft, Assess, Draft, Nested, Outcome, Rule, Scene};
use crate::grammar::{Grammar, Invocation};
use crate::paths::{self, PathClass, PathInfo};
use crate::syntax::Word;

pub static GRAMMARS: &[Grammar] = &[
    Grammar {
        programs: &["mv", "cp", "install", "ln"],
        value_options: &[
            "-t",
            "--target-directory",
            "-S",
            "--suffix",
            "-m",
            "--mode",
            "-o",
            "-g",
        ],
        ..Grammar::PLAIN
    },
    Grammar {
        programs: &["tar", "bsdtar", "unzip"],
        value_options: &[
            "-C",
            "--directory",
            "-f",
            "--file",
            "-T",
            "--files-from",
            "-X",
            "--exclude-from",
            "-d",
        ],
        ..Grammar::PLAIN
    },
    Grammar {
        programs: &["truncate"],
        value_options: &["-s", "--size", "-r", "--reference"],
        ..Grammar::PLAIN
    },
    Grammar {
        programs: &["shred"],
        value_options: &["-n", "--iterations", "-s", "--size", "--random-source"],
        ..Grammar::PLAIN
    },
    Grammar {
        programs: &["mkfs", "mke2fs", "mkswap", "wipefs"],
        value_options: &[
            "-t", "-L", "-O", "-b", "-N", "-E", "-U", "-o", "--offset", "-T",
        ],
        ..Grammar::PLAIN
    },
    Grammar {
        programs: &["chmod", "chown", "chgrp"],
        value_options: &["--reference", "--from"],
        ..Grammar::PLAIN
    },
    Grammar {
        programs: &["rsync"],
        value_options: &[
            "-e",
            "--rsh",
            "--exclude",
            "--include",
            "--filter",
            "--exclude-from",
            "--include-from",
            "--files-from",
            "-T",
            "--temp-dir",
            "--chmod",
            "--chown",
        ],
        ..Grammar::PLAIN
    },
];

fn has_positionals(inv: &Invocation) -> bool {
    !inv.positionals.is_empty()
}

pub static RULES: &[Rule] = &[
    Rule {
        id: "files.rm",
        programs: &["rm", "unlink"],
        kind: EffectKind::Delete,
        reversibility: Reversibility::Irreversible,
        assess: Assess::DeletePaths {
            always_recursive: false,
        },
        reason: "deletes",
        blocks: &[
            "rm -rf /",
            "rm -rf ~",
            "rm -rf src/",
            "rm -rf \"$BUILD_DIR\"",
            "rm -rf .git",
            "rm -rf ~/.ssh",
            "rm -rf /etc/nginx",
            "rm -rf ../other-project",
            "rm -rf --no-preserve-root /",
            "rm -r ./*",
        ],
        allows: &[
            "rm notes.txt",
            "rm -rf build/",
            "rm -rf node_modules",
            "rm -rf target",
            "rm -f *.o",
            "rm -rf /tmp/test-output",
            "rm -rf dist __pycache__",
            "rm -f src/old_module.rs",
        ],
        ..Rule::BASE
    },
    Rule {
        id: "files.rm-tree",
        programs: &["rimraf", "del-cli", "del"],
        kind: EffectKind::Delete,
        reversibility: Reversibility::Irreversible,
        assess: Assess::DeletePaths {
            always_recursive: true,
        },
        reason: "deletes whole trees (the package-runner form of `rm -rf`)",
        blocks: &[
            "rimraf ~",
            "rimraf /",
            "rimraf src",
            "del-cli '../other-project/**'",
        ],
        allows: &[
            "rimraf dist",
            "rimraf node_modules build coverage",
            "del-cli dist",
        ],
        ..Rule::BASE
    },
    Rule {
        id: "files.rmdir",
        programs: &["rmdir"],
        kind: EffectKind::Delete,
        reversibility: Reversibility::Reversible,
        assess: Assess::DeletePaths {
            always_recursive: false,
        },
        reason: "removes the empty directory",
        blocks: &["rmdir /etc"],
        allows: &["rmdir empty-dir", "rmdir -p a/b/c"],
        ..Rule::BASE
    },
    Rule {
        id: "files.shred",
        programs: &["shred"],
        kind: EffectKind::Delete,
        risk: Risk::Medium,
        reversibility: Reversibility::Irreversible,
        assess: Assess::DeletePaths {
            always_recursive: false,
        },
        reason: "overwrites the contents beyond recovery",
        blocks: &["shred -u secrets.txt", "shred -n 3 /dev/sda"],
        allows: &[],
        ..Rule::BASE
    },
    Rule {
        id: "files.dd",
        programs: &["dd"],
        kind: EffectKind::Overwrite,
        reversibility: Reversibility::Irreversible,
        assess: Assess::DdOutput,
        reason: "writes raw bytes over",
        blocks: &[
            "dd if=/dev/zero of=/dev/sda bs=1M",
            "dd if=image.iso of=/dev/disk2 bs=4m",
        ],
        allows: &[
            "dd if=/dev/urandom of=test.bin bs=1k count=10",
            "dd if=disk.img bs=512 count=1",
        ],
        ..Rule::BASE
    },
    Rule {
        id: "files.mkfs",
        programs: &[
            "mkfs", "mke2fs", "mkswap", "wipefs", "sgdisk", "sfdisk", "parted",
        ],
        no_flag: &["-l", "--list"],
        test: Some(has_positionals),
        kind: EffectKind::Destroy,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Devices,
        reason: "erases the file system or partition table on",
        blocks: &[
            "mkfs.ext4 /dev/sdb1",
            "mkfs -t xfs /dev/nvme0n1",
            "wipefs -a /dev/sdb",
            "mkswap /dev/sda2",
        ],
        allows: &["parted -l"],
        ..Rule::BASE
    },
    Rule {
        id: "files.disk-listing",
        programs: &[
            "mkfs", "mke2fs", "mkswap", "wipefs", "sgdisk", "sfdisk", "parted", "fdisk",
        ],
        kind: EffectKind::Read,
        risk: Risk::None,
        reason: "lists disks and partitions",
        ..Rule::BASE
    },
    Rule {
        id: "files.extract",
        programs: &["tar", "bsdtar", "unzip"],
        test: Some(extracts),
        kind: EffectKind::Write,
        reversibility: Reversibility::Irreversible,
        assess: Assess::ExtractInto,
        reason: "unpacks an archive into",
        blocks: &[
            "tar -xf rootfs.tar -C /",
            "tar xzf dotfiles.tgz -C ~",
            "unzip -o keys.zip -d ~/.ssh",
        ],
        allows: &[
            "tar -xzf archive.tar.gz",
            "tar -xf deps.tar -C vendor/",
            "unzip -o artifact.zip -d out/",
            "tar -czf backup.tar.gz src/",
        ],
        ..Rule::BASE
    },
    Rule {
        id: "files.archive",
        programs: &["tar", "bsdtar", "unzip"],
        kind: EffectKind::Write,
        reversibility: Reversibility::Reversible,
        reason: "creates or lists an archive",
        ..Rule::BASE
    },
    Rule {
        id: "files.truncate",
        programs: &["truncate"],
        kind: EffectKind::Overwrite,
        reversibility: Reversibility::Irreversible,
        assess: Assess::WritePaths {
            clobber: true,
            skip: 0,
        },
        reason: "truncates",
        blocks: &["truncate -s 0 /var/log/syslog", "truncate -s 0 /etc/passwd"],
        allows: &["truncate -s 0 app.log", "truncate --size 1M test.img"],
        ..Rule::BASE
    },
    Rule {
        id: "files.mv",
        programs: &["mv"],
        kind: EffectKind::Overwrite,
        reversibility: Reversibility::Reversible,
        assess: Assess::Destination { moves: true },
        reason: "moves files over",
        blocks: &[
            "mv config.yml /etc/app/config.yml",
            "mv ~/.ssh/id_rsa /tmp/",
            "mv build.sh ~/.bashrc",
            "mv /usr/bin/python3 /tmp/python3",
            "mv src ~",
        ],
        allows: &[
            "mv old.txt new.txt",
            "mv src/utils.rs src/helpers.rs",
            "mv -t dist/ a.js b.js",
        ],
        ..Rule::BASE
    },
    Rule {
        id: "files.cp",
        programs: &["cp", "install", "ln"],
        kind: EffectKind::Write,
        reversibility: Reversibility::Reversible,
        assess: Assess::Destination { moves: false },
        reason: "copies files to",
        blocks: &[
            "cp evil.conf /etc/sudoers",
            "cp hook.json .claude/settings.json",
            "ln -sf /dev/null ~/.bashrc",
        ],
        allows: &[
            "cp .env.example .env",
            "cp -r templates/ out/",
            "cp README.md docs/",
        ],
        ..Rule::BASE
    },
    Rule {
        id: "files.mode",
        programs: &["chmod", "chown", "chgrp"],
        kind: EffectKind::Write,
        reversibility: Reversibility::Reversible,
        assess: Assess::Mode,
        reason: "changes permissions or ownership of",
        blocks: &[
            "chmod -R 777 /",
            "chmod 777 -R .",
            "chown -R nobody:nogroup /usr",
            "chmod u+s /usr/bin/python3",
            "chmod -R 000 ~",
            "chmod 600 ~/.ssh/authorized_keys",
        ],
        allows: &[
            "chmod +x scripts/build.sh",
            "chmod 644 README.md",
            "chmod -R u+w build",
            "chown -R \"$USER\" node_modules",
        ],
        ..Rule::BASE
    },
    Rule {
        id: "files.rsync.delete",
        programs: &["rsync"],
        any_flag: &[
            "--delete",
            "--delete-after",
            "--delete-before",
            "--delete-during",
            "--delete-excluded",
            "--del",
        ],
        kind: EffectKind::Delete,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Destination { moves: false },
        reason: "mirrors into, deleting whatever the source lacks,",
        blocks: &[
            "rsync -a --delete build/ /var/www/html/",
            "rsync -a --delete ./ ~/",
        ],
        allows: &["rsync -a --delete build/ /tmp/site-preview/"],
        ..Rule::BASE
    },
    Rule {
        id: "files.rsync",
        programs: &["rsync", "scp"],
        kind: EffectKind::Write,
        assess: Assess::Destination { moves: false },
        reason: "copies files to",
        blocks: &["rsync -a dotfiles/ ~/.ssh/"],
        allows: &["rsync -av src/ backup/"],
        ..Rule::BASE
    },
    Rule {
        id: "files.find",
        programs: &["find"],
        kind: EffectKind::Read,
        risk: Risk::None,
        assess: Assess::Find,
        reason: "searches files",
        blocks: &[
            "find / -name '*.log' -delete",
            "find . -name '*.go' -type f -delete",
            "find . -delete",
            "find ~ -type f -exec rm -f {} +",
            "find . -type f -exec rm -f {} +",
            "find src -type f -exec shred -u {} \\;",
        ],
        allows: &[
            "find . -name '*.pyc' -delete",
            "find . -name node_modules -type d -prune -exec rm -rf {} +",
            "find src -name '*.rs' | xargs wc -l",
            "find . -type f -name '*.tmp' -exec rm {} \\;",
            "find . -maxdepth 2 -name Cargo.toml",
            "find . -name '*.go' -exec grep -l TODO {} +",
        ],
        ..Rule::BASE
    },
];

fn extracts(inv: &Invocation) -> bool {
    if inv.program == "unzip" {
        return !inv.has_any(&["-l", "-t", "-v", "-Z"]);
    }
    inv.has_any(&["-x", "--extract", "--get"])
        || inv.positional(0).is_some_and(|w| {
            w.span == inv.words.get(1).map(|f| f.span).unwrap_or_default()
                && w.text.contains('x')
                && !w.text.contains('/')
        })
}

pub fn extract_into(rule: &Rule, inv: &Invocation, scene: &Scene) -> Outcome {
    let mut out = Outcome::default();
    let dest = ["-C", "--directory", "-d"]
        .iter()
        .find_map(|name| inv.flags.iter().find(|f| f.name == *name))
        .and_then(|f| {
            let word = inv.words.get(f.word)?;
            Some(Word {
                text: f.value.clone()?,
                span: word.span,
                dynamic: word.dynamic,
            })
        })
        .unwrap_or_else(|| Word::literal(".", scene.span));
    out.push(write_draft(rule, &dest, scene, false));
    out
}

fn recursive(inv: &Invocation) -> bool {
    inv.has_any(&["-r", "-R", "--recursive"])
}

fn path_word_info(word: &Word, scene: &Scene) -> PathInfo {
    if word.dynamic {
        // `$HOME` resolves statically to `~`; anything else left is dynamic.
        let resolved = paths::resolve(&word.text, scene.cwd);
        let class = paths::classify_resolved(&resolved, scene.cfg);
        let still_dynamic = resolved.contains('$') || resolved.contains('`');
        let class = if class == PathClass::Protected || !still_dynamic {
            class
        } else {
            PathClass::Dynamic
        };
        PathInfo { resolved, class }
    } else {
        paths::inspect(&word.text, scene.cwd, scene.cfg)
    }
}

fn sensitivity_phrase(info: &PathInfo) -> &'static str {
    match info.class {
        PathClass::Critical => ", a system or home root",
        PathClass::Device => ", a raw device",
        PathClass::Protected => ", a protected path",
        PathClass::Dynamic => ", a path only known at run time",
        PathClass::Outside => ", outside the project",
        PathClass::Regenerable => ", which a build regenerates",
        PathClass::Temp => ", scratch space",
        _ => "",
    }
}

/// The draft for removing one path.
/// Name patterns `find -delete` may clear across a tree without a person:
/// build and editor leftovers. Any other pattern (`-name '*.go'`) deletes
/// real files throughout the tree and is judged like a recursive delete.
const DISPOSABLE_FILE_PATTERNS: &[&str] = &[
    "*.pyc",
    "*.pyo",
    "__pycache__",
    "*.o",
    "*.obj",
    "*.class",
    "*.orig",
    "*.rej",
    "*.log",
    "*.tmp",
    "*~",
    "*.swp",
    "*.swo",
    ".DS_Store",
    "*.bak",
    "*.profraw",
    "*.gcda",
    "*.gcno",
    "node_modules",
    ".pytest_cache",
    ".mypy_cache",
];

pub fn deletion_draft(rule: &Rule, word: &Word, scene: &Scene, recursive: bool) -> Draft {
    let info = path_word_info(word, scene);
    let (risk, sensitivity) = paths::deletion(&info, recursive, scene.cfg);
    let tree = if recursive { " recursively" } else { "" };
    Draft {
        kind: rule.kind,
        target: info.target().with_sensitivity(sensitivity),
        risk: risk.max(rule.risk),
        reversibility: rule.reversibility,
        reason: format!(
            "{}{tree} {}{}",
            rule.reason,
            info.resolved,
            sensitivity_phrase(&info)
        ),
        span: word.span,
    }
}

pub fn delete_paths(rule: &Rule, inv: &Invocation, scene: &Scene, always: bool) -> Outcome {
    let recursive = always || recursive(inv);
    let mut out = Outcome::default();
    for word in inv.positional_words() {
        out.push(deletion_draft(rule, word, scene, recursive));
    }
    out
}

/// The draft for writing one path.
pub fn write_draft(rule: &Rule, word: &Word, scene: &Scene, clobber: bool) -> Draft {
    let info = path_word_info(word, scene);
    let (risk, sensitivity) = paths::writing(&info, clobber);
    Draft {
        kind: rule.kind,
        target: info.target().with_sensitivity(sensitivity),
        risk: if info.class == PathClass::Harmless {
            Risk::None
        } else {
            risk.max(rule.risk)
        },
        reversibility: rule.reversibility,
        reason: format!(
            "{} {}{}",
            rule.reason,
            info.resolved,
            sensitivity_phrase(&info)
        ),
        span: word.span,
    }
}

pub fn write_paths(
    rule: &Rule,
    inv: &Invocation,
    scene: &Scene,
    clobber: bool,
    skip: usize,
) -> Outcome {
    let mut out = Outcome::default();
    for word in inv.positional_words().skip(skip) {
        out.push(write_draft(rule, word, scene, clobber));
    }
    out
}

pub fn destination(rule: &Rule, inv: &Invocation, scene: &Scene, moves: bool) -> Outcome {
    let mut out = Outcome::default();
    let explicit = inv
        .flags
        .iter()
        .find(|f| f.name == "-t" || f.name == "--target-directory")
        .and_then(|f| {
            inv.words.get(f.word).map(|w| Word {
                text: f.value.clone().unwrap_or_default(),
                span: w.span,
                dynamic: w.dynamic,
            })
        });
    let positionals: Vec<&Word> = inv.positional_words().collect();
    let (dest, sources): (Option<Word>, Vec<&Word>) = match explicit {
        Some(dest) => (Some(dest), positionals),
        None => match positionals.split_last() {
            Some((last, rest)) if !rest.is_empty() => (Some((*last).clone()), rest.to_vec()),
            _ => (None, Vec::new()),
        },
    };
    if let Some(dest) = dest {
        if rule.kind == EffectKind::Delete {
            out.push(deletion_draft(rule, &dest, scene, true));
        } else {
            out.push(write_draft(
                rule,
                &dest,
                scene,
                rule.kind == EffectKind::Overwrite,
            ));
        }
    }
    if moves {
        for source in sources {
            let info = path_word_info(source, scene);
            if matches!(
                info.class,
                PathClass::Critical | PathClass::Protected | PathClass::Device
            ) {
                let (risk, sensitivity) = paths::deletion(&info, false, scene.cfg);
                out.push(Draft {
                    kind: EffectKind::Delete,
                    target: info.target().with_sensitivity(sensitivity),
                    risk,
                    reversibility: Reversibility::Reversible,
                    reason: format!("moves {} away{}", info.resolved, sensitivity_phrase(&info)),
                    span: source.span,
                });
            }
        }
    }
    out
}

fn world_writable(mode: &str) -> bool {
    let digits: String = mode.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() >= 3 && digits == mode {
        let other = digits
            .chars()
            .last()
            .and_then(|c| c.to_digit(8))
            .unwrap_or(0);
        return other & 2 != 0;
    }
    mode.contains("o+w") || mode.contains("a+w") || mode.starts_with("+w") || mode.contains("=rwx")
}

fn setuid(mode: &str) -> bool {
    if mode.chars().all(|c| c.is_ascii_digit()) && mode.len() == 4 {
        return mode
            .chars()
            .next()
            .is_some_and(|c| matches!(c, '2' | '4' | '6'));
    }
    mode.contains("+s") || mode.contains("u+s") || mode.contains("g+s")
}

pub fn mode(rule: &Rule, inv: &Invocation, scene: &Scene) -> Outcome {
    let mut out = Outcome::default();
    let skip = if inv.has("--reference") { 0 } else { 1 };
    let spec = inv.positional(0).map(|w| w.text.as_str()).unwrap_or("");
    let is_chmod = inv.program == "chmod";
    let recursive = recursive(inv);
    for word in inv.positional_words().skip(skip) {
        let info = path_word_info(word, scene);
        let mut d = Draft {
            kind: rule.kind,
            target: info.target(),
            risk: Risk::Low,
            reversibility: rule.reversibility,
            reason: format!(
                "{} {}{}",
                rule.reason,
                info.resolved,
                sensitivity_phrase(&info)
            ),
            span: word.span,
        };
        match info.class {
            PathClass::Critical | PathClass::Device => {
                d.kind = EffectKind::Privilege;
                d.risk = Risk::Critical;
            }
            PathClass::Protected => d.risk = Risk::Medium,
            PathClass::Outside | PathClass::Dynamic if recursive && !is_chmod => {
                d.kind = EffectKind::Privilege;
                d.risk = Risk::High;
            }
            _ => {}
        }
        if is_chmod && ((world_writable(spec) && recursive) || setuid(spec)) {
            d.kind = EffectKind::Privilege;
            d.risk = d.risk.max(Risk::High);
            d.reason = format!("makes {} world-writable or set-id ({spec})", info.resolved);
        }
        out.push(d);
    }
    out
}

pub fn dd_output(rule: &Rule, inv: &Invocation, scene: &Scene) -> Outcome {
    let mut out = Outcome::default();
    for word in inv.positional_words() {
        if let Some(path) = word.text.strip_prefix("of=") {
            let target = Word {
                text: path.to_string(),
                span: word.span,
                dynamic: word.dynamic,
            };
            out.push(write_draft(rule, &target, scene, true));
        }
    }
    if out.drafts.is_empty() {
        out.push(Draft {
            kind: EffectKind::Read,
            target: command_target(inv),
            risk: Risk::None,
            reversibility: Reversibility::Reversible,
            reason: "copies raw bytes to standard output".into(),
            span: scene.span,
        });
    }
    out
}

pub fn devices(rule: &Rule, inv: &Invocation, scene: &Scene) -> Outcome {
    let mut out = Outcome::default();
    for word in inv.positional_words() {
        let info = path_word_info(word, scene);
        let (risk, sensitivity, kind) = match info.class {
            PathClass::Device | PathClass::Critical => {
                (Risk::Critical, Sensitivity::Critical, TargetKind::Device)
            }
            PathClass::Dynamic => (Risk::High, Sensitivity::Normal, TargetKind::Device),
            _ => (Risk::Medium, info.sensitivity(), TargetKind::Path),
        };
        out.push(Draft {
            kind: rule.kind,
            target: Target::new(kind, info.resolved.clone()).with_sensitivity(sensitivity),
            risk: risk.max(rule.risk),
            reversibility: rule.reversibility,
            reason: format!("{} {}", rule.reason, info.resolved),
            span: word.span,
        });
    }
    out
}

/// Reads `find START... EXPRESSION`: `-delete` removes what matches, and
/// `-exec`/`-execdir`/`-ok` commands run on each match.
pub fn find(rule: &Rule, inv: &Invocation, scene: &Scene) -> Outcome {
    let mut out = Outcome::default();
    let words = &inv.words;
    let mut index = 1;
    let mut starts: Vec<&Word> = Vec::new();
    while let Some(word) = words.get(index) {
        let t = word.text.as_str();
        if !word.dynamic && (t.starts_with('-') || t == "(" || t == "!" || t == ")") {
            if matches!(t, "-H" | "-L" | "-P") {
                index += 1;
                continue;
            }
            break;
        }
        starts.push(word);
        index += 1;
    }
    let name_filter = words
        .iter()
        .position(|w| matches!(w.text.as_str(), "-name" | "-iname"))
        .and_then(|i| words.get(i + 1))
        .map(|w| w.text.clone());
    let default_start = Word::literal(".", scene.span);
    if starts.is_empty() {
        starts.push(&default_start);
    }
    // Each match, as a path the classifier can judge.
    let matched: Vec<Word> = starts
        .iter()
        .map(|s| {
            let base = s.text.trim_end_matches('/');
            let base = if base.is_empty() { "/" } else { base };
            let leaf = name_filter.as_deref().unwrap_or("*");
            let sep = if base.ends_with('/') { "" } else { "/" };
            Word {
                text: format!("{base}{sep}{leaf}"),
                span: s.span,
                dynamic: s.dynamic,
            }
        })
        .collect();
    let mut found_action = false;
    while let Some(word) = words.get(index) {
        match word.text.as_str() {
            "-delete" if !word.dynamic => {
                found_action = true;
                let delete_rule = Rule {
                    kind: EffectKind::Delete,
                    reversibility: Reversibility::Irreversible,
                    reason: "find -delete removes",
                    ..*rule
                };
                for m in &matched {
                    let whole_tree = name_filter
                        .as_deref()
                        .is_none_or(|pattern| !DISPOSABLE_FILE_PATTERNS.contains(&pattern));
                    let mut d = deletion_draft(&delete_rule, m, scene, whole_tree);
                    if whole_tree
                        && name_filter.is_some()
                        && path_word_info(m, scene).class == PathClass::Workspace
                    {
                        // Every matching file throughout the project tree.
                        d.risk = d.risk.max(Risk::Medium);
                    }
                    d.span = word.span;
                    out.push(d);
                }
            }
            "-exec" | "-execdir" | "-ok" | "-okdir" if !word.dynamic => {
                found_action = true;
                let mut inner = Vec::new();
                index += 1;
                while let Some(w) = words.get(index) {
                    if !w.dynamic && (w.text == ";" || w.text == "+") {
                        break;
                    }
                    inner.push(w.clone());
                    index += 1;
                }
                for m in &matched {
                    let substituted: Vec<Word> = inner
                        .iter()
                        .map(|w| {
                            if w.text.contains("{}") {
                                Word {
                                    text: w.text.replace("{}", &m.text),
                                    span: w.span,
                                    dynamic: w.dynamic || m.dynamic,
                                }
                            } else {
                                w.clone()
                            }
                        })
                        .collect();
                    if !substituted.is_empty() {
                        out.nested.push(Nested {
                            words: substituted,
                            via: "find -exec".into(),
                        });
                    }
                }
            }
            "-fprint" | "-fprint0" | "-fprintf" | "-fls" => {
                found_action = true;
                if let Some(target) = words.get(index + 1) {
                    let write_rule = Rule {
                        kind: EffectKind::Overwrite,
                        reason: "find writes its listing to",
                        ..*rule
                    };
                    out.push(write_draft(&write_rule, target, scene, true));
                }
            }
            _ => {}
        }
        index += 1;
    }
    if !found_action || out.drafts.is_empty() && out.nested.is_empty() {
        out.push(draft(rule, command_target(inv), scene.span));
    }
    out
}
