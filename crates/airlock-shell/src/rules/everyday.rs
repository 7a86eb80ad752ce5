//! Everyday tools of the development loop (reading, searching, building,
//! testing, package managers, containers, clusters, the network) and the few
//! ways they turn dangerous (publishing, deleting cluster objects, uploading
//! local secrets, power and service control).

use airlock_model::{EffectKind, Reversibility, Risk, Sensitivity, Target, TargetKind};

use super::files::write_draft;
use super::{draft, Assess, Draft, Outcome, Rule, Scene};
use crate::grammar::{Grammar, Invocation};
use crate::paths::{self, PathClass};
use crate::syntax::Word;

pub const READ_TOOLS: &[&str] = &[
    "ls",
    "cat",
    "head",
    "tail",
    "grep",
    "egrep",
    "fgrep",
    "rg",
    "ag",
    "ack",
    "wc",
    "jq",
    "yq",
    "sort",
    "uniq",
    "echo",
    "printf",
    "pwd",
    "which",
    "whereis",
    "type",
    "file",
    "stat",
    "du",
    "df",
    "tree",
    "less",
    "more",
    "diff",
    "cmp",
    "cut",
    "tr",
    "basename",
    "dirname",
    "realpath",
    "readlink",
    "date",
    "whoami",
    "id",
    "uname",
    "hostname",
    "printenv",
    "ps",
    "pgrep",
    "history",
    "true",
    "false",
    "test",
    "[",
    "seq",
    "column",
    "nl",
    "fold",
    "paste",
    "join",
    "comm",
    "md5sum",
    "sha256sum",
    "sha1sum",
    "sha512sum",
    "shasum",
    "cksum",
    "b2sum",
    "xxd",
    "hexdump",
    "od",
    "strings",
    "lsof",
    "free",
    "uptime",
    "locale",
    "tput",
    "clear",
    "man",
    "help",
    "info",
    "fd",
    "fdfind",
    "bat",
    "batcat",
    "exa",
    "eza",
    "sleep",
    "wait",
    "cd",
    "pushd",
    "popd",
    "dirs",
    "set",
    "shopt",
    "alias",
    "unalias",
    "hash",
    "ulimit",
    "umask",
    "trap",
    "exit",
    "return",
    "shift",
    "read",
    "local",
    "export",
    "declare",
    "typeset",
    "readonly",
    "unset",
    "getconf",
    "nproc",
    "lscpu",
    "tty",
    "column",
    "expr",
    "bc",
    "tac",
    "rev",
    "look",
    "zcat",
    "zgrep",
    "gunzip",
    "base64",
    "iconv",
    "numfmt",
    "sha224sum",
    "sha384sum",
    "cal",
    "env",
    ":",
    "htop",
    "top",
    "vmstat",
    "iostat",
    "lsblk",
    "blkid",
    "findmnt",
    "dmesg",
    "tokei",
    "cloc",
    "wc",
    "delta",
    "difft",
    "git-lfs",
    "command",
    "builtin",
    "compgen",
    "complete",
    "jobs",
    "fg",
    "bg",
    "disown",
    "let",
    "caller",
    "times",
    "getopts",
    "ping",
    "dig",
    "nslookup",
    "host",
    "traceroute",
    "netstat",
    "ss",
    "ip",
    "ifconfig",
    "nc",
    "sha",
];

pub const BUILD_TOOLS: &[&str] = &[
    "cargo",
    "rustc",
    "rustup",
    "rustfmt",
    "go",
    "gofmt",
    "make",
    "gmake",
    "cmake",
    "ninja",
    "meson",
    "bazel",
    "bazelisk",
    "buck2",
    "gradle",
    "mvn",
    "ant",
    "sbt",
    "npm",
    "pnpm",
    "yarn",
    "bun",
    "npx",
    "pnpx",
    "bunx",
    "pytest",
    "tox",
    "nox",
    "pip",
    "pip3",
    "uv",
    "uvx",
    "poetry",
    "pipenv",
    "pdm",
    "hatch",
    "ruff",
    "black",
    "isort",
    "mypy",
    "pyright",
    "flake8",
    "pylint",
    "eslint",
    "prettier",
    "tsc",
    "jest",
    "vitest",
    "mocha",
    "playwright",
    "cypress",
    "gcc",
    "g++",
    "clang",
    "clang++",
    "cc",
    "c++",
    "ld",
    "javac",
    "java",
    "kotlinc",
    "dotnet",
    "mix",
    "elixir",
    "erl",
    "rebar3",
    "bundle",
    "rake",
    "rspec",
    "gem",
    "composer",
    "phpunit",
    "swift",
    "swiftc",
    "xcodebuild",
    "just",
    "task",
    "pre-commit",
    "tsx",
    "ts-node",
    "vite",
    "webpack",
    "esbuild",
    "rollup",
    "turbo",
    "nx",
    "lerna",
    "deno",
    "zig",
    "ghc",
    "cabal",
    "stack",
    "dune",
    "opam",
    "lua",
    "luarocks",
    "R",
    "julia",
    "clippy-driver",
    "cargo-clippy",
    "golangci-lint",
    "staticcheck",
    "shellcheck",
    "shfmt",
    "hadolint",
    "tflint",
    "checkov",
    "tfsec",
    "actionlint",
    "yamllint",
    "markdownlint",
    "codespell",
    "typos",
    "taplo",
    "protoc",
    "buf",
    "sqlc",
    "wasm-pack",
    "trunk",
    "maturin",
    "nextest",
    "cargo-nextest",
    "insta",
    "hyperfine",
    "valgrind",
    "gdb",
    "lldb",
    "strace",
    "perf",
    "ctest",
    "autoreconf",
    "pkg-config",
    "brew",
    "apt",
    "apt-get",
    "apt-cache",
    "dpkg",
    "conda",
    "mamba",
    "nvm",
    "fnm",
    "volta",
    "asdf",
    "mise",
    "direnv",
    "tmux",
    "code",
    "vim",
    "nvim",
    "nano",
    "emacs",
    "open",
    "xdg-open",
    "pbcopy",
    "pbpaste",
    "xclip",
    "tar",
    "zip",
    "unzip",
    "gzip",
    "bzip2",
    "xz",
    "zstd",
    "7z",
    "openssl",
    "ssh-keygen",
    "gpg",
    "ssh",
    "sha",
    "lsof",
    "nohup",
    "minikube",
    "kind",
    "k3d",
    "skaffold",
    "tilt",
    "doctl",
    "flyctl",
    "vercel",
    "netlify",
    "heroku",
    "wrangler",
    "ollama",
    "jupyter",
    "ipython",
    "ansible-lint",
    "packer",
    "vagrant",
    "lsb_release",
    "sw_vers",
    "ncdu",
    "watchman",
    "entr",
    "fswatch",
    "inotifywait",
    "timeout",
];

/// `curl`, `wget` (in `secrets`) and `gh` (in `supply_chain`) have their
/// grammars in the family that judges them.
pub static GRAMMARS: &[Grammar] = &[
    Grammar {
        programs: &[
            "cargo", "npm", "pnpm", "yarn", "bun", "go", "gem", "poetry", "twine", "dotnet", "uv",
            "pip", "pip3", "brew", "apt", "apt-get",
        ],
        global_value_options: &[
            "-n",
            "--namespace",
            "--context",
            "--cluster",
            "--kubeconfig",
            "--kube-context",
            "-C",
            "--manifest-path",
            "--prefix",
            "--cwd",
            "-H",
            "--host",
            "-c",
            "--config",
            "-R",
            "--repo",
            "-f",
            "--file",
        ],
        has_subcommands: true,
        nested: &[
            "system",
            "volume",
            "image",
            "container",
            "network",
            "compose",
            "buildx",
            "repo",
            "release",
            "pr",
            "rollout",
            "config",
            "auth",
            "secret",
            "run",
            "builder",
        ],
        value_options: &[
            "-n",
            "--namespace",
            "--context",
            "--cluster",
            "--kubeconfig",
            "--kube-context",
            "-l",
            "--selector",
            "-o",
            "--output",
            "-f",
            "--filename",
            "-c",
            "--container",
            "-p",
            "--package",
            "--features",
            "--bin",
            "--example",
            "--test",
            "--bench",
            "--target",
            "--registry",
            "--tag",
            "-t",
            "-v",
            "--volume",
            "-e",
            "--env",
            "--name",
            "-w",
            "--workdir",
            "--entrypoint",
            "--network",
            "-u",
            "--user",
            "--values",
            "--set",
            "--version",
            "-R",
            "--repo",
            "--title",
            "--body",
            "-b",
            "-m",
            "--jobs",
            "-j",
            "--manifest-path",
            "--mount",
            "--platform",
            "--label",
            "-L",
        ],
        single_dash_long: false,
    },
    Grammar {
        programs: &["sed"],
        value_options: &["-e", "-f", "--expression", "--file", "-l", "--line-length"],
        ..Grammar::PLAIN
    },
    Grammar {
        programs: &["mkdir", "touch", "tee"],
        value_options: &["-m", "--mode", "-d", "--date", "-t", "-r", "--reference"],
        ..Grammar::PLAIN
    },
];

fn awk_runs_commands(inv: &Invocation) -> bool {
    inv.positional_words().any(|w| {
        w.text.contains("system(")
            || w.text.contains("| getline")
            || w.text.contains("|getline")
            || w.text.contains("print |")
            || w.text.contains("printf |")
    })
}

pub static RULES: &[Rule] = &[
    Rule {
        id: "everyday.read",
        programs: READ_TOOLS,
        kind: EffectKind::Read,
        risk: Risk::None,
        reversibility: Reversibility::Reversible,
        reason: "reads or prints information without changing anything",
        allows: &[
            "ls -la",
            "cat README.md",
            "grep -rn TODO src/",
            "rg 'fn main' --type rust",
            "wc -l src/*.rs",
            "jq .version package.json",
            "echo done",
            "pwd",
            "which cargo",
            "head -n 50 Cargo.lock",
        ],
        ..Rule::BASE
    },
    Rule {
        id: "everyday.sed.in-place",
        programs: &["sed"],
        test: Some(|inv| {
            inv.flags.iter().any(|f| {
                f.name == "-i" || f.name == "--in-place" || f.name.starts_with("--in-place")
            })
        }),
        kind: EffectKind::Write,
        reversibility: Reversibility::Irreversible,
        assess: Assess::SedInPlace,
        reason: "edits in place",
        blocks: &[
            "sed -i 's/^#PermitRoot/PermitRoot/' /etc/ssh/sshd_config",
            "sed -i '/airlock/d' ~/.bashrc",
        ],
        allows: &[
            "sed -i 's/foo/bar/g' src/main.rs",
            "sed -i.bak -e 's/a/b/' config.yaml",
        ],
        ..Rule::BASE
    },
    Rule {
        id: "everyday.sed",
        programs: &["sed"],
        kind: EffectKind::Read,
        risk: Risk::None,
        reversibility: Reversibility::Reversible,
        reason: "transforms text to standard output",
        allows: &["sed -n '1,20p' src/lib.rs"],
        ..Rule::BASE
    },
    Rule {
        id: "everyday.awk.commands",
        programs: &["awk", "gawk", "mawk", "nawk"],
        test: Some(awk_runs_commands),
        kind: EffectKind::Unknown,
        risk: Risk::Medium,
        reason: "cannot determine effect: the awk program runs shell commands",
        blocks: &["awk 'BEGIN { system(\"rm -rf /\") }'"],
        ..Rule::BASE
    },
    Rule {
        id: "everyday.awk",
        programs: &["awk", "gawk", "mawk", "nawk"],
        kind: EffectKind::Read,
        risk: Risk::None,
        reversibility: Reversibility::Reversible,
        reason: "processes text to standard output",
        allows: &["awk '{print $1}' access.log"],
        ..Rule::BASE
    },
    Rule {
        id: "everyday.mkdir",
        programs: &["mkdir", "touch"],
        kind: EffectKind::Write,
        reversibility: Reversibility::Reversible,
        assess: Assess::WritePaths {
            clobber: false,
            skip: 0,
        },
        reason: "creates",
        blocks: &["touch /etc/cron.d/job", "mkdir -p .github/workflows/new"],
        allows: &["mkdir -p build/out", "touch src/new_module.rs"],
        ..Rule::BASE
    },
    Rule {
        id: "everyday.tee",
        programs: &["tee"],
        kind: EffectKind::Overwrite,
        reversibility: Reversibility::Irreversible,
        assess: Assess::WritePaths {
            clobber: true,
            skip: 0,
        },
        reason: "writes its input to",
        no_flag: &["-a", "--append"],
        blocks: &[
            "tee /etc/hosts",
            "echo 'export X=1' | tee .git/hooks/pre-commit",
        ],
        allows: &["tee output.log", "cargo test 2>&1 | tee test.log"],
        ..Rule::BASE
    },
    Rule {
        id: "everyday.tee.append",
        programs: &["tee"],
        kind: EffectKind::Write,
        reversibility: Reversibility::Reversible,
        assess: Assess::WritePaths {
            clobber: false,
            skip: 0,
        },
        reason: "appends its input to",
        blocks: &["echo 'alias ls=rm' | tee -a ~/.bashrc"],
        allows: &["echo line | tee -a notes.md"],
        ..Rule::BASE
    },
    Rule {
        id: "everyday.build",
        programs: BUILD_TOOLS,
        kind: EffectKind::Execute,
        reversibility: Reversibility::Reversible,
        reason: "runs a build, test, lint or package tool",
        allows: &[
            "cargo test --workspace",
            "cargo clippy --all-targets -- -D warnings",
            "npm ci",
            "pnpm run build",
            "pytest -q tests/",
            "go test ./...",
            "make",
            "docker build -t app .",
        ],
        ..Rule::BASE
    },
    Rule {
        id: "system.accounts",
        programs: &["su"],
        kind: EffectKind::Privilege,
        risk: Risk::High,
        reason: "switches to another user, usually root",
        blocks: &["su - root", "su -c 'rm -rf /var/lib/app' postgres"],
        ..Rule::BASE
    },
];

pub fn sed_in_place(rule: &Rule, inv: &Invocation, scene: &Scene) -> Outcome {
    let has_script_option = inv.has_any(&["-e", "-f", "--expression", "--file"]);
    let skip = if has_script_option { 0 } else { 1 };
    let mut out = Outcome::default();
    for word in inv.positional_words().skip(skip) {
        out.push(write_draft(rule, word, scene, false));
    }
    if out.drafts.is_empty() {
        out.push(draft(rule, super::command_target(inv), scene.span));
    }
    out
}

/// A local file named by a curl/wget upload option (`-d @file`, `-F k=@file`,
/// `-T file`, `--post-file=file`).
fn uploaded_file(flag: &str, value: &str) -> Option<String> {
    match flag {
        "-T" | "--upload-file" | "--post-file" | "--body-file" => Some(value.to_string()),
        "-d" | "--data" | "--data-binary" | "--data-raw" | "--data-urlencode" | "--data-ascii"
        | "--json" => value
            .split_once('@')
            .map(|(_, f)| f.to_string())
            .filter(|_| value.starts_with('@') || value.contains("=@")),
        "-F" | "--form" => value
            .split_once("=@")
            .or_else(|| value.split_once("=<"))
            .map(|(_, f)| f.split(';').next().unwrap_or(f).to_string()),
        _ => None,
    }
}

/// Whether a file's name marks it as holding secrets.
pub fn is_secret_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    name.starts_with(".env")
        || name.starts_with("id_")
        || name.ends_with(".pem")
        || name.ends_with(".key")
        || name.contains("credential")
        || name.contains("secret")
        || name.contains("token")
        || name == "shadow"
        || name == "passwd"
        || name.ends_with(".tfstate")
        || name.ends_with(".kdbx")
}

pub fn remote(rule: &Rule, inv: &Invocation, scene: &Scene) -> Outcome {
    let mut out = Outcome::default();
    let url = inv
        .positional_words()
        .find(|w| w.text.contains("://") || w.text.contains('.'))
        .map(|w| w.text.clone())
        .or_else(|| inv.value_of("--url").map(str::to_string))
        .unwrap_or_else(|| "a remote host".to_string());
    for flag in &inv.flags {
        let Some(value) = flag.value.as_deref() else {
            continue;
        };
        if let Some(file) = uploaded_file(&flag.name, value) {
            let word = inv.words.get(flag.word);
            let info = paths::inspect(&file, scene.cwd, scene.cfg);
            let secret = matches!(info.class, PathClass::Protected | PathClass::Critical)
                || is_secret_file(&file);
            let span = word.map(|w| w.span).unwrap_or(scene.span);
            if secret {
                out.push(Draft {
                    kind: EffectKind::Exfiltrate,
                    target: Target::new(TargetKind::Remote, url.clone())
                        .with_sensitivity(Sensitivity::Protected),
                    risk: Risk::High,
                    reversibility: Reversibility::Irreversible,
                    reason: format!(
                        "uploads {}, which holds credentials or secrets, to {url}",
                        info.resolved
                    ),
                    span,
                });
            } else {
                out.push(Draft {
                    kind: EffectKind::Network,
                    target: Target::new(TargetKind::Remote, url.clone()),
                    risk: Risk::Low,
                    reversibility: Reversibility::Irreversible,
                    reason: format!("uploads {} to {url}", info.resolved),
                    span,
                });
            }
        }
        if matches!(
            flag.name.as_str(),
            "-o" | "--output" | "-O" | "--output-document"
        ) && value != "-"
        {
            let word = Word {
                text: value.to_string(),
                span: inv
                    .words
                    .get(flag.word)
                    .map(|w| w.span)
                    .unwrap_or(scene.span),
                dynamic: inv.words.get(flag.word).is_some_and(|w| w.dynamic),
            };
            let write_rule = Rule {
                kind: EffectKind::Write,
                reason: "downloads into",
                ..*rule
            };
            out.push(write_draft(&write_rule, &word, scene, true));
        }
    }
    out.push(Draft {
        kind: EffectKind::Network,
        target: Target::new(TargetKind::Remote, url.clone()),
        risk: Risk::Low,
        reversibility: Reversibility::Reversible,
        reason: format!("{} {url}", rule.reason),
        span: scene.span,
    });
    out
}
