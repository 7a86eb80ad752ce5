//! Path sensitivity: where a path points (system, home, credentials, CI,
//! airlock's own configuration, a regenerable build directory, scratch space,
//! the project) and what writing to or deleting it risks. Serves the shell
//! classifier's `rm`, `mv`, redirections, ... and direct file writes through
//! [`classify_write`].

use std::sync::LazyLock;

use airlock_model::{
    Classification, Effect, EffectKind, Evidence, Reversibility, Risk, Sensitivity, Span, Target,
    TargetKind,
};

use crate::glob::{components_match, glob_match};
use crate::ShellConfig;

/// Where a path points, from most to least alarming.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathClass {
    /// The filesystem root, a home directory, system trees.
    Critical,
    /// A raw block device.
    Device,
    /// Credentials, `.git`, CI, airlock's and agents' own configuration, shell rc files.
    Protected,
    /// Only known at run time (`"$DIR"`).
    Dynamic,
    /// Outside the project: elsewhere in a home directory, `..`, other absolute paths.
    Outside,
    /// An ordinary path inside the project.
    Workspace,
    /// A directory that a build regenerates (`node_modules`, `target`, ...).
    Regenerable,
    /// Scratch space under `/tmp`.
    Temp,
    /// `/dev/null` and friends.
    Harmless,
}

/// A path resolved against the working directory, with its class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathInfo {
    pub resolved: String,
    pub class: PathClass,
}

impl PathInfo {
    pub fn sensitivity(&self) -> Sensitivity {
        match self.class {
            PathClass::Critical | PathClass::Device => Sensitivity::Critical,
            PathClass::Protected => Sensitivity::Protected,
            _ => Sensitivity::Normal,
        }
    }

    pub fn target(&self) -> Target {
        let kind = if self.class == PathClass::Device {
            TargetKind::Device
        } else {
            TargetKind::Path
        };
        Target::new(kind, self.resolved.clone()).with_sensitivity(self.sensitivity())
    }

    /// Whether the path names everything in a directory (`.`, `*`, `dir/*`).
    pub fn is_whole_directory(&self) -> bool {
        let last = self.resolved.rsplit('/').next().unwrap_or("");
        matches!(last, "" | "." | "*" | ".*" | "**")
    }

    /// Whether the last component looks like a file (`notes.txt`, `*.o`).
    pub fn looks_like_file(&self) -> bool {
        let last = self.resolved.rsplit('/').next().unwrap_or("");
        match last.rfind('.') {
            Some(0) | None => false,
            Some(dot) => {
                let ext = last.get(dot + 1..).unwrap_or("");
                !ext.is_empty() && ext.len() <= 5 && ext.chars().all(|c| c.is_ascii_alphanumeric())
            }
        }
    }
}

/// The working directory as far as static analysis knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Cwd {
    /// The project directory the command starts in.
    #[default]
    Project,
    /// A known directory: absolute, `~/...`, or relative to the project (`envs/prod`, `..`).
    Known(String),
    /// Changed to a directory only known at run time.
    Dynamic,
}

const SYSTEM_ROOTS: &[&str] = &[
    "bin",
    "boot",
    "dev",
    "etc",
    "lib",
    "lib32",
    "lib64",
    "libx32",
    "opt",
    "proc",
    "root",
    "run",
    "sbin",
    "srv",
    "sys",
    "usr",
    "var",
    "System",
    "Library",
    "Applications",
    "private",
    "snap",
    "nix",
    "efi",
];
const HOME_ROOTS: &[&str] = &["home", "Users"];
const HARMLESS_DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/stdout",
    "/dev/stderr",
    "/dev/stdin",
    "/dev/tty",
    "/dev/zero",
    "/dev/random",
    "/dev/urandom",
    "/dev/full",
];
const REGENERABLE_DIRS: &[&str] = &[
    "node_modules",
    "target",
    "build",
    "dist",
    "out",
    "__pycache__",
    ".cache",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    "coverage",
    ".coverage",
    "htmlcov",
    ".next",
    ".nuxt",
    ".turbo",
    ".parcel-cache",
    ".gradle",
    "cmake-build-debug",
    "cmake-build-release",
    "_build",
    ".eggs",
    "bin",
    "obj",
    "tmp",
    ".terraform",
    "vendor",
];
/// Component globs of protected paths (`**` spans directories).
const PROTECTED_PATTERNS: &[&str] = &[
    "**/.git/**",
    "**/.ssh/**",
    "**/.aws/**",
    "**/.gnupg/**",
    "**/.kube/**",
    "**/kubeconfig*",
    "**/.config/gcloud/**",
    "**/.azure/**",
    "**/.docker/config.json",
    "**/.netrc",
    "**/.git-credentials",
    "**/.pypirc",
    "**/.github/workflows/**",
    "**/.github/hooks/**",
    "**/.gitlab-ci.yml",
    "**/.circleci/**",
    "**/airlock.toml",
    "**/policies/*.cedar",
    "**/.airlock/**",
    "**/.claude/settings*.json",
    "**/.codex/hooks.json",
    "**/.codex/config.toml",
    "**/.gemini/settings.json",
    "**/.cursor/hooks.json",
    "**/.kiro/agents/**",
    "**/.bashrc",
    "**/.bash_profile",
    "**/.bash_login",
    "**/.bash_logout",
    "**/.profile",
    "**/.zshrc",
    "**/.zshenv",
    "**/.zprofile",
    "**/.zlogin",
    "**/.config/fish/config.fish",
    "**/.inputrc",
    "**/.gitconfig",
];
/// Directories whose removal takes protected files with them.
const PROTECTED_WHEN_REMOVED: &[&str] = &[
    "**/.github",
    "**/.claude",
    "**/.codex",
    "**/.gemini",
    "**/.cursor",
    "**/.kiro",
    "**/policies",
    "**/.config",
];

/// Lexically resolves `path` against `cwd`: `~` and `$HOME` stay `~`,
/// `.`/`..` are folded, relative paths stay relative to the project.
pub fn resolve(path: &str, cwd: &Cwd) -> String {
    let path = expand_home(path);
    let joined = if path.starts_with('/') || path.starts_with('~') {
        path
    } else {
        match cwd {
            Cwd::Project => path,
            Cwd::Known(dir) => format!("{}/{}", dir.trim_end_matches('/'), path),
            Cwd::Dynamic => format!("$PWD/{path}"),
        }
    };
    normalize(&joined)
}

fn expand_home(path: &str) -> String {
    for prefix in ["${HOME}", "$HOME"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            if rest.is_empty() || rest.starts_with('/') {
                return format!("~{rest}");
            }
        }
    }
    path.to_string()
}

fn normalize(path: &str) -> String {
    let (root, rest) = if let Some(rest) = path.strip_prefix('/') {
        ("/", rest)
    } else if path == "~" || path.starts_with("~/") {
        ("~/", path.get(1..).unwrap_or("").trim_start_matches('/'))
    } else {
        ("", path)
    };
    let mut parts: Vec<&str> = Vec::new();
    for comp in rest.split('/') {
        match comp {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&"..") | None => {
                    if root.is_empty() {
                        parts.push("..");
                    } else if root == "~/" {
                        // Above home: somewhere under /home.
                        return "/home".to_string();
                    }
                }
                Some(_) => {
                    parts.pop();
                }
            },
            other => parts.push(other),
        }
    }
    let body = parts.join("/");
    match root {
        "/" => format!("/{body}"),
        "~/" if body.is_empty() => "~".to_string(),
        "~/" => format!("~/{body}"),
        _ if body.is_empty() => ".".to_string(),
        _ => body,
    }
}

/// Classifies an already resolved path.
pub fn classify_resolved(resolved: &str, cfg: &ShellConfig) -> PathClass {
    if resolved.contains('$') || resolved.contains('`') {
        // Still check the static tail: "$HOME/.ssh" was expanded already,
        // "$X/.git/config" is protected whatever $X is.
        if is_protected(resolved, cfg) {
            return PathClass::Protected;
        }
        return PathClass::Dynamic;
    }
    if HARMLESS_DEVICES.contains(&resolved) || resolved.starts_with("/dev/fd/") {
        return PathClass::Harmless;
    }
    if resolved.starts_with("/dev/") {
        return PathClass::Device;
    }
    let comps: Vec<&str> = resolved.split('/').filter(|c| !c.is_empty()).collect();
    if is_protected(resolved, cfg) {
        return PathClass::Protected;
    }
    if resolved.starts_with('/') {
        let first = comps.first().copied().unwrap_or("");
        let all = comps.is_empty() || (comps.len() == 1 && is_wildcard(first));
        if all {
            return PathClass::Critical;
        }
        if first == "tmp" || (first == "var" && comps.get(1) == Some(&"tmp")) {
            let depth = if first == "tmp" { 1 } else { 2 };
            return if comps.len() > depth && !comps.get(depth).is_some_and(|c| is_wildcard(c)) {
                PathClass::Temp
            } else {
                PathClass::Outside
            };
        }
        if SYSTEM_ROOTS.contains(&first) {
            return PathClass::Critical;
        }
        if HOME_ROOTS.contains(&first) {
            // `/home`, `/home/*`, `/home/alice`, `/home/alice/*`
            let within = comps.len();
            let wild_tail = comps.last().is_some_and(|c| is_wildcard(c));
            if within <= 2 || (within == 3 && wild_tail) {
                return PathClass::Critical;
            }
        }
        return PathClass::Outside;
    }
    if resolved.starts_with('~') {
        let rest: Vec<&str> = comps.iter().skip(1).copied().collect();
        if rest.is_empty() || (rest.len() == 1 && is_wildcard(rest.first().copied().unwrap_or("")))
        {
            return PathClass::Critical;
        }
        return PathClass::Outside;
    }
    if comps.first() == Some(&"..") {
        return PathClass::Outside;
    }
    if comps.iter().any(|c| REGENERABLE_DIRS.contains(c)) {
        return PathClass::Regenerable;
    }
    PathClass::Workspace
}

fn is_wildcard(comp: &str) -> bool {
    matches!(comp, "*" | ".*" | "**" | "{*,.*}" | ".[!.]*" | "?*")
}

/// A path pattern split into components once, with a literal that any
/// matching path must contain (a cheap pre-check).
struct CompiledPattern {
    components: Vec<&'static str>,
    needle: &'static str,
}

fn compile(patterns: &'static [&'static str]) -> Vec<CompiledPattern> {
    patterns
        .iter()
        .map(|p| {
            let components: Vec<&'static str> = p.split('/').filter(|c| !c.is_empty()).collect();
            let needle = components
                .iter()
                .filter(|c| !crate::glob::has_wildcard(c))
                .max_by_key(|c| c.len())
                .copied()
                .unwrap_or("");
            CompiledPattern { components, needle }
        })
        .collect()
}

static PROTECTED: LazyLock<Vec<CompiledPattern>> = LazyLock::new(|| compile(PROTECTED_PATTERNS));
static PROTECTED_REMOVAL: LazyLock<Vec<CompiledPattern>> =
    LazyLock::new(|| compile(PROTECTED_WHEN_REMOVED));

fn any_matches(patterns: &[CompiledPattern], resolved: &str, comps: &[&str]) -> bool {
    patterns
        .iter()
        .any(|p| resolved.contains(p.needle) && components_match(&p.components, comps))
}

fn is_protected(resolved: &str, cfg: &ShellConfig) -> bool {
    let comps: Vec<&str> = resolved.split('/').filter(|c| !c.is_empty()).collect();
    comps.last() == Some(&".git")
        || any_matches(&PROTECTED, resolved, &comps)
        || cfg.protected_paths.iter().any(|pattern| {
            let pat: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
            components_match(&pat, &comps)
        })
}

/// Whether removing `resolved` takes protected files with it.
pub fn removal_is_protected(resolved: &str, cfg: &ShellConfig) -> bool {
    let comps: Vec<&str> = resolved.split('/').filter(|c| !c.is_empty()).collect();
    is_protected(resolved, cfg) || any_matches(&PROTECTED_REMOVAL, resolved, &comps)
}

/// Resolves and classifies a path word.
pub fn inspect(path: &str, cwd: &Cwd, cfg: &ShellConfig) -> PathInfo {
    let resolved = resolve(path, cwd);
    let class = classify_resolved(&resolved, cfg);
    PathInfo { resolved, class }
}

/// Whether `path` names a trusted script (`trusted_scripts` globs).
pub fn is_trusted_script(path: &str, cfg: &ShellConfig) -> bool {
    let plain = path.strip_prefix("./").unwrap_or(path);
    cfg.trusted_scripts.iter().any(|glob| {
        let glob_plain = glob.strip_prefix("./").unwrap_or(glob);
        glob_match(glob_plain, plain)
    })
}

/// The risk and sensitivity of deleting `info` (`recursive`: the whole tree).
pub fn deletion(info: &PathInfo, recursive: bool, cfg: &ShellConfig) -> (Risk, Sensitivity) {
    match info.class {
        PathClass::Critical | PathClass::Device => (Risk::Critical, Sensitivity::Critical),
        PathClass::Protected => (Risk::Medium, Sensitivity::Protected),
        PathClass::Dynamic | PathClass::Outside => (Risk::High, Sensitivity::Normal),
        PathClass::Harmless => (Risk::None, Sensitivity::Normal),
        PathClass::Temp | PathClass::Regenerable => (Risk::Low, Sensitivity::Normal),
        PathClass::Workspace => {
            if recursive && removal_is_protected(&info.resolved, cfg) {
                (Risk::Medium, Sensitivity::Protected)
            } else if info.is_whole_directory()
                || info.resolved == "."
                || (recursive && !info.looks_like_file())
            {
                (Risk::Medium, Sensitivity::Normal)
            } else {
                (Risk::Low, Sensitivity::Normal)
            }
        }
    }
}

/// The risk and sensitivity of writing to `info` (`clobber`: replaces its content).
pub fn writing(info: &PathInfo, clobber: bool) -> (Risk, Sensitivity) {
    match info.class {
        PathClass::Critical | PathClass::Device => (Risk::Critical, Sensitivity::Critical),
        PathClass::Protected => (Risk::Medium, Sensitivity::Protected),
        PathClass::Harmless => (Risk::None, Sensitivity::Normal),
        PathClass::Workspace if clobber && info.is_whole_directory() => {
            (Risk::Medium, Sensitivity::Normal)
        }
        _ => (Risk::Low, Sensitivity::Normal),
    }
}

/// Judges a direct file write (an agent's Write/Edit tool) by its path.
/// `cwd` is the directory the agent works in; paths inside it count as
/// project files.
pub fn classify_write(path: &str, cwd: Option<&str>, cfg: &ShellConfig) -> Classification {
    let relative = match cwd {
        Some(dir) if !dir.is_empty() => {
            let dir = dir.trim_end_matches('/');
            match path.strip_prefix(dir) {
                Some(rest) if rest.starts_with('/') => rest.trim_start_matches('/').to_string(),
                Some("") => ".".to_string(),
                _ => path.to_string(),
            }
        }
        _ => path.to_string(),
    };
    let info = inspect(&relative, &Cwd::Project, cfg);
    let (risk, sensitivity) = writing(&info, false);
    let (rule, reason) = match sensitivity {
        Sensitivity::Critical => (
            "path.write.critical",
            format!("writes {}, a system location", info.resolved),
        ),
        Sensitivity::Protected => (
            "path.write.protected",
            format!(
                "writes {}, a protected file (credentials, git internals, CI or agent/airlock configuration)",
                info.resolved
            ),
        ),
        Sensitivity::Normal => ("path.write", format!("writes the file {}", info.resolved)),
    };
    let risk = if info.class == PathClass::Harmless {
        Risk::None
    } else {
        risk.max(Risk::Low)
    };
    Classification {
        effects: vec![Effect {
            kind: EffectKind::Write,
            target: info.target(),
            reversibility: Reversibility::Unknown,
            risk,
            rule: rule.to_string(),
            reason,
            evidence: Evidence {
                span: Span::new(0, path.len()),
                text: path.to_string(),
            },
        }],
        commands: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(path: &str) -> PathClass {
        inspect(path, &Cwd::Project, &ShellConfig::default()).class
    }

    #[test]
    fn system_and_home_roots_are_critical() {
        for p in [
            "/",
            "/*",
            "~",
            "~/",
            "$HOME",
            "/etc",
            "/usr/lib",
            "/home/alice",
            "/var/lib/x",
            "~/*",
        ] {
            assert_eq!(class(p), PathClass::Critical, "{p}");
        }
        assert_eq!(class("/dev/sda"), PathClass::Device);
        assert_eq!(class("/dev/null"), PathClass::Harmless);
    }

    #[test]
    fn credentials_ci_and_agent_settings_are_protected() {
        for p in [
            ".git/config",
            "~/.ssh/id_rsa",
            "$HOME/.aws/credentials",
            ".github/workflows/ci.yml",
            ".gitlab-ci.yml",
            "airlock.toml",
            "policies/main.cedar",
            ".airlock/keys",
            ".claude/settings.local.json",
            ".codex/hooks.json",
            ".gemini/settings.json",
            ".cursor/hooks.json",
            ".kiro/agents/x.json",
            "~/.bashrc",
            "~/.kube/config",
            ".git",
        ] {
            assert_eq!(class(p), PathClass::Protected, "{p}");
        }
    }

    #[test]
    fn project_paths_scratch_and_build_output() {
        assert_eq!(class("src/main.rs"), PathClass::Workspace);
        assert_eq!(class("node_modules"), PathClass::Regenerable);
        assert_eq!(class("./target/debug"), PathClass::Regenerable);
        assert_eq!(class("/tmp/build-1"), PathClass::Temp);
        assert_eq!(class("../other"), PathClass::Outside);
        assert_eq!(class("\"$X\""), PathClass::Dynamic);
    }

    #[test]
    fn cwd_changes_how_relative_paths_resolve() {
        let cfg = ShellConfig::default();
        let root = Cwd::Known("/".into());
        assert_eq!(inspect("*", &root, &cfg).class, PathClass::Critical);
        assert_eq!(
            inspect("build", &Cwd::Known("/tmp".into()), &cfg).class,
            PathClass::Temp
        );
        assert_eq!(
            inspect(".", &Cwd::Known("/tmp".into()), &cfg).class,
            PathClass::Outside
        );
        assert_eq!(
            inspect("x/build", &Cwd::Known("/tmp".into()), &cfg).class,
            PathClass::Temp
        );
    }

    #[test]
    fn direct_writes_inside_the_project_are_ordinary() {
        let cfg = ShellConfig::default();
        let c = classify_write("/work/p/src/lib.rs", Some("/work/p"), &cfg);
        assert_eq!(c.effects[0].target.sensitivity, Sensitivity::Normal);
        assert_eq!(c.effects[0].risk, Risk::Low);
        let c = classify_write("/work/p/.github/workflows/ci.yml", Some("/work/p"), &cfg);
        assert_eq!(c.effects[0].target.sensitivity, Sensitivity::Protected);
        let c = classify_write("/etc/hosts", Some("/work/p"), &cfg);
        assert_eq!(c.effects[0].target.sensitivity, Sensitivity::Critical);
    }
}
