//! `airlock serve`: runs the HTTP gate over the store (embedded SQLite in
//! the data directory by default, PostgreSQL by URL), with the receipt key
//! from the data directory, until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use airlock_audit::Timestamp;
use airlock_engine::{Engine, LoadedConfig};
use airlock_server::{Gate, GateConfig};
use airlock_store::TenantId;
use anyhow::{Context, Result};
use clap::Args;

use super::state::{redact_url, runtime, StateArgs};
use super::EXIT_ALLOW;

/// Run the approval gate: an HTTP API for agents, approvers and pipelines.
///
/// Agents submit actions to POST /v1/actions; escalations wait for approvers
/// (GET /v1/approvals, POST /v1/approvals/ID/approve); pipelines verify the
/// signed receipt. State lives in the store, so several replicas may share
/// one PostgreSQL database.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  airlock serve                                   # SQLite in ./.airlock, port 8787
  airlock serve --listen 0.0.0.0:8787 --data-dir /var/lib/airlock
  airlock serve --database-url 'postgres://airlock@db/airlock?schema=airlock'

A tenant with its own policies: <DATA-DIR>/tenants/<TENANT>/airlock.toml
(and policies/ beside it), read at start.

Register principals first (tokens are shown once):
  airlock tenants add default
  airlock agents add deploy-bot --operator alice --role deployer
  airlock approvers add bob --role senior")]
pub struct ServeArgs {
    #[command(flatten)]
    state: StateArgs,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787", value_name = "ADDR")]
    listen: SocketAddr,
    /// How long an escalated action waits for approval (e.g. 24h, 90m).
    #[arg(long, default_value = "24h", value_parser = parse_duration, value_name = "DURATION")]
    request_ttl: Duration,
    /// How long a receipt stays valid once issued.
    #[arg(long, default_value = "1h", value_parser = parse_duration, value_name = "DURATION")]
    receipt_ttl: Duration,
    /// Largest request body accepted, in MiB (plans travel in the body).
    #[arg(long, default_value_t = 16, value_name = "MIB")]
    max_body: usize,
    /// Most allow and deny decisions made durable in one store transaction
    /// (group commit; each is answered only once committed). 1 commits each
    /// decision on its own.
    #[arg(
        long,
        default_value_t = airlock_server::decision_log::DEFAULT_MAX_BATCH as u32,
        value_parser = clap::value_parser!(u32).range(1..=4096),
        value_name = "N"
    )]
    decision_batch: u32,
}

pub fn run(config: Option<&Path>, args: ServeArgs) -> Result<u8> {
    let engine = Arc::new(super::engine(config, None)?);
    let receipt_keys = args.state.receipt_keys();
    let gate_config = GateConfig {
        request_ttl: to_time(args.request_ttl)?,
        receipt_ttl: to_time(args.receipt_ttl)?,
        max_body_bytes: args.max_body.saturating_mul(1024 * 1024),
        max_decision_batch: usize::try_from(args.decision_batch)
            .context("--decision-batch out of range")?,
        ..GateConfig::default()
    };
    runtime()?.block_on(async move {
        let store = args.state.open_store().await?;
        let mut gate = Gate::new(Arc::new(store), engine, receipt_keys, gate_config);
        for (tenant, engine) in tenant_engines(&args.state)? {
            eprintln!("airlock: tenant {} has its own policies", tenant.as_str());
            gate = gate.with_tenant_engine(tenant, Arc::new(engine));
        }
        prepare_tenants(&gate).await?;
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let address = listener
            .local_addr()
            .context("cannot read the bound address")?;
        eprintln!(
            "airlock: serving on http://{address} (store {}; each tenant's receipt key in {}/<tenant>/receipts.pub)",
            redact_url(&args.state.store_url()),
            args.state.receipt_keys_dir().display()
        );
        let gate = Arc::new(gate);
        airlock_server::serve(listener, gate, shutdown_signal())
            .await
            .context("the server failed")?;
        eprintln!("airlock: stopped");
        Ok(EXIT_ALLOW)
    })
}

/// Tenants with their own configuration and policies:
/// `<data-dir>/tenants/<tenant>/airlock.toml` (with its `policies/`).
fn tenant_engines(state: &StateArgs) -> Result<Vec<(TenantId, Engine)>> {
    let root = state.data_dir.join("tenants");
    let Ok(entries) = std::fs::read_dir(&root) else {
        return Ok(Vec::new());
    };
    let mut engines = Vec::new();
    for entry in entries {
        let dir = entry
            .with_context(|| format!("cannot list {}", root.display()))?
            .path();
        let config = dir.join("airlock.toml");
        if !config.is_file() {
            continue;
        }
        let name = dir
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default()
            .to_owned();
        let tenant = TenantId::new(&name)
            .with_context(|| format!("{}: not a valid tenant id", dir.display()))?;
        let loaded = LoadedConfig::discover(Some(&config), &dir)
            .with_context(|| format!("tenant {name}"))?;
        let engine = Engine::new(loaded).with_context(|| format!("tenant {name}'s policies"))?;
        engines.push((tenant, engine));
    }
    Ok(engines)
}

/// Readies every tenant before the first request: its receipt key exists
/// (so a pipeline can pin `receipts.pub` before any receipt is issued), and
/// a `policy_change` entry is appended to its audit log when its policy
/// version differs from the one that judged it last.
async fn prepare_tenants(gate: &Gate) -> Result<()> {
    for tenant in gate.store.tenants().await? {
        gate.receipt_keys
            .for_tenant(&tenant.id)
            .map_err(|problem| {
                anyhow::anyhow!("tenant {}: {}", tenant.id.as_str(), problem.detail)
            })?;
        let version = gate.engine(&tenant.id).policy().version().to_owned();
        let changed = gate
            .store
            .tenant(&tenant.id)
            .record_policy_version(&version, "airlock serve", Timestamp::now())
            .await
            .with_context(|| {
                format!(
                    "cannot record tenant {}'s policy version",
                    tenant.id.as_str()
                )
            })?;
        if changed {
            eprintln!(
                "airlock: tenant {} is now judged by policy {version}",
                tenant.id.as_str()
            );
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

/// `30s`, `90m`, `24h`, `7d`, or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: u64 = number
        .parse()
        .map_err(|_| format!("{text:?}: expected a number with s, m, h or d (e.g. 90m)"))?;
    let seconds = match unit {
        "" | "s" => value,
        "m" => value.saturating_mul(60),
        "h" => value.saturating_mul(3600),
        "d" => value.saturating_mul(86_400),
        other => {
            return Err(format!(
                "{text:?}: unknown unit {other:?}; use s, m, h or d"
            ))
        }
    };
    if seconds == 0 {
        return Err(format!("{text:?}: must be longer than zero"));
    }
    Ok(Duration::from_secs(seconds))
}

fn to_time(duration: Duration) -> Result<time::Duration> {
    time::Duration::try_from(duration).context("duration out of range")
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(parse_duration("90m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5w").is_err());
        assert!(parse_duration("h").is_err());
    }
}
