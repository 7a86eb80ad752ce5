//! Kubernetes and Helm: deletions, drains, scale-to-zero, rollbacks,
//! forced replaces and prunes, exec into production pods, against reads.
//! The target's environment comes from the context, cluster, server and
//! namespace options, environment prefixes (`KUBECONFIG=~/.kube/prod`), and,
//! when no context is named, the kubeconfig's `current-context`.

use std::io::Read;
use std::path::PathBuf;
use std::sync::OnceLock;

use airlock_model::{EffectKind, EnvTier, Reversibility, Risk, Sensitivity, Target, TargetKind};

use super::{Assess, Draft, Nested, Outcome, Rule, Scene};
use crate::grammar::{Grammar, Invocation};
use crate::syntax::Word;

/// `kubectl` and OpenShift's `oc`, which shares its verbs.
pub const KUBECTL: &[&str] = &["kubectl", "oc"];
pub const HELM: &[&str] = &["helm"];
const CLUSTER_TOOLS: &[&str] = &["kubectl", "oc", "helm"];

pub static GRAMMARS: &[Grammar] = &[
    Grammar {
        programs: KUBECTL,
        global_value_options: &[
            "--context",
            "--kubeconfig",
            "-n",
            "--namespace",
            "--cluster",
            "--user",
            "-s",
            "--server",
            "--as",
            "--as-group",
            "--as-uid",
            "--token",
            "-v",
            "--v",
            "--request-timeout",
            "--certificate-authority",
            "--client-certificate",
            "--client-key",
            "--tls-server-name",
            "--cache-dir",
            "--username",
            "--password",
            "--profile",
            "--profile-output",
            "--vmodule",
            "--log-dir",
            "--log-file",
        ],
        has_subcommands: true,
        nested: &[
            "rollout",
            "config",
            "auth",
            "certificate",
            "set",
            "create",
            "adm",
            "plugin",
            "policy",
            "alpha",
        ],
        value_options: &[
            "--context",
            "--kubeconfig",
            "-n",
            "--namespace",
            "--cluster",
            "--user",
            "-s",
            "--server",
            "--as",
            "--as-group",
            "--as-uid",
            "--token",
            "-v",
            "--v",
            "--request-timeout",
            "--certificate-authority",
            "--client-certificate",
            "--client-key",
            "--tls-server-name",
            "--cache-dir",
            "--profile",
            "-l",
            "--selector",
            "--field-selector",
            "-o",
            "--output",
            "-f",
            "--filename",
            "-k",
            "--kustomize",
            "-c",
            "--container",
            "--replicas",
            "--current-replicas",
            "--grace-period",
            "--timeout",
            "-p",
            "--patch",
            "--patch-file",
            "--type",
            "--to-revision",
            "--image",
            "--port",
            "--target-port",
            "--name",
            "--field-manager",
            "--prune-allowlist",
            "--prune-whitelist",
            "--since",
            "--since-time",
            "--tail",
            "--pod-running-timeout",
            "--address",
            "--sort-by",
            "--template",
            "--chunk-size",
            "-L",
            "--label-columns",
            "--min",
            "--max",
            "--cpu-percent",
            "--subresource",
            "--raw",
            "--for",
            "--overrides",
            "--env",
            "--limits",
            "--requests",
            "--serviceaccount",
            "--clusterrole",
            "--role",
            "--group",
            "--verb",
            "--resource",
            "--resource-name",
            "--from-literal",
            "--from-file",
            "--from-env-file",
            "--docker-server",
            "--docker-username",
            "--docker-password",
            "--docker-email",
            "--cert",
            "--key",
            "--schedule",
            "--restart",
            "--duration",
            "--audience",
            "--target",
            "--copy-to",
            "--max-log-requests",
            "--pod-selector",
            "--skip-wait-for-delete-timeout",
            "--show-kind",
        ],
        single_dash_long: false,
    },
    Grammar {
        programs: HELM,
        global_value_options: HELM_GLOBAL_VALUES,
        has_subcommands: true,
        nested: &[
            "repo",
            "dependency",
            "dep",
            "plugin",
            "registry",
            "get",
            "show",
            "inspect",
            "search",
        ],
        value_options: &[
            "--kube-context",
            "-n",
            "--namespace",
            "--kubeconfig",
            "--kube-apiserver",
            "--kube-token",
            "--kube-as-user",
            "--kube-as-group",
            "--kube-ca-file",
            "--kube-tls-server-name",
            "--registry-config",
            "--repository-cache",
            "--repository-config",
            "--burst-limit",
            "--qps",
            "-f",
            "--values",
            "--set",
            "--set-string",
            "--set-file",
            "--set-json",
            "--set-literal",
            "--version",
            "--timeout",
            "--description",
            "--post-renderer",
            "--post-renderer-args",
            "--repo",
            "--username",
            "--password",
            "--ca-file",
            "--cert-file",
            "--key-file",
            "--keyring",
            "-o",
            "--output",
            "--max",
            "--revision",
            "--history-max",
            "-l",
            "--selector",
            "--filter",
            "-a",
            "--api-versions",
            "--kube-version",
            "-s",
            "--show-only",
            "--output-dir",
            "--name-template",
            "-d",
            "--destination",
            "--untardir",
            "--app-version",
            "--labels",
        ],
        single_dash_long: false,
    },
];

const HELM_GLOBAL_VALUES: &[&str] = &[
    "--kube-context",
    "-n",
    "--namespace",
    "--kubeconfig",
    "--kube-apiserver",
    "--kube-token",
    "--kube-as-user",
    "--kube-as-group",
    "--kube-ca-file",
    "--kube-tls-server-name",
    "--registry-config",
    "--repository-cache",
    "--repository-config",
    "--burst-limit",
    "--qps",
];

// ----- how a command line is read -------------------------------------------

/// The verb: `oc adm drain` is `drain`.
fn verb(inv: &Invocation) -> Option<&str> {
    match inv.subcommand(0) {
        Some("adm") => inv.subcommand(1),
        other => other,
    }
}

/// The second word of a nested verb (`rollout undo`, `config view`,
/// `create clusterrolebinding`, `oc adm policy add-role-to-user`).
fn sub_verb(inv: &Invocation) -> Option<&str> {
    match inv.subcommand(0) {
        Some("adm") if inv.subcommand(1) == Some("policy") => {
            inv.positional(0).map(|w| w.text.as_str())
        }
        Some("policy") => inv.subcommand(1),
        Some("adm") => inv.positional(0).map(|w| w.text.as_str()),
        _ => inv.subcommand(1),
    }
}

fn verb_is(inv: &Invocation, verbs: &[&str]) -> bool {
    verb(inv).is_some_and(|v| verbs.contains(&v))
}

/// `--dry-run`, `--dry-run=client|server|true`: nothing is changed.
fn is_dry_run(inv: &Invocation) -> bool {
    inv.flags.iter().any(|f| {
        f.name == "--dry-run"
            && f.value
                .as_deref()
                .is_none_or(|v| matches!(v, "client" | "server" | "true" | "unchanged"))
    })
}

/// Resource types named by the first positional (`pod`, `ns/x`, `pod,svc`),
/// lower-cased, without API group (`crd.apiextensions.k8s.io` is `crd`).
fn resource_types(inv: &Invocation) -> impl Iterator<Item = String> + '_ {
    let first = if inv.has_any(&["-f", "--filename", "-k", "--kustomize"]) {
        None
    } else {
        inv.positional(0)
    };
    let mut types: Vec<String> = Vec::new();
    if let Some(word) = first {
        if word.text.contains('/') {
            // `kubectl delete pod/a svc/b`: every positional is type/name.
            for w in inv.positional_words() {
                if let Some((kind, _)) = w.text.split_once('/') {
                    types.push(normal_type(kind));
                }
            }
        } else {
            types.extend(word.text.split(',').map(normal_type));
        }
    }
    types.into_iter()
}

fn normal_type(kind: &str) -> String {
    kind.split('.').next().unwrap_or(kind).to_ascii_lowercase()
}

const NAMESPACE_TYPES: &[&str] = &["ns", "namespace", "namespaces", "project", "projects"];

/// Types whose deletion loses data or breaks the whole cluster.
const CLUSTER_CRITICAL_TYPES: &[&str] = &[
    "pv",
    "persistentvolume",
    "persistentvolumes",
    "pvc",
    "persistentvolumeclaim",
    "persistentvolumeclaims",
    "no",
    "node",
    "nodes",
    "crd",
    "crds",
    "customresourcedefinition",
    "customresourcedefinitions",
    "clusterrole",
    "clusterroles",
    "clusterrolebinding",
    "clusterrolebindings",
    "sc",
    "storageclass",
    "storageclasses",
    "validatingwebhookconfiguration",
    "validatingwebhookconfigurations",
    "mutatingwebhookconfiguration",
    "mutatingwebhookconfigurations",
    "apiservice",
    "apiservices",
    "pc",
    "priorityclass",
    "priorityclasses",
    "all",
    "volumesnapshot",
    "volumesnapshots",
];

fn deletes_types(inv: &Invocation, types: &[&str]) -> bool {
    resource_types(inv).any(|t| types.contains(&t.as_str()))
}

fn deletes_in_bulk(inv: &Invocation) -> bool {
    inv.has_any(&[
        "--all",
        "-A",
        "--all-namespaces",
        "-l",
        "--selector",
        "--field-selector",
    ])
}

fn scales_to_zero(inv: &Invocation) -> bool {
    inv.values_of("--replicas").any(|v| v.trim() == "0")
}

/// A patch that strips finalizers (forcing stuck deletions through) or sets
/// replicas to zero.
fn patch_is_critical(inv: &Invocation) -> bool {
    inv.values_of("-p")
        .chain(inv.values_of("--patch"))
        .any(|patch| {
            let compact: String = patch
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '\'')
                .collect::<String>()
                .to_ascii_lowercase();
            compact.contains("finalizers") || replicas_zero(&compact)
        })
}

fn replicas_zero(compact: &str) -> bool {
    compact.match_indices("\"replicas\":0").any(|(at, m)| {
        !compact
            .get(at + m.len()..)
            .and_then(|rest| rest.chars().next())
            .is_some_and(|c| c.is_ascii_digit())
    })
}

fn grants_cluster_admin(inv: &Invocation) -> bool {
    let admin_role = |r: &str| matches!(r, "cluster-admin" | "admin" | "system:masters");
    inv.values_of("--clusterrole").any(admin_role)
        || inv.values_of("--group").any(|g| g == "system:masters")
        || (matches!(inv.subcommand(0), Some("adm" | "policy"))
            && inv.positional_words().any(|w| admin_role(&w.text)))
}

fn is_rbac_change(inv: &Invocation) -> bool {
    (verb(inv) == Some("create")
        && matches!(
            sub_verb(inv),
            Some("role" | "clusterrole" | "rolebinding" | "clusterrolebinding" | "token")
        ))
        || (verb(inv) == Some("auth") && sub_verb(inv) == Some("reconcile"))
        || (verb(inv) == Some("policy"))
        || (inv.subcommand(0) == Some("policy"))
}

fn copies_into_pod(inv: &Invocation) -> bool {
    let count = inv.positionals.len();
    count >= 2
        && inv
            .positional(count - 1)
            .is_some_and(|w| is_pod_path(&w.text))
}

fn is_pod_path(text: &str) -> bool {
    match text.split_once(':') {
        // `C:\dir` is a local Windows path, not `pod:path`.
        Some((pod, _)) => !(pod.is_empty() || (pod.len() == 1 && text.contains('\\'))),
        None => false,
    }
}

fn debugs_node(inv: &Invocation) -> bool {
    inv.positional_words().any(|w| {
        let t = w.text.to_ascii_lowercase();
        t.starts_with("node/") || t.starts_with("nodes/") || t == "node"
    }) || inv
        .values_of("--profile")
        .any(|p| matches!(p, "sysadmin" | "netadmin"))
}

fn is_kubectl_read(inv: &Invocation) -> bool {
    match verb(inv) {
        None => true,
        Some(
            "get" | "describe" | "logs" | "log" | "top" | "explain" | "api-resources"
            | "api-versions" | "version" | "cluster-info" | "diff" | "events" | "wait"
            | "kustomize" | "completion" | "options" | "help" | "status" | "whoami" | "projects"
            | "process" | "extract" | "must-gather" | "inspect" | "observe",
        ) => true,
        Some("auth") => matches!(sub_verb(inv), Some("can-i" | "whoami")),
        Some("plugin") => matches!(sub_verb(inv), None | Some("list")),
        Some("config") => matches!(
            sub_verb(inv),
            None | Some("view" | "get-contexts" | "current-context" | "get-clusters" | "get-users")
        ),
        Some("project") => inv.positionals.is_empty(),
        Some("rollout") => matches!(sub_verb(inv), Some("status" | "history")),
        _ => false,
    }
}

fn is_kubectl_write(inv: &Invocation) -> bool {
    verb_is(
        inv,
        &[
            "apply",
            "create",
            "patch",
            "edit",
            "set",
            "label",
            "annotate",
            "expose",
            "run",
            "autoscale",
            "new-app",
            "new-project",
            "new-build",
            "start-build",
            "cancel-build",
            "tag",
            "import-image",
            "secrets",
            "image",
            "certificate",
        ],
    )
}

fn is_helm_read(inv: &Invocation) -> bool {
    match inv.subcommand(0) {
        None => true,
        Some(
            "list" | "ls" | "status" | "get" | "template" | "lint" | "diff" | "history" | "hist"
            | "show" | "inspect" | "search" | "version" | "env" | "verify" | "help" | "completion",
        ) => true,
        Some("dependency" | "dep" | "repo" | "plugin") => inv.subcommand(1) == Some("list"),
        _ => false,
    }
}

// ----- rules -----------------------------------------------------------------

pub static RULES: &[Rule] = &[
    Rule {
        id: "kubernetes.dry-run",
        programs: CLUSTER_TOOLS,
        test: Some(is_dry_run),
        kind: EffectKind::Read,
        risk: Risk::None,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(cluster_assess),
        reason: "only simulates the change (--dry-run)",
        allows: &[
            "kubectl apply -f deploy.yaml --dry-run=server --context prod-eu",
            "kubectl delete ns payments --dry-run=client",
            "helm upgrade --install api ./chart -n production --dry-run",
        ],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.delete.namespace",
        programs: KUBECTL,
        test: Some(|inv| verb(inv) == Some("delete") && deletes_types(inv, NAMESPACE_TYPES)),
        kind: EffectKind::Destroy,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Custom(delete_assess),
        reason: "deletes a whole namespace and every object in it",
        blocks: &[
            "kubectl delete namespace payments",
            "kubectl --context kind-dev delete ns feature-x",
            "oc delete project team-a-dev",
            "kubectl delete ns/kube-system",
        ],
        allows: &["kubectl get ns", "kubectl describe namespace payments"],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.delete.bulk",
        programs: KUBECTL,
        test: Some(|inv| verb(inv) == Some("delete") && deletes_in_bulk(inv)),
        kind: EffectKind::Delete,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Custom(delete_assess),
        reason: "deletes every matching object (--all, all namespaces or a selector)",
        blocks: &[
            "kubectl delete pods --all -n dev",
            "kubectl delete deploy -l app=api -n sandbox",
            "kubectl delete jobs --field-selector status.successful=1 -A",
        ],
        allows: &["kubectl get pods -l app=api -n sandbox"],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.delete.cluster-critical",
        programs: KUBECTL,
        test: Some(|inv| verb(inv) == Some("delete") && deletes_types(inv, CLUSTER_CRITICAL_TYPES)),
        kind: EffectKind::Delete,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Custom(delete_assess),
        reason: "deletes volumes, claims, nodes, CRDs (with every custom object) or cluster-wide access and admission objects",
        blocks: &[
            "kubectl delete pvc data-postgres-0 -n sandbox",
            "kubectl delete crd certificates.cert-manager.io",
            "kubectl delete node ip-10-0-1-23.ec2.internal",
            "kubectl delete pv/pvc-3f2a1b",
        ],
        allows: &["kubectl get pvc -n sandbox", "kubectl get crd"],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.delete",
        programs: KUBECTL,
        test: Some(|inv| verb(inv) == Some("delete")),
        kind: EffectKind::Delete,
        risk: Risk::Medium,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Custom(delete_assess),
        reason: "deletes cluster objects",
        blocks: &[
            "kubectl delete pod api-7d9f8b-xk2lp -n payments",
            "kubectl delete deployment api --context staging",
            "kubectl delete -f k8s/",
            "kubectl -n prod delete svc api",
        ],
        allows: &[
            "kubectl delete pod api-7d9f8b-xk2lp -n sandbox",
            "kubectl --context minikube delete deploy web",
        ],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.drain",
        programs: KUBECTL,
        test: Some(|inv| verb(inv) == Some("drain")),
        kind: EffectKind::Delete,
        risk: Risk::High,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(cluster_assess),
        reason: "evicts every pod from a node",
        blocks: &[
            "kubectl drain node-1 --ignore-daemonsets --delete-emptydir-data",
            "oc adm drain worker-2 --force",
        ],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.cordon",
        programs: KUBECTL,
        test: Some(|inv| verb(inv) == Some("cordon")),
        kind: EffectKind::Overwrite,
        risk: Risk::Medium,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(cluster_assess),
        reason: "stops the cluster scheduling pods onto a node",
        blocks: &["kubectl cordon node-1", "oc adm cordon worker-3"],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.uncordon",
        programs: KUBECTL,
        test: Some(|inv| verb(inv) == Some("uncordon")),
        kind: EffectKind::Write,
        risk: Risk::Low,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(cluster_assess),
        reason: "lets the cluster schedule pods onto a node again",
        blocks: &["kubectl --context prod-eu uncordon node-1"],
        allows: &["kubectl uncordon node-1"],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.taint.no-execute",
        programs: KUBECTL,
        test: Some(|inv| {
            verb(inv) == Some("taint")
                && inv
                    .positional_words()
                    .any(|w| w.text.ends_with(":NoExecute"))
        }),
        kind: EffectKind::Overwrite,
        risk: Risk::High,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(cluster_assess),
        reason: "taints a node with NoExecute, evicting pods that do not tolerate it",
        blocks: &["kubectl taint nodes node-1 maintenance=true:NoExecute"],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.taint",
        programs: KUBECTL,
        test: Some(|inv| verb(inv) == Some("taint")),
        kind: EffectKind::Overwrite,
        risk: Risk::Medium,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(cluster_assess),
        reason: "changes which pods a node accepts (taint)",
        blocks: &["kubectl taint nodes node-1 dedicated=gpu:NoSchedule"],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.scale.zero",
        programs: KUBECTL,
        test: Some(|inv| verb_is(inv, &["scale", "idle"]) && (scales_to_zero(inv) || verb(inv) == Some("idle"))),
        kind: EffectKind::Overwrite,
        risk: Risk::High,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(cluster_assess),
        reason: "scales a workload to zero replicas, taking it down",
        blocks: &[
            "kubectl scale deploy/api --replicas=0 -n dev",
            "kubectl scale statefulset postgres --replicas 0",
            "oc idle api",
        ],
        allows: &["kubectl scale deploy/api --replicas=3 -n dev"],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.scale",
        programs: KUBECTL,
        test: Some(|inv| verb_is(inv, &["scale", "autoscale"])),
        kind: EffectKind::Write,
        risk: Risk::Low,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(cluster_assess),
        reason: "changes the number of replicas of a workload",
        blocks: &["kubectl scale deploy/api --replicas=5 -n production"],
        allows: &["kubectl scale deploy/worker --replicas=2 --context kind-dev"],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.rollout.undo",
        programs: KUBECTL,
        test: Some(|inv| {
            (verb(inv) == Some("rollout") && sub_verb(inv) == Some("undo"))
                || verb(inv) == Some("rollback")
        }),
        kind: EffectKind::Overwrite,
        risk: Risk::Medium,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(cluster_assess),
        reason: "rolls a workload back to an earlier revision",
        blocks: &[
            "kubectl rollout undo deployment/api",
            "kubectl rollout undo deploy/api --to-revision=3 -n staging",
        ],
        allows: &["kubectl rollout history deployment/api", "kubectl rollout status deploy/api -n prod"],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.rollout",
        programs: KUBECTL,
        test: Some(|inv| verb(inv) == Some("rollout") && !is_kubectl_read(inv)),
        kind: EffectKind::Write,
        risk: Risk::Low,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(cluster_assess),
        reason: "restarts, pauses or resumes a workload's rollout",
        blocks: &["kubectl rollout restart deployment/api -n production"],
        allows: &["kubectl rollout restart deployment/api -n dev"],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.replace.force",
        programs: KUBECTL,
        test: Some(|inv| verb(inv) == Some("replace") && inv.has("--force")),
        kind: EffectKind::Replace,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Custom(cluster_assess),
        reason: "deletes and recreates the objects (replace --force)",
        blocks: &["kubectl replace --force -f job.yaml"],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.replace",
        programs: KUBECTL,
        test: Some(|inv| verb(inv) == Some("replace")),
        kind: EffectKind::Overwrite,
        risk: Risk::Low,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(cluster_assess),
        reason: "replaces the objects' specification",
        blocks: &["kubectl replace -f configmap.yaml -n production"],
        allows: &["kubectl replace -f configmap.yaml -n dev"],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.apply.prune",
        programs: KUBECTL,
        test: Some(|inv| verb(inv) == Some("apply") && inv.has("--prune")),
        kind: EffectKind::Delete,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Custom(cluster_assess),
        reason: "deletes every object that the manifests no longer list (apply --prune)",
        blocks: &["kubectl apply --prune -l app=api -f k8s/"],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.patch.critical",
        programs: KUBECTL,
        test: Some(|inv| verb(inv) == Some("patch") && patch_is_critical(inv)),
        kind: EffectKind::Overwrite,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Custom(cluster_assess),
        reason: "patches finalizers (forcing deletions through) or scales to zero",
        blocks: &[
            "kubectl patch ns stuck -p '{\"metadata\":{\"finalizers\":null}}' --type=merge",
            "kubectl patch deploy api -p '{\"spec\":{\"replicas\":0}}'",
        ],
        allows: &["kubectl patch deploy api -n dev -p '{\"spec\":{\"replicas\":10}}'"],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.debug.node",
        programs: KUBECTL,
        test: Some(|inv| verb(inv) == Some("debug") && debugs_node(inv)),
        kind: EffectKind::Privilege,
        risk: Risk::High,
        reversibility: Reversibility::Unknown,
        assess: Assess::Custom(cluster_assess),
        reason: "starts a privileged pod with the node's root filesystem and namespaces",
        blocks: &["kubectl debug node/ip-10-0-1-23 -it --image=busybox", "oc debug node/worker-1"],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.exec",
        programs: KUBECTL,
        test: Some(|inv| verb_is(inv, &["exec", "attach", "rsh", "debug"])),
        kind: EffectKind::Execute,
        risk: Risk::Low,
        reversibility: Reversibility::Unknown,
        assess: Assess::Custom(exec_assess),
        reason: "runs commands inside a running container",
        blocks: &[
            "kubectl -n production exec -it api-7d9f8b-xk2lp -- sh",
            "kubectl --context prod-eu exec deploy/api -- rails console",
            "kubectl -n kube-system exec etcd-master-1 -- etcdctl member list",
        ],
        allows: &["kubectl -n dev exec -it api-7d9f8b-xk2lp -- sh", "kubectl --context kind-dev exec deploy/api -- env"],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.cp.into",
        programs: KUBECTL,
        test: Some(|inv| verb_is(inv, &["cp", "rsync"]) && copies_into_pod(inv)),
        kind: EffectKind::Write,
        risk: Risk::Low,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Custom(cluster_assess),
        reason: "copies local files into a running container",
        blocks: &["kubectl cp ./patch.rb production/api-7d9f8b-xk2lp:/app/patch.rb"],
        allows: &["kubectl cp ./fixture.sql dev/postgres-0:/tmp/fixture.sql"],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.cp.out",
        programs: KUBECTL,
        test: Some(|inv| verb_is(inv, &["cp", "rsync"])),
        kind: EffectKind::Read,
        risk: Risk::None,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(cluster_assess),
        reason: "copies files out of a container",
        allows: &["kubectl cp production/api-7d9f8b-xk2lp:/var/log/app.log ./app.log"],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.certificate.approve",
        programs: KUBECTL,
        test: Some(|inv| verb(inv) == Some("certificate") && sub_verb(inv) == Some("approve")),
        kind: EffectKind::Privilege,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Custom(cluster_assess),
        reason: "approves a certificate signing request, issuing cluster credentials",
        blocks: &["kubectl certificate approve csr-8x2kq"],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.rbac.admin",
        programs: KUBECTL,
        test: Some(|inv| is_rbac_change(inv) && grants_cluster_admin(inv)),
        kind: EffectKind::Privilege,
        risk: Risk::High,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(cluster_assess),
        reason: "grants cluster-admin or namespace admin rights",
        blocks: &[
            "kubectl create clusterrolebinding ci-admin --clusterrole=cluster-admin --serviceaccount=ci:runner",
            "oc adm policy add-cluster-role-to-user cluster-admin alice",
        ],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.rbac",
        programs: KUBECTL,
        test: Some(is_rbac_change),
        kind: EffectKind::Privilege,
        risk: Risk::Medium,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(cluster_assess),
        reason: "changes who may do what in the cluster, or mints an access token",
        blocks: &[
            "kubectl create rolebinding dev-edit --clusterrole=edit --user=bob -n dev",
            "kubectl create token ci-deployer -n ci --duration=8760h",
            "oc policy add-role-to-user edit bob -n team-a",
        ],
        allows: &["kubectl auth can-i create deployments -n dev"],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.write",
        programs: KUBECTL,
        test: Some(is_kubectl_write),
        kind: EffectKind::Write,
        risk: Risk::Low,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(cluster_assess),
        reason: "creates or changes cluster objects",
        blocks: &[
            "kubectl apply -f deploy.yaml --context prod-cluster",
            "kubectl -n kube-system apply -f coredns.yaml",
            "kubectl set image deploy/api api=registry.example.com/api:1.4.2 -n production",
        ],
        allows: &[
            "kubectl apply -f k8s/ --context kind-dev",
            "kubectl create namespace feature-x",
            "kubectl label pod api-0 debug=true -n dev",
        ],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.read",
        programs: KUBECTL,
        test: Some(is_kubectl_read),
        kind: EffectKind::Read,
        risk: Risk::None,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(cluster_assess),
        reason: "reads cluster state",
        allows: &[
            "kubectl get pods -A",
            "kubectl -n prod describe deploy api",
            "kubectl logs -f deploy/api --context prod",
            "kubectl config get-contexts",
            "kubectl --context prod-eu get events --sort-by=.lastTimestamp",
            "oc status",
        ],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.port-forward",
        programs: KUBECTL,
        test: Some(|inv| verb_is(inv, &["port-forward", "proxy"])),
        kind: EffectKind::Network,
        risk: Risk::Low,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(cluster_assess),
        reason: "forwards a local port to the cluster",
        allows: &["kubectl port-forward svc/api 8080:80", "kubectl -n production port-forward svc/grafana 3000"],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.config",
        programs: KUBECTL,
        test: Some(|inv| verb_is(inv, &["config", "login", "logout", "project"])),
        kind: EffectKind::Write,
        risk: Risk::Low,
        reversibility: Reversibility::Reversible,
        reason: "changes the local kubeconfig (contexts, credentials, current project)",
        allows: &["kubectl config use-context kind-dev", "oc login https://api.crc.testing:6443 -u developer", "oc project team-a"],
        ..Rule::BASE
    },
    Rule {
        id: "kubernetes.other",
        programs: KUBECTL,
        kind: EffectKind::Unknown,
        risk: Risk::Medium,
        reversibility: Reversibility::Unknown,
        assess: Assess::Custom(cluster_assess),
        reason: "cannot determine effect: a cluster command (or plugin) no rule describes",
        blocks: &["kubectl krew install ctx", "kubectl neat get deploy api"],
        ..Rule::BASE
    },
    // ----- Helm ---------------------------------------------------------------
    Rule {
        id: "helm.uninstall",
        programs: HELM,
        test: Some(|inv| matches!(inv.subcommand(0), Some("uninstall" | "delete" | "del" | "un"))),
        kind: EffectKind::Destroy,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Custom(cluster_assess),
        reason: "uninstalls a release and deletes every object it created",
        blocks: &["helm uninstall api -n prod", "helm --kube-context kind-dev uninstall redis", "helm delete old-release --purge"],
        allows: &["helm list -A", "helm status api -n prod"],
        ..Rule::BASE
    },
    Rule {
        id: "helm.rollback",
        programs: HELM,
        subcommand: &["rollback"],
        kind: EffectKind::Overwrite,
        risk: Risk::High,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(cluster_assess),
        reason: "rolls a release back to an earlier revision",
        blocks: &["helm rollback api 3 -n staging"],
        allows: &["helm history api -n staging"],
        ..Rule::BASE
    },
    Rule {
        id: "helm.upgrade.force",
        programs: HELM,
        test: Some(|inv| matches!(inv.subcommand(0), Some("upgrade" | "install")) && inv.has("--force")),
        kind: EffectKind::Replace,
        risk: Risk::High,
        reversibility: Reversibility::Irreversible,
        assess: Assess::Custom(cluster_assess),
        reason: "recreates the release's objects instead of updating them (--force)",
        blocks: &["helm upgrade api ./chart --force -n dev"],
        ..Rule::BASE
    },
    Rule {
        id: "helm.install",
        programs: HELM,
        test: Some(|inv| matches!(inv.subcommand(0), Some("upgrade" | "install"))),
        kind: EffectKind::Write,
        risk: Risk::Medium,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(cluster_assess),
        reason: "installs or upgrades a release",
        blocks: &[
            "helm upgrade --install api ./chart -n production",
            "helm upgrade api ./chart --kube-context prod-eu -f values-prod.yaml",
            "helm install ingress-nginx ingress-nginx/ingress-nginx -n kube-system",
        ],
        allows: &["helm upgrade --install api ./chart -n dev -f values-dev.yaml", "helm install redis bitnami/redis -n sandbox"],
        ..Rule::BASE
    },
    Rule {
        id: "helm.read",
        programs: HELM,
        test: Some(is_helm_read),
        kind: EffectKind::Read,
        risk: Risk::None,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(cluster_assess),
        reason: "reads releases, charts or rendered manifests",
        allows: &[
            "helm list -A",
            "helm get values api -n production",
            "helm template api ./chart -f values-prod.yaml",
            "helm lint ./chart",
            "helm diff upgrade api ./chart -n production",
        ],
        ..Rule::BASE
    },
    Rule {
        id: "helm.local",
        programs: HELM,
        test: Some(|inv| {
            matches!(
                inv.subcommand(0),
                Some("repo" | "dependency" | "dep" | "create" | "package" | "pull" | "fetch" | "registry" | "plugin")
            )
        }),
        kind: EffectKind::Execute,
        risk: Risk::Low,
        reversibility: Reversibility::Reversible,
        reason: "manages local chart repositories, dependencies, packages or plugins",
        allows: &["helm repo add bitnami https://charts.bitnami.com/bitnami", "helm repo update", "helm dependency build ./chart", "helm package ./chart"],
        ..Rule::BASE
    },
    Rule {
        id: "helm.test",
        programs: HELM,
        subcommand: &["test"],
        kind: EffectKind::Execute,
        risk: Risk::Low,
        reversibility: Reversibility::Reversible,
        assess: Assess::Custom(cluster_assess),
        reason: "runs a release's test pods",
        blocks: &["helm test api -n production"],
        allows: &["helm test api -n dev"],
        ..Rule::BASE
    },
    Rule {
        id: "helm.other",
        programs: HELM,
        kind: EffectKind::Unknown,
        risk: Risk::Medium,
        reversibility: Reversibility::Unknown,
        assess: Assess::Custom(cluster_assess),
        reason: "cannot determine effect: a Helm command (or plugin) no rule describes",
        blocks: &["helm secrets upgrade api ./chart"],
        ..Rule::BASE
    },
];

// ----- environment -----------------------------------------------------------

/// Where a cluster command acts, as far as the line tells.
struct ClusterEnv {
    tier: Option<EnvTier>,
    place: String,
    /// A system namespace (`kube-system`) is named.
    protected: bool,
}

fn raise(tier: &mut Option<EnvTier>, candidate: Option<EnvTier>) {
    if let Some(c) = candidate {
        *tier = Some(tier.map_or(c, |t| t.max(c)));
    }
}

/// Namespaces that hold the cluster's own machinery.
pub fn is_system_namespace(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("kube-")
        || name.starts_with("openshift")
        || matches!(
            name.as_str(),
            "istio-system"
                | "cert-manager"
                | "ingress-nginx"
                | "gatekeeper-system"
                | "calico-system"
                | "tigera-operator"
                | "flux-system"
                | "argocd"
                | "cattle-system"
                | "linkerd"
                | "vault"
                | "external-secrets"
        )
}

/// Contexts of clusters on the developer's own machine.
fn is_local_cluster(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(
        name.as_str(),
        "minikube"
            | "docker-desktop"
            | "docker-for-desktop"
            | "rancher-desktop"
            | "orbstack"
            | "colima"
            | "microk8s"
            | "crc-admin"
            | "crc-developer"
    ) || name.starts_with("kind-")
        || name.starts_with("k3d-")
}

/// The tier a context or cluster name implies: its words, or scratch for a
/// cluster on the local machine (`kind-dev`, `minikube`).
fn context_tier(scene: &Scene, name: &str) -> Option<EnvTier> {
    let named = scene.cfg.environments.tier_of(name);
    if is_local_cluster(name) && named.is_none_or(|t| t < EnvTier::Staging) {
        Some(EnvTier::Scratch)
    } else {
        named
    }
}

fn cluster_env(inv: &Invocation, scene: &Scene) -> ClusterEnv {
    let patterns = &scene.cfg.environments;
    let mut tier = scene.env_hint;
    let mut places: Vec<String> = Vec::new();
    let mut protected = false;
    let mut explicit_context = false;
    for name in ["--context", "--kube-context", "--cluster"] {
        for value in inv.values_of(name) {
            explicit_context |= name != "--cluster";
            raise(&mut tier, context_tier(scene, value));
            places.push(format!("context {value}"));
        }
    }
    for name in ["--kubeconfig", "-s", "--server", "--kube-apiserver"] {
        if inv.program == "helm" && name == "-s" {
            continue;
        }
        for value in inv.values_of(name) {
            explicit_context |= name == "--kubeconfig";
            raise(&mut tier, patterns.tier_of(value));
        }
    }
    if !explicit_context {
        if let Some(current) = default_context() {
            raise(&mut tier, context_tier(scene, current));
            places.push(format!("current context {current}"));
        }
    }
    for name in ["-n", "--namespace"] {
        for value in inv.values_of(name) {
            raise(&mut tier, patterns.tier_of(value));
            protected |= is_system_namespace(value);
            places.push(format!("namespace {value}"));
        }
    }
    // Names of objects, releases, manifests and values files only raise the
    // tier: `api-prod` says production, `test-runner` says nothing.
    let weak = inv.positional_words().map(|w| w.text.as_str()).chain(
        ["-f", "--filename", "--values", "-k", "--kustomize"]
            .into_iter()
            .flat_map(|n| inv.values_of(n)),
    );
    for text in weak {
        raise(
            &mut tier,
            patterns.tier_of(text).filter(|t| *t >= EnvTier::Staging),
        );
    }
    let place = if places.is_empty() {
        "the current context".to_string()
    } else {
        places.join(", ")
    };
    ClusterEnv {
        tier,
        place,
        protected,
    }
}

fn cluster_target(kind: EffectKind, env: &ClusterEnv, what: String) -> Target {
    let mut target = Target::new(TargetKind::Resource, what);
    if !matches!(kind, EffectKind::Read | EffectKind::Network) {
        target.environment = env.tier.unwrap_or(EnvTier::Unknown);
        if env.protected {
            target.sensitivity = Sensitivity::Protected;
        }
    }
    target
}

fn reason_with_place(reason: &str, env: &ClusterEnv, tier: EnvTier) -> String {
    if tier >= EnvTier::Staging {
        format!("{reason} in {tier} ({})", env.place)
    } else {
        format!("{reason} ({})", env.place)
    }
}

fn object_names(inv: &Invocation) -> String {
    let mut names: Vec<&str> = inv.positional_words().map(|w| w.text.as_str()).collect();
    for name in ["-f", "--filename", "-k", "--kustomize"] {
        names.extend(inv.values_of(name));
    }
    if names.is_empty() {
        inv.program.clone()
    } else {
        format!("{} {}", inv.program, names.join(" "))
    }
}

/// Target and environment from the command's options; kind and risk from
/// the rule.
fn cluster_assess(rule: &Rule, inv: &Invocation, scene: &Scene) -> Outcome {
    let env = cluster_env(inv, scene);
    let target = cluster_target(rule.kind, &env, object_names(inv));
    let reason = reason_with_place(rule.reason, &env, target.environment);
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

/// Deletions: system namespaces are protected; a single object in a
/// scratch namespace or local cluster is a low-risk delete.
fn delete_assess(rule: &Rule, inv: &Invocation, scene: &Scene) -> Outcome {
    let mut env = cluster_env(inv, scene);
    let deletes_namespaces = resource_types(inv).any(|t| NAMESPACE_TYPES.contains(&t.as_str()));
    if deletes_namespaces {
        for word in inv.positional_words() {
            let name = word.text.rsplit('/').next().unwrap_or(&word.text);
            env.protected |= is_system_namespace(name);
            raise(&mut env.tier, scene.cfg.environments.tier_of(name));
        }
    }
    let mut risk = rule.risk;
    let forced = inv.has("--force") || inv.values_of("--grace-period").any(|v| v.trim() == "0");
    if rule.risk == Risk::Medium && env.tier == Some(EnvTier::Scratch) && !env.protected && !forced
    {
        risk = Risk::Low;
    }
    let target = cluster_target(rule.kind, &env, object_names(inv));
    let reason = reason_with_place(rule.reason, &env, target.environment);
    let mut out = Outcome::default();
    out.push(Draft {
        kind: rule.kind,
        target,
        risk,
        reversibility: rule.reversibility,
        reason,
        span: scene.span,
    });
    out
}

/// Commands run in a production or system pod are high risk; the command
/// after `--` is judged too, as if it ran here (fail closed).
fn exec_assess(rule: &Rule, inv: &Invocation, scene: &Scene) -> Outcome {
    let env = cluster_env(inv, scene);
    let target = cluster_target(rule.kind, &env, object_names(inv));
    let risk = if target.environment == EnvTier::Production || env.protected {
        Risk::High
    } else {
        rule.risk
    };
    let reason = reason_with_place(rule.reason, &env, target.environment);
    let mut out = Outcome::default();
    out.push(Draft {
        kind: rule.kind,
        target,
        risk,
        reversibility: rule.reversibility,
        reason,
        span: scene.span,
    });
    if let Some(at) = inv.double_dash_at {
        let words: Vec<Word> = inv
            .positionals
            .iter()
            .skip(at)
            .filter_map(|i| inv.words.get(*i))
            .cloned()
            .collect();
        if !words.is_empty() {
            out.nested.push(Nested {
                words,
                via: format!("{} {}", inv.program, verb(inv).unwrap_or("exec")),
            });
        }
    }
    out
}

// ----- the kubeconfig's current context -----------------------------------------

/// Kubeconfig files larger than this are not read.
const MAX_KUBECONFIG_BYTES: u64 = 1 << 20;

static DEFAULT_CONTEXT: OnceLock<Option<String>> = OnceLock::new();

/// The `current-context` of the kubeconfig `kubectl` would use
/// (`$KUBECONFIG`'s first file, else `~/.kube/config`), read once per
/// process. `None` when there is none or it cannot be read.
pub fn default_context() -> Option<&'static str> {
    DEFAULT_CONTEXT
        .get_or_init(|| kubeconfig_path().and_then(|p| read_current_context(&p)))
        .as_deref()
}

fn kubeconfig_path() -> Option<PathBuf> {
    if let Some(list) = std::env::var_os("KUBECONFIG") {
        return std::env::split_paths(&list).find(|p| !p.as_os_str().is_empty());
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".kube").join("config"))
}

fn read_current_context(path: &std::path::Path) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_KUBECONFIG_BYTES)
        .read_to_end(&mut bytes)
        .ok()?;
    current_context_of(&String::from_utf8_lossy(&bytes))
}

/// The value of the top-level `current-context:` line of a kubeconfig.
pub fn current_context_of(yaml: &str) -> Option<String> {
    let line = yaml
        .lines()
        .find_map(|line| line.strip_prefix("current-context:"))?;
    let value = line.split(" #").next().unwrap_or(line).trim();
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(value);
    (!value.is_empty()).then(|| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ShellClassifier;

    fn effect(command: &str) -> airlock_model::Effect {
        let c = ShellClassifier::default().classify(command);
        c.effects.into_iter().next().expect("an effect")
    }

    #[test]
    fn reads_the_current_context_line() {
        let yaml = "apiVersion: v1\nclusters: []\ncontexts:\n- name: x\n  context:\n    current-context: nested\ncurrent-context: \"prod-eu\" # active\nkind: Config\n";
        assert_eq!(current_context_of(yaml).as_deref(), Some("prod-eu"));
        assert_eq!(current_context_of("current-context: ''\n"), None);
        assert_eq!(current_context_of("kind: Config\n"), None);
    }

    #[test]
    fn global_options_never_hide_the_verb() {
        let e =
            effect("kubectl --context prod -n payments --request-timeout 5s delete ns payments");
        assert_eq!(e.rule, "kubernetes.delete.namespace");
        assert_eq!(e.target.environment, EnvTier::Production);
        let e = effect("helm --kube-context prod-eu -n api uninstall api");
        assert_eq!(e.rule, "helm.uninstall");
        assert_eq!(e.target.environment, EnvTier::Production);
    }

    #[test]
    fn single_deletes_depend_on_the_namespace() {
        assert_eq!(effect("kubectl delete pod x -n sandbox").risk, Risk::Low);
        assert_eq!(effect("kubectl delete pod x -n team-a").risk, Risk::Medium);
        let prod = effect("kubectl delete pod x -n prod");
        assert_eq!(prod.target.environment, EnvTier::Production);
        let system = effect("kubectl delete pod coredns-1 -n kube-system");
        assert_eq!(system.target.sensitivity, Sensitivity::Protected);
    }

    #[test]
    fn reads_carry_no_environment() {
        let e = effect("kubectl get pods -n production");
        assert_eq!(e.kind, EffectKind::Read);
        assert_eq!(e.target.environment, EnvTier::Unknown);
    }

    #[test]
    fn local_clusters_are_scratch() {
        let e = effect("kubectl --context kind-dev apply -f k8s/");
        assert_eq!(e.target.environment, EnvTier::Scratch);
    }
}
