//! containers: `docker`, `podman`, `nerdctl` and compose (`docker compose`,
//! `docker-compose`, `podman-compose`) removing containers, volumes, images
//! and networks, and runs that reach the host (privileged, host namespaces,
//! the host's root or docker socket mounted), against builds, ordinary runs
//! and reads. The environment comes from `--context`/`-H`.

use airlock_model::{EffectKind, EnvTier, Reversibility, Risk, Target, TargetKind};

use super::{Assess, Draft, Outcome, Rule, Scene};
use crate::grammar::{Grammar, Invocation};
use crate::syntax::Word;

pub const ENGINES: &[&str] = &["docker", "podman", "nerdctl"];
pub const COMPOSE: &[&str] = &["docker-compose", "podman-compose"];
const ALL: &[&str] = &[
    "docker",
    "podman",
    "nerdctl",
    "docker-compose",
    "podman-compose",
];

pub static GRAMMARS: &[Grammar] = &[
    Grammar {
        programs: ENGINES,
        global_value_options: &[
            "-H",
            "--host",
            "-c",
            "--context",
            "--config",
            "-l",
            "--log-level",
            "--tlscacert",
            "--tlscert",
            "--tlskey",
            "--connection",
            "--url",
            "--identity",
            "--root",
            "--runroot",
            "--namespace",
            "-n",
            "--address",
            "-a",
        ],
        has_subcommands: true,
        nested: &[
            "container",
            "image",
            "volume",
            "network",
            "system",
            "builder",
            "buildx",
            "context",
            "swarm",
            "service",
            "stack",
            "node",
            "secret",
            "config",
            "plugin",
            "manifest",
            "pod",
            "machine",
            "trust",
        ],
        value_options: &[
            "-v",
            "--volume",
            "-e",
            "--env",
            "--env-file",
            "--name",
            "-w",
            "--workdir",
            "--entrypoint",
            "--network",
            "--net",
            "-u",
            "--user",
            "-p",
            "--publish",
            "--mount",
            "--platform",
            "--label",
            "--build-arg",
            "--target",
            "--cache-from",
            "--cache-to",
            "--pid",
            "--ipc",
            "--uts",
            "--userns",
            "--cgroupns",
            "--cap-add",
            "--cap-drop",
            "--security-opt",
            "--device",
            "--memory",
            "-m",
            "--cpus",
            "--restart",
            "--hostname",
            "--add-host",
            "--filter",
            "--format",
            "--since",
            "--until",
            "--tail",
            "-n",
            "--time",
            "--volumes-from",
            "--log-driver",
            "--log-opt",
            "--gpus",
            "--shm-size",
            "--ulimit",
            "--dns",
            "--expose",
            "--link",
            "--output",
            "-o",
            "--file",
            "--tag",
            "--progress",
            "--secret",
            "--ssh",
            "--detach-keys",
            "--rmi",
            "--timeout",
            "--signal",
            "-s",
        ],
        single_dash_long: false,
    },
    Grammar {
        programs: COMPOSE,
        global_value_options: &[
            "-f",
            "--file",
            "-p",
            "--project-name",
            "--profile",
            "--env-file",
            "--project-directory",
            "-H",
            "--host",
            "-c",
            "--context",
            "--ansi",
            "--progress",
        ],
        has_subcommands: true,
        nested: &[],
        value_options: &[
            "--rmi",
            "-t",
            "--timeout",
            "-e",
            "--env",
            "-u",
            "--user",
            "-w",
            "--workdir",
            "--scale",
            "--tail",
            "--index",
            "--entrypoint",
            "--name",
            "-p",
            "--publish",
            "--pull",
            "--profile",
            "--format",
        ],
        single_dash_long: false,
    },
];

/// Global options of `docker compose` that take a value.
const COMPOSE_VALUE_OPTIONS: &[&str] = &[
    "-f",
    "--file",
    "-p",
    "--project-name",
    "--profile",
    "--env-file",
    "--project-directory",
    "--ansi",
    "--progress",
    "--parallel",
    "--rmi",
    "-t",
    "--timeout",
];

/// A compose command read from its words: the verb and the options after it.
struct ComposeView<'a> {
    verb: Option<&'a str>,
    options: Vec<&'a str>,
}

impl ComposeView<'_> {
    fn has(&self, names: &[&str]) -> bool {
        self.options.iter().any(|o| {
            names.contains(o)
                || names.iter().any(|n| {
                    n.len() == 2
                        && !o.starts_with("--")
                        && o.len() > 2
                        && n.get(1..).is_some_and(|letter| o.contains(letter))
                })
                || o.split_once('=').is_some_and(|(k, _)| names.contains(&k))
        })
    }
}

/// `docker compose -f x.yml -p app down -v`, `docker-compose down --volumes`.
fn compose_view(inv: &Invocation) -> Option<ComposeView<'_>> {
    let start = if COMPOSE.contains(&inv.program.as_str()) {
        1
    } else if inv.subcommand(0) == Some("compose") {
        inv.words.iter().position(|w| w.text == "compose")? + 1
    } else {
        return None;
    };
    let mut view = ComposeView {
        verb: None,
        options: Vec::new(),
    };
    let mut index = start;
    while let Some(word) = inv.words.get(index) {
        let text = word.text.as_str();
        if text.starts_with('-') && !word.dynamic {
            if view.verb.is_some() {
                view.options.push(text);
            }
            if COMPOSE_VALUE_OPTIONS.contains(&text) {
                index += 1;
            }
        } else if view.verb.is_none() {
            view.verb = Some(text);
        }
        index += 1;
    }
    Some(view)
}

fn compose_down_volumes(inv: &Invocation) -> bool {
    compose_view(inv).is_some_and(|v| {
        v.verb == Some("down") && v.has(&["-v", "--volumes"])
            || v.verb == Some("rm") && v.has(&["-v", "--volumes"])
    })
}

fn compose_down_images(inv: &Invocation) -> bool {
    compose_view(inv).is_some_and(|v| v.verb == Some("down") && v.has(&["--rmi"]))
}

fn compose_reads(inv: &Invocation) -> bool {
    compose_view(inv).is_some_and(|v| {
        matches!(
            v.verb,
            None | Some(
                "ps" | "logs"
                    | "config"
                    | "ls"
                    | "images"
                    | "top"
                    | "version"
                    | "port"
                    | "events"
                    | "convert"
                    | "stats"
            )
        )
    })
}

/// The verb with `container`/`image`/... prefixes folded: `container rm` is `rm`.
fn verb(inv: &Invocation) -> (Option<&str>, Option<&str>) {
    (inv.subcommand(0), inv.subcommand(1))
}

fn is_container_remove(inv: &Invocation) -> bool {
    matches!(
        verb(inv),
        (Some("rm"), _) | (Some("container" | "pod"), Some("rm"))
    )
}

fn is_image_remove(inv: &Invocation) -> bool {
    matches!(verb(inv), (Some("rmi"), _) | (Some("image"), Some("rm")))
}

fn is_run(inv: &Invocation) -> bool {
    matches!(
        verb(inv),
        (Some("run" | "create" | "exec"), _) | (Some("container"), Some("run" | "create" | "exec"))
    )
}

/// Host paths whose mount gives a container the host.
fn sensitive_mount_source(source: &str) -> bool {
    let source = source.trim_end_matches('/');
    source.is_empty()
        || [
            "/etc",
            "/root",
            "/var/run/docker.sock",
            "/run/docker.sock",
            "/run/containerd",
            "/var/run",
            "/proc",
            "/sys",
            "/dev",
            "/boot",
            "/usr",
            "/bin",
            "/sbin",
            "/lib",
            "/var/lib/docker",
            "/var/lib/kubelet",
            "/home",
            "~",
            "$HOME",
            "${HOME}",
            "/run/podman/podman.sock",
        ]
        .iter()
        .any(|p| {
            source == *p
                || (source.starts_with(p)
                    && source.get(p.len()..).is_some_and(|r| r.starts_with('/')))
        })
        || [
            "/.ssh",
            "/.aws",
            "/.kube",
            "/.gnupg",
            "/.docker",
            "/.config/gcloud",
        ]
        .iter()
        .any(|p| source.contains(p))
}

/// What makes a container reach the host, or `None`.
fn host_access(inv: &Invocation) -> Option<String> {
    if inv.has("--privileged") {
        return Some("runs a privileged container".into());
    }
    for flag in &inv.flags {
        let value = flag.value.as_deref().unwrap_or("");
        let name = flag.name.as_str();
        let found = match name {
            "--pid" | "--ipc" | "--uts" | "--userns" | "--cgroupns" if value == "host" => true,
            "--cap-add" => {
                let cap = value.to_ascii_uppercase();
                let cap = cap.trim_start_matches("CAP_");
                matches!(
                    cap,
                    "ALL"
                        | "SYS_ADMIN"
                        | "SYS_PTRACE"
                        | "SYS_MODULE"
                        | "DAC_READ_SEARCH"
                        | "SYS_RAWIO"
                        | "NET_ADMIN"
                        | "BPF"
                )
            }
            "--security-opt" => {
                value.contains("unconfined")
                    || value.contains("label=disable")
                    || value.contains("label:disable")
            }
            "--device" => {
                value.starts_with("/dev/sd")
                    || value.starts_with("/dev/nvme")
                    || value.starts_with("/dev/mem")
                    || value.starts_with("/dev/kmsg")
            }
            "-v" | "--volume" => {
                let source = value.split(':').next().unwrap_or(value);
                (source.starts_with('/') || source.starts_with('~') || source.starts_with('$'))
                    && sensitive_mount_source(source)
            }
            "--mount" => value.split(',').any(|part| {
                part.split_once('=').is_some_and(|(k, v)| {
                    matches!(k, "source" | "src") && sensitive_mount_source(v)
                })
            }),
            _ => false,
        };
        if found {
            let shown = match flag.value.as_deref() {
                Some(v) => format!("{name} {v}"),
                None => name.to_string(),
            };
            return Some(format!("runs a container with host access ({shown})"));
        }
    }
    None
}

/// Operands after the verb of a removal: `docker rm -f a b`, `docker rm
/// $(docker ps -aq)`; every option of these verbs is a flag.
fn removal_operands(inv: &Invocation) -> Vec<&Word> {
    let depth = inv.subcommands.len();
    let mut seen = 0;
    let mut operands = Vec::new();
    for word in inv.words.iter().skip(1) {
        if seen < depth {
            if !word.text.starts_with('-')
                && inv.subcommands.get(seen).is_some_and(|s| *s == word.text)
            {
                seen += 1;
            }
            continue;
        }
        if word.dynamic || !word.text.starts_with('-') {
            operands.push(word);
        }
    }
    operands
}

fn has_letter_flag(inv: &Invocation, short: char, long: &str) -> bool {
    inv.words.iter().skip(1).any(|w| {
        let t = w.text.as_str();
        t == long
            || (t.starts_with('-')
                && !t.starts_with("--")
                && t.get(1..).is_some_and(|l| {
                    l.contains(short) && l.chars().all(|c| c.is_ascii_alphabetic())
                }))
    })
}

/// Where the engine points (`--context prod`, `-H ssh://prod-host`).
fn engine_place(inv: &Invocation, scene: &Scene) -> (String, Option<EnvTier>) {
    let mut tier = scene.env_hint;
    let mut place = "the local engine".to_string();
    for name in ["-c", "--context", "-H", "--host", "--connection", "--url"] {
        for value in inv.values_of(name) {
            if let Some(t) = scene.cfg.environments.tier_of(value) {
                tier = Some(tier.map_or(t, |old| old.max(t)));
            }
            place = value.to_string();
        }
    }
    (place, tier)
}

fn finish(
    inv: &Invocation,
    scene: &Scene,
    kind: EffectKind,
    risk: Risk,
    reversibility: Reversibility,
    reason: String,
    what: String,
) -> Outcome {
    let (place, tier) = engine_place(inv, scene);
    let mut target = Target::new(TargetKind::Resource, format!("{what} on {place}"));
    if kind != EffectKind::Read {
        target.environment = tier.unwrap_or(EnvTier::Unknown);
    }
    let mut out = Outcome::default();
    out.push(Draft {
        kind,
        target,
        risk,
        reversibility,
        reason,
        span: scene.span,
    });
    out
}

/// The row's own effect, on the engine the command points at.
fn on_engine(rule: &Rule, inv: &Invocation, scene: &Scene) -> Outcome {
    let what = super::command_target(inv).name;
    finish(
        inv,
        scene,
        rule.kind,
        rule.risk,
        rule.reversibility,
        rule.reason.to_string(),
        what,
    )
}

/// Options of `compose exec`/`compose run` that take a value.
const COMPOSE_RUN_VALUE_OPTIONS: &[&str] = &[
    "-e",
    "--env",
    "-u",
    "--user",
    "-w",
    "--workdir",
    "--index",
    "--entrypoint",
    "--name",
    "-p",
    "--publish",
    "-v",
    "--volume",
    "-l",
    "--label",
    "--env-file",
    "--pull",
    "--cap-add",
    "--cap-drop",
];

/// A compose command; `compose exec SERVICE CMD…` and `compose run SERVICE
/// CMD…` hand the command inside the container to the shell analysis.
fn compose(rule: &Rule, inv: &Invocation, scene: &Scene) -> Outcome {
    let mut out = on_engine(rule, inv, scene);
    let Some(view) = compose_view(inv) else {
        return out;
    };
    let Some(verb @ ("exec" | "run")) = view.verb else {
        return out;
    };
    let start = if COMPOSE.contains(&inv.program.as_str()) {
        1
    } else {
        inv.words
            .iter()
            .position(|w| w.text == "compose")
            .map_or(1, |i| i + 1)
    };
    let Some(verb_at) = inv
        .words
        .iter()
        .enumerate()
        .skip(start)
        .find(|(_, w)| w.text == verb)
        .map(|(i, _)| i)
    else {
        return out;
    };
    let mut index = verb_at + 1;
    let mut service_seen = false;
    while let Some(word) = inv.words.get(index) {
        let text = word.text.as_str();
        if text == "--" && !service_seen {
            index += 1;
            continue;
        }
        if text.starts_with('-') && !word.dynamic && !service_seen {
            if COMPOSE_RUN_VALUE_OPTIONS.contains(&text) {
                index += 1;
            }
            index += 1;
            continue;
        }
        if !service_seen {
            service_seen = true;
            index += 1;
            continue;
        }
        break;
    }
    let command: Vec<Word> = inv.words.get(index..).unwrap_or(&[]).to_vec();
    if !command.is_empty() {
        out.nested.push(super::Nested {
            words: command,
            via: format!("compose {verb}"),
        });
    }
    out
}

/// `docker run`: host access is privilege; otherwise an ordinary run.
fn run(rule: &Rule, inv: &Invocation, scene: &Scene) -> Outcome {
    let what = super::command_target(inv).name;
    match host_access(inv) {
        Some(reason) => finish(
            inv,
            scene,
            EffectKind::Privilege,
            Risk::High,
            Reversibility::Unknown,
            reason,
            what,
        ),
        None => finish(
            inv,
            scene,
            rule.kind,
            rule.risk,
            rule.reversibility,
            rule.reason.to_string(),
            what,
        ),
    }
}

/// `docker rm`/`rmi`: how many, forced, only known at run time.
fn remove(rule: &Rule, inv: &Invocation, scene: &Scene) -> Outcome {
    let operands = removal_operands(inv);
    let images = is_image_remove(inv);
    let forced = has_letter_flag(inv, 'f', "--force");
    let volumes = !images && has_letter_flag(inv, 'v', "--volumes");
    let dynamic = operands.iter().any(|w| w.dynamic) || inv.has_any(&["-a", "--all"]);
    let names: Vec<&str> = operands.iter().map(|w| w.text.as_str()).collect();
    let what = if names.is_empty() {
        "containers".to_string()
    } else {
        names.join(" ")
    };
    let (risk, reason) = if images {
        match (forced, dynamic || names.len() > 1) {
            (true, _) => (
                Risk::Medium,
                format!("force-removes images {what}, even ones containers use"),
            ),
            (false, true) => (Risk::Medium, format!("removes images {what}")),
            (false, false) => (Risk::Low, format!("removes the image {what}")),
        }
    } else if forced && (dynamic || names.len() > 1) {
        (
            Risk::High,
            format!("force-removes running containers {what} and their data"),
        )
    } else if dynamic {
        (
            Risk::High,
            format!("removes containers known only at run time ({what})"),
        )
    } else if volumes {
        (Risk::Medium, format!("removes {what} with its volumes"))
    } else {
        (Risk::Low, format!("removes the container {what}"))
    };
    finish(
        inv,
        scene,
        rule.kind,
        risk,
        rule.reversibility,
        reason,
        what,
    )
}

fn prune_kind(inv: &Invocation) -> Option<(Risk, &'static str)> {
    let all = has_letter_flag(inv, 'a', "--all");
    let volumes = inv.has("--volumes");
    match verb(inv) {
        (Some("system"), Some("prune")) if volumes => Some((
            Risk::High,
            "deletes all unused containers, images, networks and volumes with their data",
        )),
        (Some("system"), Some("prune")) if all => Some((
            Risk::High,
            "deletes all stopped containers and every unused image",
        )),
        (Some("system"), Some("prune")) => Some((
            Risk::Medium,
            "deletes stopped containers, dangling images and unused networks",
        )),
        (Some("system"), Some("reset")) => Some((
            Risk::High,
            "deletes every container, image, volume and network (system reset)",
        )),
        (Some("volume"), Some("prune" | "rm")) | (Some("volume"), Some("remove")) => {
            Some((Risk::High, "deletes volumes and the data in them"))
        }
        (Some("container"), Some("prune")) => {
            Some((Risk::Medium, "deletes every stopped container"))
        }
        (Some("image"), Some("prune")) if all => {
            Some((Risk::Medium, "deletes every image no container uses"))
        }
        (Some("network"), Some("prune")) => Some((Risk::Medium, "deletes every unused network")),
        (Some("pod"), Some("prune")) => Some((Risk::Medium, "deletes every stopped pod")),
        (Some("swarm"), Some("leave")) if inv.has_any(&["-f", "--force"]) => {
            Some((Risk::High, "forces this node out of the swarm"))
        }
        (Some("service" | "stack" | "node" | "secret" | "config"), Some("rm" | "remove")) => {
            Some((
                Risk::High,
                "deletes swarm services, stacks, nodes or secrets",
            ))
        }
        (Some("machine"), Some("rm")) => Some((Risk::Medium, "deletes a virtual machine")),
        _ => None,
    }
}

fn prune(rule: &Rule, inv: &Invocation, scene: &Scene) -> Outcome {
    let (risk, reason) = prune_kind(inv).unwrap_or((rule.risk, rule.reason));
    let what = super::command_target(inv).name;
    finish(
        inv,
        scene,
        rule.kind,
        risk,
        rule.reversibility,
        reason.to_string(),
        what,
    )
}

/// `docker push`: the image's name or tag can name an environment.
fn push(rule: &Rule, inv: &Invocation, scene: &Scene) -> Outcome {
    let image = inv
        .positional(0)
        .map(|w| w.text.clone())
        .unwrap_or_default();
    let mut out = on_engine(rule, inv, scene);
    if let (Some(draft), Some(tier)) = (
        out.drafts.first_mut(),
        scene.cfg.environments.tier_of(&image),
    ) {
        draft.target.environment = draft.target.environment.max(tier);
        draft.target.name = image;
    }
    out
}

const READ_VERBS: &[&str] = &[
    "ps",
    "images",
    "logs",
    "inspect",
    "stats",
    "top",
    "version",
    "info",
    "history",
    "diff",
    "port",
    "events",
    "search",
    "ls",
    "list",
    "df",
    "show",
    "healthcheck",
    "wait",
];

fn engine_reads(inv: &Invocation) -> bool {
    match verb(inv) {
        (None, _) => true,
        (Some(v), _) if READ_VERBS.contains(&v) => true,
        (Some(group), Some(v)) if GROUPS.contains(&group) => READ_VERBS.contains(&v),
        (Some("context" | "buildx" | "builder" | "machine"), None) => true,
        _ => false,
    }
}

pub const GROUPS: &[&str] = &[
    "container",
    "image",
    "volume",
    "network",
    "system",
    "builder",
    "buildx",
    "context",
    "swarm",
    "service",
    "stack",
    "node",
    "secret",
    "config",
    "plugin",
    "manifest",
    "pod",
    "machine",
    "trust",
];

pub static RULES: &[Rule] = &[
    Rule {
        id: "containers.compose.down.volumes",
        programs: ALL,
        test: Some(compose_down_volumes),
        kind: EffectKind::Delete,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Custom(on_engine),
        reason: "stops the project and deletes its volumes and the data in them",
        blocks: &["docker compose down -v", "docker-compose down --volumes --remove-orphans", "docker compose -f docker-compose.prod.yml -p shop down -v", "podman-compose down -v"],
        allows: &["docker compose down", "docker compose -f compose.yml down --remove-orphans"],
        ..Rule::BASE
    },
    Rule {
        id: "containers.compose.down.images",
        programs: ALL,
        test: Some(compose_down_images),
        kind: EffectKind::Delete,
        risk: Risk::Medium,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Custom(on_engine),
        reason: "stops the project and deletes its images",
        blocks: &["docker compose down --rmi all"],
        ..Rule::BASE
    },
    Rule {
        id: "containers.compose.read",
        programs: ALL,
        test: Some(compose_reads),
        kind: EffectKind::Read,
        risk: Risk::None,
        reversibility: Reversibility::Reversible,
        reason: "reads the compose project's state",
        allows: &["docker compose ps", "docker compose logs -f --tail 100 api", "docker-compose config"],
        ..Rule::BASE
    },
    Rule {
        id: "containers.compose",
        programs: ALL,
        test: Some(|inv| compose_view(inv).is_some()),
        kind: EffectKind::Execute,
        risk: Risk::Low,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(compose),
        reason: "builds, starts or stops the compose project's services",
        blocks: &["docker --context prod compose up -d"],
        allows: &["docker compose up -d --build", "docker-compose run --rm api pytest", "docker compose restart worker", "docker compose -p shop down"],
        ..Rule::BASE
    },
    Rule {
        id: "containers.run.host-access",
        programs: ENGINES,
        test: Some(|inv| is_run(inv) && host_access(inv).is_some()),
        kind: EffectKind::Privilege,
        risk: Risk::High,
        reversibility: Reversibility::Unknown,
        assess: Assess::Custom(run),
        reason: "runs a container with host-level access",
        blocks: &[
            "docker run --privileged -it ubuntu bash",
            "docker run --rm -v /:/host alpine chroot /host",
            "docker run -v /var/run/docker.sock:/var/run/docker.sock docker:cli ps",
            "docker run --pid=host --net=host -it alpine nsenter -t 1 -m -u -i -n sh",
            "podman run --cap-add=SYS_ADMIN fedora mount /dev/sda1 /mnt",
            "docker run --mount type=bind,source=/etc,target=/host-etc alpine cat /host-etc/shadow",
            "nerdctl run --privileged alpine",
        ],
        allows: &["docker run --rm -v \"$PWD\":/app -w /app node:20 npm test", "docker run --rm -p 8080:80 nginx:1.27", "docker run -d --name pg -e POSTGRES_PASSWORD=dev -v pgdata:/var/lib/postgresql/data postgres:16"],
        ..Rule::BASE
    },
    Rule {
        id: "containers.remove",
        programs: ENGINES,
        test: Some(|inv| is_container_remove(inv) || is_image_remove(inv)),
        kind: EffectKind::Delete,
        risk: Risk::Low,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Custom(remove),
        reason: "removes containers or images",
        blocks: &["docker rm -f $(docker ps -aq)", "docker rm -f web worker db", "docker rmi -f $(docker images -q)", "podman rm -af", "docker rmi -f app:latest"],
        allows: &["docker rm old-build", "docker rm -f test-runner", "docker rmi app:dev", "docker container rm stale"],
        ..Rule::BASE
    },
    Rule {
        id: "containers.prune",
        programs: ENGINES,
        test: Some(|inv| prune_kind(inv).is_some()),
        kind: EffectKind::Delete,
        risk: Risk::Medium,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Custom(prune),
        reason: "deletes unused containers, images, networks or volumes",
        blocks: &["docker system prune -af --volumes", "docker system prune -a", "docker volume rm pgdata", "docker volume prune -f", "docker container prune -f", "docker image prune -a -f", "docker network prune", "podman system reset --force"],
        allows: &["docker image prune -f", "docker builder prune -f", "docker volume ls"],
        ..Rule::BASE
    },
    Rule {
        id: "containers.push",
        programs: ENGINES,
        test: Some(|inv| matches!(verb(inv), (Some("push"), _) | (Some("image"), Some("push")))),
        kind: EffectKind::Network,
        risk: Risk::Low,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Custom(push),
        reason: "pushes an image to a registry",
        blocks: &["docker push registry.example.com/shop/api:prod"],
        allows: &["docker push ghcr.io/acme/api:dev-3f9c2a1"],
        ..Rule::BASE
    },
    Rule {
        id: "containers.read",
        programs: ENGINES,
        test: Some(engine_reads),
        kind: EffectKind::Read,
        risk: Risk::None,
        reversibility: Reversibility::Reversible,
        reason: "reads container, image, volume or network state",
        allows: &["docker ps -a", "docker images", "docker logs -f --tail 200 api", "docker inspect web", "docker stats --no-stream", "docker volume ls", "docker --context prod ps", "podman ps"],
        ..Rule::BASE
    },
    Rule {
        id: "containers.engine",
        programs: ENGINES,
        kind: EffectKind::Execute,
        risk: Risk::Low,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(run),
        reason: "builds, pulls, runs or manages containers",
        blocks: &["docker -H ssh://deploy@prod-host run -d app:1.4"],
        allows: &["docker build -t app .", "docker pull postgres:16", "docker run --rm alpine echo ok", "docker stop web", "docker tag app:dev app:test", "docker network create devnet", "docker buildx build --platform linux/amd64 -t app ."],
        ..Rule::BASE
    },
];

#[cfg(test)]
mod tests {
    use crate::test_policy::classification_blocked;
    use crate::ShellClassifier;

    #[test]
    fn production_context_makes_changes_production() {
        let c = ShellClassifier::default();
        assert!(classification_blocked(
            &c.classify("docker --context prod-swarm stop api")
        ));
        assert!(!classification_blocked(
            &c.classify("docker --context prod-swarm logs api")
        ));
    }

    #[test]
    fn compose_global_file_option_does_not_hide_the_verb() {
        let c = ShellClassifier::default();
        assert!(classification_blocked(&c.classify(
            "docker compose --file deploy/compose.yml down --volumes"
        )));
        assert!(!classification_blocked(
            &c.classify("docker compose --file deploy/compose.yml down")
        ));
    }
}
