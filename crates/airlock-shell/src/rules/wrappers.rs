//! Programs that run other programs: privilege wrappers (`sudo`, `doas`),
//! environment and scheduling wrappers (`env`, `nice`, `timeout`, ...),
//! argument feeders (`xargs`, `parallel`, `watch`), package runners (`npx`,
//! `pnpm dlx`, `uvx`, `pipx run`), shells and language interpreters, and the
//! build wrappers that count as known programs.

/// How a wrapper hands over to the command it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handover {
    /// The remaining words are the command.
    Words,
    /// `VAR=value` words come first (`env`).
    Environment,
    /// The command gets more arguments from standard input (`xargs`).
    ExtraArguments,
    /// The remaining words are joined and run by a shell (`watch`, `parallel`).
    ShellString,
}

/// One wrapper program.
#[derive(Debug, Clone, Copy)]
pub struct Wrapper {
    pub names: &'static [&'static str],
    /// A subcommand that must follow the name (`uv run`, `bundle exec`).
    pub subcommand: Option<&'static str>,
    /// Options that take the next word as their value.
    pub value_options: &'static [&'static str],
    /// Options whose value is a whole command line that the wrapper runs
    /// (`env -S 'cmd args'`, `npx -c 'cmd'`).
    pub command_line_options: &'static [&'static str],
    /// The command's first word is a package spec (`@scope/tool@1.2`), which
    /// runs the program the package is named after.
    pub runs_package: bool,
    /// Positionals to skip before the command (`timeout 10s cmd`, `chroot DIR cmd`).
    pub skip_positionals: usize,
    /// The wrapper itself gains privilege.
    pub privileged: bool,
    pub handover: Handover,
    /// Options after which there is no command to run (`sudo -l`, `command -v`).
    pub no_command_options: &'static [&'static str],
    /// Words that end the command (`parallel ... ::: args`).
    pub terminators: &'static [&'static str],
    /// Example commands seen through this wrapper that must be blocked.
    pub blocks: &'static [&'static str],
    pub allows: &'static [&'static str],
}

impl Wrapper {
    const BASE: Wrapper = Wrapper {
        names: &[],
        subcommand: None,
        value_options: &[],
        command_line_options: &[],
        runs_package: false,
        skip_positionals: 0,
        privileged: false,
        handover: Handover::Words,
        no_command_options: &[],
        terminators: &[],
        blocks: &[],
        allows: &[],
    };
}

pub static WRAPPERS: &[Wrapper] = &[
    Wrapper {
        names: &["sudo"],
        value_options: &[
            "-u",
            "-g",
            "-C",
            "-D",
            "-p",
            "-r",
            "-t",
            "-U",
            "-T",
            "-R",
            "-h",
            "--user",
            "--group",
            "--prompt",
            "--chdir",
            "--close-from",
            "--role",
            "--type",
            "--other-user",
            "--command-timeout",
            "--host",
        ],
        privileged: true,
        no_command_options: &["-l", "-v", "-k", "-K", "--list", "--validate"],
        blocks: &[
            "sudo rm -rf /var/lib/postgresql",
            "sudo -u deploy -E git push -f origin main",
            "sudo apt-get install -y jq",
        ],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["doas"],
        value_options: &["-u", "-C"],
        privileged: true,
        blocks: &["doas rm -rf /home/alice"],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["pkexec", "run0"],
        value_options: &["--user", "-u"],
        privileged: true,
        blocks: &["pkexec chmod 777 /etc/shadow"],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["chroot"],
        value_options: &["--userspec", "--groups"],
        skip_positionals: 1,
        privileged: true,
        blocks: &["chroot /mnt/sysroot rm -rf /"],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["env"],
        value_options: &["-u", "--unset", "-C", "--chdir"],
        command_line_options: &["-S", "--split-string"],
        handover: Handover::Environment,
        blocks: &[
            "env -i PATH=/usr/bin rm -rf ~",
            "env TF_WORKSPACE=prod terraform destroy",
        ],
        allows: &["env RUST_LOG=debug cargo test", "env"],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["nice"],
        value_options: &["-n", "--adjustment"],
        blocks: &["nice -n 10 rm -rf /"],
        allows: &["nice -n 19 cargo build --release"],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &[
            "nohup",
            "setsid",
            "caffeinate",
            "unbuffer",
            "catchsegv",
            "dbus-run-session",
        ],
        blocks: &["nohup rm -rf ~/projects &"],
        allows: &["nohup npm run dev > dev.log 2>&1 &"],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["timeout"],
        value_options: &["-s", "--signal", "-k", "--kill-after"],
        skip_positionals: 1,
        blocks: &["timeout 30 git push --force origin main"],
        allows: &["timeout 300 cargo test"],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["time"],
        value_options: &["-f", "--format", "-o", "--output"],
        blocks: &["time rm -rf src"],
        allows: &["time cargo build"],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["command", "builtin"],
        no_command_options: &["-v", "-V"],
        blocks: &["command rm -rf /"],
        allows: &["command -v cargo"],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["exec"],
        value_options: &["-a"],
        blocks: &["exec rm -rf ~"],
        allows: &["exec cargo run"],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["stdbuf"],
        value_options: &["-i", "-o", "-e", "--input", "--output", "--error"],
        blocks: &["stdbuf -oL rm -rfv /etc"],
        allows: &["stdbuf -oL cargo test"],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["ionice"],
        value_options: &["-c", "-n", "-p", "-P", "-u", "--class", "--classdata"],
        blocks: &["ionice -c3 rm -rf /var"],
        allows: &["ionice -c3 cargo build"],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["xargs"],
        value_options: &[
            "-I",
            "-n",
            "-P",
            "-d",
            "-E",
            "-L",
            "-s",
            "-a",
            "--max-args",
            "--max-procs",
            "--delimiter",
            "--arg-file",
            "--replace",
            "--max-lines",
            "--eof",
        ],
        handover: Handover::ExtraArguments,
        blocks: &[
            "echo / | xargs rm -rf",
            "git branch --merged | xargs git branch -D",
            "ls | xargs -I{} rm -rf {}",
        ],
        allows: &[
            "find src -name '*.rs' | xargs wc -l",
            "git ls-files | xargs grep -n TODO",
        ],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["parallel"],
        value_options: &[
            "-j",
            "--jobs",
            "-S",
            "--sshlogin",
            "--delay",
            "--timeout",
            "--joblog",
            "-a",
            "--arg-file",
            "--colsep",
            "-N",
            "-n",
            "-L",
            "--results",
            "--tmpdir",
            "-I",
            "--halt",
        ],
        handover: Handover::ShellString,
        terminators: &[":::", "::::", ":::+", "::::+"],
        blocks: &[
            "parallel rm -rf ::: src lib",
            "parallel 'git push -f origin {}' ::: main",
        ],
        allows: &[
            "parallel gzip ::: *.log",
            "parallel -j4 'cargo test -p {}' ::: core cli",
        ],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["watch"],
        value_options: &["-n", "--interval"],
        handover: Handover::ShellString,
        blocks: &["watch -n 5 'rm -rf /tmp/x; rm -rf ~'"],
        allows: &["watch -n 2 kubectl get pods", "watch 'git status'"],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["flock"],
        value_options: &["-w", "--timeout", "-E", "--conflict-exit-code"],
        skip_positionals: 1,
        blocks: &["flock /tmp/lock rm -rf src"],
        allows: &["flock /tmp/build.lock cargo build"],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["ssh"],
        value_options: &[
            "-p", "-i", "-l", "-o", "-F", "-J", "-L", "-R", "-D", "-b", "-c", "-E", "-e", "-m",
            "-O", "-Q", "-S", "-W", "-w", "-B",
        ],
        skip_positionals: 1,
        handover: Handover::ShellString,
        blocks: &[
            "ssh prod-db 'rm -rf /var/lib/mysql'",
            "ssh -i key.pem deploy@host sudo systemctl stop app",
        ],
        allows: &[
            "ssh build-box 'cd app && git status'",
            "ssh -p 2222 dev@localhost uptime",
        ],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["docker", "podman"],
        subcommand: Some("exec"),
        value_options: &[
            "-e",
            "--env",
            "-u",
            "--user",
            "-w",
            "--workdir",
            "--env-file",
            "--detach-keys",
        ],
        skip_positionals: 1,
        blocks: &[
            "docker exec db rm -rf /var/lib/postgresql",
            "docker exec -it web sh -c 'rm -rf /app'",
        ],
        allows: &[
            "docker exec -it api cargo test",
            "docker exec db psql -U app -c 'select 1'",
        ],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["uv", "poetry", "pipenv", "pdm", "hatch", "rye"],
        subcommand: Some("run"),
        value_options: &[
            "--with",
            "--python",
            "-p",
            "--env",
            "--directory",
            "--project",
            "--package",
        ],
        blocks: &["uv run rm -rf ~/data", "poetry run python deploy.py"],
        allows: &["uv run pytest -q", "poetry run mypy src"],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["bundle"],
        subcommand: Some("exec"),
        blocks: &["bundle exec rm -rf /"],
        allows: &["bundle exec rspec"],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["npm", "pnpm", "yarn"],
        subcommand: Some("exec"),
        runs_package: true,
        value_options: NODE_RUNNER_VALUE_OPTIONS,
        command_line_options: &["-c", "--call"],
        blocks: &["npm exec -- rimraf ~", "npm exec -c 'rm -rf ~'"],
        allows: &["npm exec -- eslint .", "pnpm exec tsc --noEmit"],
        ..Wrapper::BASE
    },
    // Package runners: fetch a package if needed and run the program it
    // provides, which is what they are judged as.
    Wrapper {
        names: &["npx", "pnpx", "bunx"],
        runs_package: true,
        value_options: NODE_RUNNER_VALUE_OPTIONS,
        command_line_options: &["-c", "--call"],
        blocks: &[
            "npx prisma migrate reset --force",
            "npx -y rimraf ~",
            "npx --package=sequelize-cli sequelize db:drop",
            "npx -c 'rm -rf ~'",
            "npx --registry http://registry.example.net cowsay hi",
            "npx prisma@5.22.0 migrate reset --force",
            "npx @acme/rimraf@2 ~",
        ],
        allows: &[
            "npx tsc --noEmit",
            "npx prettier --check .",
            "npx -y create-vite@5 my-app --template react-ts",
            "npx prisma generate",
            "npx @biomejs/biome@1.9 check src",
        ],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["pnpm", "yarn"],
        subcommand: Some("dlx"),
        runs_package: true,
        value_options: NODE_RUNNER_VALUE_OPTIONS,
        command_line_options: &["-c", "--call"],
        blocks: &["pnpm dlx prisma migrate reset --force"],
        allows: &["pnpm dlx create-vite@5 my-app --template react-ts"],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["bun"],
        subcommand: Some("x"),
        runs_package: true,
        value_options: NODE_RUNNER_VALUE_OPTIONS,
        blocks: &["bun x rimraf /"],
        allows: &["bun x tsc --noEmit"],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["uvx"],
        runs_package: true,
        value_options: PYTHON_RUNNER_VALUE_OPTIONS,
        blocks: &[
            "uvx --from alembic alembic downgrade base",
            "uvx --index-url http://pypi.example.net/simple ruff check .",
        ],
        allows: &[
            "uvx ruff check .",
            "uvx --python 3.12 pytest -q",
            "uvx black==24.1.0 --check .",
        ],
        ..Wrapper::BASE
    },
    Wrapper {
        names: &["pipx"],
        subcommand: Some("run"),
        runs_package: true,
        value_options: PYTHON_RUNNER_VALUE_OPTIONS,
        blocks: &["pipx run --spec alembic alembic downgrade base"],
        allows: &["pipx run black --check ."],
        ..Wrapper::BASE
    },
];

/// The program a package spec runs: `@acme/cli@1.2` runs `cli`,
/// `prisma@5` runs `prisma`, `black==24.1` runs `black`. A path is not a
/// package spec and stays as written.
pub fn package_program(spec: &str) -> &str {
    let unscoped = match spec.strip_prefix('@') {
        Some(scoped) => scoped.split_once('/').map_or(spec, |(_, name)| name),
        None => spec,
    };
    if unscoped.contains('/') {
        return spec;
    }
    let end = unscoped
        .find(['@', '=', '<', '>', '[', '~', '!'])
        .unwrap_or(unscoped.len());
    match &unscoped[..end] {
        "" => spec,
        name => name,
    }
}

/// Options of `npx`, `npm exec` and `pnpm`/`yarn dlx` that take a value.
const NODE_RUNNER_VALUE_OPTIONS: &[&str] = &[
    "-p",
    "--package",
    "--prefix",
    "-w",
    "--workspace",
    "--registry",
    "--cache",
    "--userconfig",
];

/// Options of `uvx` and `pipx run` that take a value.
const PYTHON_RUNNER_VALUE_OPTIONS: &[&str] = &[
    "--from",
    "--with",
    "--with-requirements",
    "--python",
    "-p",
    "--spec",
    "--index-url",
    "-i",
    "--index",
    "--default-index",
    "--extra-index-url",
    "--allow-insecure-host",
    "--pip-args",
];

/// Shells that run a `-c` string, a script file, or their standard input.
pub const SHELLS: &[&str] = &[
    "sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish", "busybox", "rbash", "tcsh", "csh",
];

/// Options of the shells that take a value.
pub const SHELL_VALUE_OPTIONS: &[&str] = &["-o", "+o", "-O", "+O", "--rcfile", "--init-file", "-C"];

/// Language interpreters that run inline code, a script file or their input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Python,
    Perl,
    Ruby,
    Node,
    Php,
}

pub struct Interpreter {
    pub names: &'static [&'static str],
    pub language: Language,
    /// Options whose value is inline code.
    pub code_options: &'static [&'static str],
    /// Options whose value is a module to run (`python -m pytest`).
    pub module_options: &'static [&'static str],
    /// Other options that take a value.
    pub value_options: &'static [&'static str],
}

pub static INTERPRETERS: &[Interpreter] = &[
    Interpreter {
        names: &["python", "python2", "python3", "pypy", "pypy3"],
        language: Language::Python,
        code_options: &["-c"],
        module_options: &["-m"],
        value_options: &["-W", "-X", "--check-hash-based-pycs"],
    },
    Interpreter {
        names: &["perl"],
        language: Language::Perl,
        code_options: &["-e", "-E"],
        module_options: &[],
        value_options: &["-M", "-m", "-I", "-F", "-x", "-0"],
    },
    Interpreter {
        names: &["ruby", "irb"],
        language: Language::Ruby,
        code_options: &["-e"],
        module_options: &[],
        value_options: &["-r", "-I", "-C", "-E", "-F"],
    },
    Interpreter {
        names: &["node", "nodejs"],
        language: Language::Node,
        code_options: &["-e", "--eval", "-p", "--print"],
        module_options: &[],
        value_options: &[
            "-r",
            "--require",
            "--import",
            "--input-type",
            "--loader",
            "--env-file",
            "--max-old-space-size",
            "-C",
            "--conditions",
        ],
    },
    Interpreter {
        names: &["php"],
        language: Language::Php,
        code_options: &["-r"],
        module_options: &[],
        value_options: &["-c", "-d", "-z"],
    },
];

/// The interpreter a program name runs (`python3.12` is Python).
pub fn interpreter(program: &str) -> Option<&'static Interpreter> {
    let family = program.split('.').next().unwrap_or(program);
    INTERPRETERS
        .iter()
        .find(|i| i.names.contains(&program) || i.names.contains(&family))
}

/// Programs that decode or unpack data: what they print is opaque.
pub const DECODERS: &[&str] = &[
    "base64", "base32", "xxd", "openssl", "gunzip", "zcat", "gzip", "bzcat", "bzip2", "xz",
    "xzcat", "unxz", "zstd", "zstdcat", "uudecode", "rev", "tr", "gpg", "basenc", "lz4", "brotli",
];

/// Programs that fetch remote content.
pub const FETCHERS: &[&str] = &[
    "curl", "wget", "fetch", "http", "https", "xh", "aria2c", "lynx", "links",
];

/// Build wrappers shipped inside projects and run as `./name`: these are
/// well-known entry points, not arbitrary scripts.
pub const KNOWN_PROJECT_WRAPPERS: &[&str] = &[
    "gradlew",
    "mvnw",
    "configure",
    "x.py",
    "x",
    "sbt",
    "bootstrap.sh",
    "autogen.sh",
    "pants",
    "bazelisk",
];

/// Scripts that only set up the current shell's environment.
pub const ENVIRONMENT_SCRIPTS: &[&str] = &[
    "**/bin/activate",
    "**/bin/activate.fish",
    "**/bin/activate.csh",
    "~/.cargo/env",
    "**/.cargo/env",
    "**/nvm.sh",
    "**/.nvm/nvm.sh",
    "~/.bashrc",
    "~/.zshrc",
    "~/.profile",
    "**/.sdkman/bin/sdkman-init.sh",
    "/opt/ros/*/setup.bash",
    "**/conda.sh",
    ".env",
    "*.env",
];

#[cfg(test)]
mod tests {
    use super::package_program;

    #[test]
    fn package_specs_name_the_program_they_run() {
        for (spec, program) in [
            ("rimraf", "rimraf"),
            ("prisma@5.22.0", "prisma"),
            ("@acme/cli", "cli"),
            ("@acme/cli@1.2.3", "cli"),
            ("create-vite@latest", "create-vite"),
            ("black==24.1.0", "black"),
            ("ruff>=0.5", "ruff"),
            ("httpie[socks]", "httpie"),
            // Not a package spec: left as written.
            ("@", "@"),
            ("@scope", "@scope"),
            ("./bin/tool", "./bin/tool"),
            ("./scripts/deploy@v2.sh", "./scripts/deploy@v2.sh"),
            ("@acme/tools/bin@2", "@acme/tools/bin@2"),
        ] {
            assert_eq!(package_program(spec), program, "{spec}");
        }
    }
}
