//! `airlock mcp`: the MCP gateway (`proxy`, over stdio or streamable
//! HTTP, judging locally or through `airlock serve`) and the person's side
//! of tool pins (`pins list`, `pins accept`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use airlock_mcp::http::{self, ListenOptions, Upstream};
use airlock_mcp::transports::{
    client_over_stdio, server_over_http, server_process, DEFAULT_MAX_MESSAGE_BYTES,
};
use airlock_mcp::{
    AgentDescription, EscalationMode, Gateway, GatewayOptions, Judge, LocalJudge, PinStore,
    ProxyError, RemoteJudge, SessionEnd, PIN_FILE_NAME,
};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use super::{EXIT_ALLOW, EXIT_ERROR};
use crate::Format;

/// Put an MCP server behind airlock: every tool call is judged first.
#[derive(Debug, Args)]
pub struct McpArgs {
    #[command(subcommand)]
    command: McpCommand,
}

#[derive(Debug, Subcommand)]
enum McpCommand {
    Proxy(Box<ProxyArgs>),
    Pins(PinsArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OnEscalate {
    /// Hold the call until a person approves it (or the time-out passes),
    /// sending progress notifications meanwhile.
    Wait,
    /// Answer at once with the pending approval's id; the same call made
    /// again after approval goes through.
    ReturnId,
}

/// Run an MCP server behind airlock.
///
/// Every message passes through unchanged, except: each tools/call is
/// judged (shell commands, SQL, plans and written paths in its arguments
/// go through airlock's classifiers; the tool's annotations are hints) and
/// answered with a tool error when denied or held; tools policy never
/// allows are left out of tools/list; a tool whose description or schema
/// changed since it was first seen is withheld until a person accepts it
/// (`airlock mcp pins accept`).
///
/// Judging is local (the embedded policy, from airlock.toml) unless
/// --server names an `airlock serve`, which then judges, keeps approvals
/// and the audit log.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  # In an MCP client's configuration, prefix the server's command:
  airlock mcp proxy --name filesystem -- npx -y @modelcontextprotocol/server-filesystem ~/src
  # Judged by a central server, which keeps approvals and the audit log:
  AIRLOCK_AGENT_TOKEN=... airlock mcp proxy --server https://airlock.example.com \\
      --name github -- npx -y @modelcontextprotocol/server-github
  # An upstream that speaks streamable HTTP:
  airlock mcp proxy --name tracker --upstream https://mcp.tracker.example.com/mcp
  # Listen for HTTP clients on a port, one server process per session:
  airlock mcp proxy --listen 127.0.0.1:8931 --name filesystem -- npx -y @modelcontextprotocol/server-filesystem .

EXIT CODES:
  0 the client closed the session, 1 the server exited or an error occurred")]
struct ProxyArgs {
    /// The server's identity in policy, pins and audit. Default: derived
    /// from the command (the package or program name) or the URL's host.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,

    /// Forward to an MCP server at this streamable HTTP URL instead of
    /// starting a command.
    #[arg(long, value_name = "URL", conflicts_with = "command")]
    upstream: Option<String>,

    /// Serve MCP clients over streamable HTTP on this address instead of
    /// stdio (each session gets its own upstream connection or process).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,

    /// The URL path of the MCP endpoint with --listen.
    #[arg(long, default_value = "/mcp", value_name = "PATH", requires = "listen")]
    path: String,

    /// A Host header value accepted with --listen besides the localhost
    /// names (repeatable).
    #[arg(long = "allow-host", value_name = "HOST", requires = "listen")]
    allowed_hosts: Vec<String>,

    /// Judge through `airlock serve` at this URL instead of locally.
    #[arg(long, value_name = "URL")]
    server: Option<String>,

    /// The environment variable that holds the agent's token for --server.
    #[arg(long, default_value = "AIRLOCK_AGENT_TOKEN", value_name = "VAR")]
    token_env: String,

    /// How the agent names itself to --server (recorded, not trusted).
    #[arg(long, value_name = "NAME")]
    agent_name: Option<String>,

    /// What to do with a call that needs a person's approval.
    #[arg(long, value_enum, default_value = "wait")]
    on_escalate: OnEscalate,

    /// How long --on-escalate wait holds a call, in seconds.
    #[arg(long, default_value_t = 600, value_name = "SECONDS")]
    approval_timeout: u64,

    /// How often a held call's approval is checked, in milliseconds.
    #[arg(long, default_value_t = 2000, value_name = "MS")]
    poll_interval: u64,

    /// The environment the server's actions target (production, staging,
    /// …), for targets airlock cannot place.
    #[arg(long, value_name = "ENV")]
    env: Option<String>,

    /// Directory of the pin file (mcp-pins.json).
    #[arg(
        long,
        env = "AIRLOCK_DATA_DIR",
        default_value = ".airlock",
        value_name = "DIR"
    )]
    data_dir: PathBuf,

    /// The largest message accepted from the client, in bytes; longer
    /// ones are dropped and reported.
    #[arg(long, default_value_t = DEFAULT_MAX_MESSAGE_BYTES, value_name = "BYTES")]
    max_message_bytes: usize,

    /// Report only warnings and errors on stderr.
    #[arg(long, short)]
    quiet: bool,

    /// The MCP server's command and arguments.
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<String>,
}

/// Tool pins: what each server's tools looked like when first seen.
#[derive(Debug, Args)]
struct PinsArgs {
    #[command(subcommand)]
    command: PinsCommand,
    /// Directory of the pin file (mcp-pins.json).
    #[arg(
        long,
        global = true,
        env = "AIRLOCK_DATA_DIR",
        default_value = ".airlock",
        value_name = "DIR"
    )]
    data_dir: PathBuf,
}

#[derive(Debug, Subcommand)]
enum PinsCommand {
    List(PinsListArgs),
    Accept(PinsAcceptArgs),
}

/// List pinned tools; a changed tool shows its pending description.
#[derive(Debug, Args)]
struct PinsListArgs {
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

/// Accept the changed description or schema of a server's tools.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  airlock mcp pins list
  airlock mcp pins accept filesystem read_text_file
  airlock mcp pins accept filesystem          # every changed tool of the server")]
struct PinsAcceptArgs {
    /// The server, as named by `airlock mcp proxy --name`.
    server: String,
    /// The tool; every changed tool of the server when omitted.
    tool: Option<String>,
}

pub fn run(config: Option<&Path>, args: McpArgs) -> Result<u8> {
    match args.command {
        McpCommand::Proxy(proxy) => run_proxy(config, *proxy),
        McpCommand::Pins(pins) => run_pins(pins),
    }
}

fn run_proxy(config: Option<&Path>, args: ProxyArgs) -> Result<u8> {
    init_logging(args.quiet);
    let upstream = match (&args.upstream, args.command.is_empty()) {
        (Some(url), true) => Upstream::Url(url.clone()),
        (None, false) => Upstream::Command(args.command.clone()),
        (None, true) => bail!(
            "no MCP server given: put its command after `--` (airlock mcp proxy -- npx -y @modelcontextprotocol/server-filesystem .) or give --upstream URL"
        ),
        (Some(_), false) => bail!("give either --upstream or a command, not both"),
    };
    let server_name = args
        .name
        .clone()
        .unwrap_or_else(|| default_server_name(&upstream));
    let engine = Arc::new(super::engine(config, None)?);
    let judge: Arc<dyn Judge> = match &args.server {
        Some(url) => {
            let token = std::env::var(&args.token_env)
                .ok()
                .filter(|t| !t.is_empty())
                .with_context(|| {
                    format!(
                        "--server needs the agent's token in ${} (or name another variable with --token-env)",
                        args.token_env
                    )
                })?;
            Arc::new(RemoteJudge::new(
                url,
                token,
                AgentDescription {
                    name: args.agent_name.clone(),
                    ..AgentDescription::default()
                },
                args.env.clone(),
                Some(engine),
            )?)
        }
        None => Arc::new(LocalJudge::new(engine, args.env.clone())),
    };
    std::fs::create_dir_all(&args.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            args.data_dir.display()
        )
    })?;
    let pins = PinStore::open(args.data_dir.join(PIN_FILE_NAME))?;
    let escalation = match args.on_escalate {
        OnEscalate::Wait => EscalationMode::Wait {
            timeout: Duration::from_secs(args.approval_timeout),
            poll_interval: Duration::from_millis(args.poll_interval.max(10)),
        },
        OnEscalate::ReturnId => EscalationMode::ReturnPending,
    };
    let gateway = Gateway::new(
        judge,
        Some(pins),
        GatewayOptions {
            server_name,
            escalation,
        },
    );
    // One stdio session runs on one thread: no message waits for another
    // thread to be scheduled. The HTTP listener serves sessions in parallel.
    let runtime = match args.listen {
        Some(_) => super::state::runtime()?,
        None => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?,
    };
    let outcome = runtime.block_on(async {
        match args.listen {
            Some(addr) => listen(gateway, upstream, addr, &args).await,
            None => proxy_stdio(gateway, upstream, args.max_message_bytes).await,
        }
    });
    // A read of stdin may still be pending; do not wait for it.
    runtime.shutdown_timeout(Duration::from_millis(200));
    outcome
}

async fn proxy_stdio(gateway: Arc<Gateway>, upstream: Upstream, max_bytes: usize) -> Result<u8> {
    let client = client_over_stdio(max_bytes);
    let ended = match upstream {
        Upstream::Command(command) => gateway.run(client, server_process(&command)?).await,
        Upstream::Url(url) => gateway.run(client, server_over_http(&url)).await,
    };
    match ended {
        Ok(SessionEnd::ClientClosed) => Ok(EXIT_ALLOW),
        Err(ProxyError::ServerClosed { unanswered }) => {
            eprintln!(
                "airlock: the MCP server `{}` exited ({unanswered} request(s) were answered with an error)",
                gateway.options().server_name
            );
            Ok(EXIT_ERROR)
        }
        Err(e) => Err(e.into()),
    }
}

async fn listen(
    gateway: Arc<Gateway>,
    upstream: Upstream,
    addr: SocketAddr,
    args: &ProxyArgs,
) -> Result<u8> {
    let listener = http::bind(addr).await?;
    let local = listener
        .local_addr()
        .context("cannot read the listening address")?;
    eprintln!(
        "airlock: MCP gateway for `{}` listening on http://{local}{}",
        gateway.options().server_name,
        args.path
    );
    let shutdown = tokio_util::sync::CancellationToken::new();
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        on_signal.cancel();
    });
    http::serve(
        gateway,
        upstream,
        listener,
        ListenOptions {
            path: args.path.clone(),
            allowed_hosts: args.allowed_hosts.clone(),
            max_body_bytes: args.max_message_bytes,
        },
        shutdown,
    )
    .await?;
    Ok(EXIT_ALLOW)
}

/// Runners whose first plain argument names the server better than they do.
const RUNNERS: &[&str] = &[
    "npx", "node", "bunx", "bun", "deno", "uvx", "uv", "pipx", "python", "python3", "pnpm", "yarn",
    "npm", "docker", "podman",
];

/// Path segments that say nothing about which server a script is.
const GENERIC_SEGMENTS: &[&str] = &[
    "dist", "build", "lib", "src", "bin", "index", "main", "cli", "server",
];

/// A readable identity for a server nobody named: the package or program
/// of its command, or the host of its URL.
fn default_server_name(upstream: &Upstream) -> String {
    match upstream {
        Upstream::Url(url) => {
            let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
            rest.split(['/', '?', '#'])
                .next()
                .unwrap_or(rest)
                .to_string()
        }
        Upstream::Command(command) => {
            // The last path segment that is not a build directory or a
            // generic entry point, without version or extension.
            let base = |word: &str| -> String {
                let stem = |segment: &str| -> String {
                    let segment = segment
                        .split('@')
                        .find(|s| !s.is_empty())
                        .unwrap_or(segment);
                    [".js", ".mjs", ".cjs", ".ts", ".py"]
                        .iter()
                        .find_map(|ext| segment.strip_suffix(ext))
                        .unwrap_or(segment)
                        .to_string()
                };
                word.rsplit('/')
                    .map(stem)
                    .find(|s| !s.is_empty() && !GENERIC_SEGMENTS.contains(&s.as_str()))
                    .unwrap_or_else(|| stem(word.rsplit('/').next().unwrap_or(word)))
            };
            let Some((program, args)) = command.split_first() else {
                return "mcp-server".to_string();
            };
            let program_name = base(program);
            if !RUNNERS.contains(&program_name.as_str()) {
                return program_name;
            }
            args.iter()
                .filter(|a| {
                    !a.starts_with('-') && !matches!(a.as_str(), "run" | "exec" | "dlx" | "x")
                })
                .map(|a| base(a))
                .next()
                .unwrap_or(program_name)
        }
    }
}

fn run_pins(args: PinsArgs) -> Result<u8> {
    let path = args.data_dir.join(PIN_FILE_NAME);
    let mut store = PinStore::open(&path)?;
    match args.command {
        PinsCommand::List(list) => {
            let rows = store.rows();
            match list.format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&json!(rows))?),
                Format::Human if rows.is_empty() => {
                    println!("no pinned tools in {}", path.display())
                }
                Format::Human => {
                    for row in rows {
                        let status = if row.pin.pending.is_some() {
                            "CHANGED"
                        } else {
                            "pinned"
                        };
                        println!(
                            "{status:<8} {}/{}  {}  since {}",
                            row.server,
                            row.tool,
                            short(&row.pin.shape.fingerprint),
                            row.pin.pinned_at
                        );
                        if let Some(pending) = &row.pin.pending {
                            println!(
                                "         pinned description: {}",
                                row.pin.shape.description.as_deref().unwrap_or("(none)")
                            );
                            println!(
                                "         new description ({}, seen {}): {}",
                                short(&pending.shape.fingerprint),
                                pending.seen_at,
                                pending.shape.description.as_deref().unwrap_or("(none)")
                            );
                            println!(
                                "         accept with: airlock mcp pins accept {} {}",
                                row.server, row.tool
                            );
                        }
                    }
                }
            }
            Ok(EXIT_ALLOW)
        }
        PinsCommand::Accept(accept) => {
            let accepted = store.accept(&accept.server, accept.tool.as_deref())?;
            for tool in accepted {
                println!("accepted {}/{tool}", accept.server);
            }
            Ok(EXIT_ALLOW)
        }
    }
}

fn short(fingerprint: &str) -> &str {
    let end = fingerprint
        .char_indices()
        .nth(19)
        .map_or(fingerprint.len(), |(i, _)| i);
    &fingerprint[..end]
}

/// Gateway reports go to stderr (stdout carries the protocol).
fn init_logging(quiet: bool) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let gateway_level = if quiet {
        LevelFilter::WARN
    } else {
        LevelFilter::INFO
    };
    let filter = Targets::new()
        .with_default(LevelFilter::WARN)
        .with_target("airlock_mcp", gateway_level)
        .with_target("rmcp", LevelFilter::ERROR);
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(false)
                .with_target(false),
        )
        .with(filter)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(words: &[&str]) -> Upstream {
        Upstream::Command(words.iter().map(|w| w.to_string()).collect())
    }

    #[test]
    fn servers_are_named_after_their_package_program_or_host() {
        assert_eq!(
            default_server_name(&command(&[
                "npx",
                "-y",
                "@modelcontextprotocol/server-filesystem",
                "/tmp"
            ])),
            "server-filesystem"
        );
        assert_eq!(
            default_server_name(&command(&[
                "uvx",
                "mcp-server-git@1.2",
                "--repository",
                "."
            ])),
            "mcp-server-git"
        );
        assert_eq!(
            default_server_name(&command(&[
                "node",
                "/srv/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js",
                "/tmp"
            ])),
            "server-filesystem"
        );
        assert_eq!(
            default_server_name(&command(&["/usr/local/bin/github-mcp-server", "stdio"])),
            "github-mcp-server"
        );
        assert_eq!(
            default_server_name(&Upstream::Url(
                "https://mcp.example.com:8443/mcp?x=1".into()
            )),
            "mcp.example.com:8443"
        );
    }
}
