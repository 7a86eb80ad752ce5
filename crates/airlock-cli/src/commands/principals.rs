//! `airlock tenants|agents|approvers|emergency-stop`: register who may talk
//! to the gate, directly on the store (run them where `airlock serve` runs).
//! Tokens are printed once and stored only as SHA-256.

use airlock_audit::Timestamp;
use airlock_store::{Agent, Approver, NewAgent, NewApprover, Store, StoreError, Withdrawn};
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use serde_json::json;

use super::serve::parse_duration;
use super::state::{runtime, StateArgs};
use super::EXIT_ALLOW;
use crate::Format;

/// Who runs `airlock` commands that change the registry, for the audit log.
fn actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned())
    )
}

/// Manage tenants (isolated teams).
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  airlock tenants add payments --name 'Payments team'
  airlock tenants list --format json")]
pub struct TenantsArgs {
    #[command(flatten)]
    state: StateArgs,
    #[command(subcommand)]
    command: TenantsCommand,
}

#[derive(Debug, Subcommand)]
enum TenantsCommand {
    /// Create a tenant (ids: lower-case letters, digits, `-` and `_`).
    Add {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// List tenants.
    List {
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
}

pub fn tenants(args: TenantsArgs) -> Result<u8> {
    runtime()?.block_on(async move {
        let store = args.state.open_store().await?;
        match args.command {
            TenantsCommand::Add { id, name, format } => {
                let tenant_id = airlock_store::TenantId::new(&id)
                    .with_context(|| format!("invalid tenant id {id:?}"))?;
                let tenant = store
                    .create_tenant(
                        &tenant_id,
                        name.as_deref().unwrap_or(&id),
                        &actor(),
                        Timestamp::now(),
                    )
                    .await?;
                match format {
                    Format::Json => println!(
                        "{}",
                        json!({ "id": tenant.id.as_str(), "name": tenant.name })
                    ),
                    Format::Human => println!("tenant {} created", tenant.id.as_str()),
                }
            }
            TenantsCommand::List { format } => {
                let tenants = store.tenants().await?;
                match format {
                    Format::Json => {
                        let rows: Vec<_> = tenants
                            .iter()
                            .map(|t| {
                                json!({
                                    "id": t.id.as_str(),
                                    "name": t.name,
                                    "created_at": t.created_at.to_string(),
                                    "emergency_stop": t.emergency_stop.as_ref().map(|s| s.at.to_string()),
                                })
                            })
                            .collect();
                        println!("{}", serde_json::Value::Array(rows));
                    }
                    Format::Human => {
                        for t in &tenants {
                            let stop = if t.emergency_stop.is_some() {
                                "  EMERGENCY STOP"
                            } else {
                                ""
                            };
                            println!("{:<20} {}{stop}", t.id.as_str(), t.name);
                        }
                    }
                }
            }
        }
        Ok(EXIT_ALLOW)
    })
}

/// Register, inspect and revoke agents.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  airlock agents add deploy-bot --operator alice --role deployer --expires-in 30d
  airlock agents list
  airlock agents show deploy-bot --format json
  airlock agents revoke deploy-bot     # denies its next request, cancels its
                                       # pending approvals, revokes its receipts")]
pub struct AgentsArgs {
    #[command(flatten)]
    state: StateArgs,
    #[command(subcommand)]
    command: AgentsCommand,
}

#[derive(Debug, Subcommand)]
enum AgentsCommand {
    /// Register an agent and print its token (shown once).
    Add {
        id: String,
        /// The person the agent acts for; they can never approve its actions.
        #[arg(long)]
        operator: String,
        /// A role policy grants authority to (repeatable); none means `agent`.
        #[arg(long = "role", value_name = "ROLE")]
        roles: Vec<String>,
        #[arg(long)]
        name: Option<String>,
        /// Registration lifetime (e.g. 30d); none means until revoked.
        #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
        expires_in: Option<std::time::Duration>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// List the tenant's agents.
    List {
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Show one agent, with how it last named itself.
    Show {
        id: String,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Revoke an agent at once, with its pending approvals and receipts.
    Revoke {
        id: String,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
}

pub fn agents(args: AgentsArgs) -> Result<u8> {
    runtime()?.block_on(async move {
        let store = args.state.open_store().await?;
        let tenant = store.tenant(&args.state.tenant_id()?);
        match args.command {
            AgentsCommand::Add {
                id,
                operator,
                roles,
                name,
                expires_in,
                format,
            } => {
                let now = Timestamp::now();
                let expires_at = match expires_in {
                    Some(lifetime) => Some(
                        Timestamp::from_datetime(
                            now.as_datetime() + time::Duration::try_from(lifetime)?,
                        )
                        .context("expiry out of range")?,
                    ),
                    None => None,
                };
                let new = NewAgent {
                    name: name.unwrap_or_else(|| id.clone()),
                    id,
                    operator,
                    roles,
                    expires_at,
                };
                let (agent, token) = tenant
                    .create_agent(new, &actor(), now)
                    .await
                    .map_err(missing_tenant_hint)?;
                print_token(format, "agent", &agent.id, token.reveal());
            }
            AgentsCommand::List { format } => {
                let agents = tenant.agents().await.map_err(missing_tenant_hint)?;
                match format {
                    Format::Json => println!(
                        "{}",
                        serde_json::Value::Array(agents.iter().map(agent_json).collect())
                    ),
                    Format::Human => {
                        let now = Timestamp::now();
                        for agent in &agents {
                            println!(
                                "{:<24} {:<10} operator {:<12} roles {}",
                                agent.id,
                                agent_state(agent, now),
                                agent.operator,
                                roles_text(&agent.roles)
                            );
                        }
                    }
                }
            }
            AgentsCommand::Show { id, format } => {
                let agent = tenant.agent(&id).await?;
                match format {
                    Format::Json => println!("{}", agent_json(&agent)),
                    Format::Human => {
                        println!("agent      {}", agent.id);
                        println!("name       {}", agent.name);
                        println!("state      {}", agent_state(&agent, Timestamp::now()));
                        println!("operator   {}", agent.operator);
                        println!("roles      {}", roles_text(&agent.roles));
                        println!("created    {}", agent.created_at);
                        if let Some(expiry) = agent.expires_at {
                            println!("expires    {expiry}");
                        }
                        if let Some(revoked) = &agent.revoked {
                            println!("revoked    {} by {}", revoked.at, revoked.by);
                        }
                        if let Some((identity, at)) = &agent.last_seen {
                            println!(
                                "last seen  {at} as {} {} {}",
                                identity.name.as_deref().unwrap_or("-"),
                                identity.model.as_deref().unwrap_or("-"),
                                identity.version.as_deref().unwrap_or("-")
                            );
                        }
                    }
                }
            }
            AgentsCommand::Revoke { id, format } => {
                let withdrawn = tenant.revoke_agent(&id, &actor(), Timestamp::now()).await?;
                print_withdrawn(format, &format!("agent {id} revoked"), &withdrawn);
            }
        }
        Ok(EXIT_ALLOW)
    })
}

/// Register approvers (people) and revoke their access.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  airlock approvers add bob --role senior
  airlock approvers add carol --role sre --role admin
  airlock approvers list")]
pub struct ApproversArgs {
    #[command(flatten)]
    state: StateArgs,
    #[command(subcommand)]
    command: ApproversCommand,
}

#[derive(Debug, Subcommand)]
enum ApproversCommand {
    /// Register an approver and print their token (shown once). The id is
    /// the person's name as agents' `--operator` names them.
    Add {
        id: String,
        /// A role approval rules ask for (repeatable); `admin` may revoke agents.
        #[arg(long = "role", value_name = "ROLE")]
        roles: Vec<String>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// List the tenant's approvers.
    List {
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Revoke an approver's access.
    Revoke { id: String },
}

pub fn approvers(args: ApproversArgs) -> Result<u8> {
    runtime()?.block_on(async move {
        let store = args.state.open_store().await?;
        let tenant = store.tenant(&args.state.tenant_id()?);
        match args.command {
            ApproversCommand::Add {
                id,
                roles,
                name,
                format,
            } => {
                let new = NewApprover {
                    name: name.unwrap_or_else(|| id.clone()),
                    id,
                    roles,
                };
                let (approver, token) = tenant
                    .create_approver(new, &actor(), Timestamp::now())
                    .await
                    .map_err(missing_tenant_hint)?;
                print_token(format, "approver", &approver.id, token.reveal());
            }
            ApproversCommand::List { format } => {
                let approvers = tenant.approvers().await.map_err(missing_tenant_hint)?;
                match format {
                    Format::Json => println!(
                        "{}",
                        serde_json::Value::Array(approvers.iter().map(approver_json).collect())
                    ),
                    Format::Human => {
                        for approver in &approvers {
                            let state = if approver.revoked.is_some() {
                                "revoked"
                            } else {
                                "active"
                            };
                            println!(
                                "{:<24} {:<8} roles {}",
                                approver.id,
                                state,
                                roles_text(&approver.roles)
                            );
                        }
                    }
                }
            }
            ApproversCommand::Revoke { id } => {
                tenant
                    .revoke_approver(&id, &actor(), Timestamp::now())
                    .await?;
                println!("approver {id} revoked");
            }
        }
        Ok(EXIT_ALLOW)
    })
}

/// Stop every agent of the tenant at once, or lift the stop.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  airlock emergency-stop            # deny everything, cancel pending approvals, revoke receipts
  airlock emergency-stop --lift")]
pub struct EmergencyStopArgs {
    #[command(flatten)]
    state: StateArgs,
    /// Lift the stop instead (receipts revoked by it stay revoked).
    #[arg(long)]
    lift: bool,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

pub fn emergency_stop(args: EmergencyStopArgs) -> Result<u8> {
    runtime()?.block_on(async move {
        let store = args.state.open_store().await?;
        let tenant = store.tenant(&args.state.tenant_id()?);
        if args.lift {
            tenant
                .lift_emergency_stop(&actor(), Timestamp::now())
                .await?;
            println!("emergency stop lifted for tenant {}", args.state.tenant);
        } else {
            let withdrawn = tenant.emergency_stop(&actor(), Timestamp::now()).await?;
            print_withdrawn(
                args.format,
                &format!(
                    "tenant {} stopped: every action is denied",
                    args.state.tenant
                ),
                &withdrawn,
            );
        }
        Ok(EXIT_ALLOW)
    })
}

fn missing_tenant_hint(error: StoreError) -> anyhow::Error {
    match error {
        StoreError::NotFound { kind: "tenant", id } => anyhow::anyhow!(
            "tenant `{id}` does not exist; create it with `airlock tenants add {id}`"
        ),
        other => other.into(),
    }
}

fn print_token(format: Format, kind: &str, id: &str, token: &str) {
    match format {
        Format::Json => println!("{}", json!({ "kind": kind, "id": id, "token": token })),
        Format::Human => {
            println!("{kind} {id} registered");
            println!("token: {token}");
            println!("(shown once; airlock keeps only its SHA-256)");
        }
    }
}

fn print_withdrawn(format: Format, headline: &str, withdrawn: &Withdrawn) {
    match format {
        Format::Json => println!(
            "{}",
            json!({
                "cancelled_requests": withdrawn.cancelled_requests,
                "revoked_receipts": withdrawn.revoked_receipts,
            })
        ),
        Format::Human => {
            println!("{headline}");
            println!(
                "cancelled {} pending request(s), revoked {} receipt(s)",
                withdrawn.cancelled_requests.len(),
                withdrawn.revoked_receipts.len()
            );
        }
    }
}

fn agent_state(agent: &Agent, now: Timestamp) -> &'static str {
    if agent.revoked.is_some() {
        "revoked"
    } else if agent.is_active(now) {
        "active"
    } else {
        "expired"
    }
}

fn roles_text(roles: &[String]) -> String {
    if roles.is_empty() {
        "-".to_owned()
    } else {
        roles.join(",")
    }
}

fn agent_json(agent: &Agent) -> serde_json::Value {
    json!({
        "id": agent.id,
        "name": agent.name,
        "operator": agent.operator,
        "roles": agent.roles,
        "state": agent_state(agent, Timestamp::now()),
        "created_at": agent.created_at.to_string(),
        "expires_at": agent.expires_at.map(|t| t.to_string()),
        "revoked_at": agent.revoked.as_ref().map(|s| s.at.to_string()),
        "last_seen": agent.last_seen.as_ref().map(|(identity, at)| json!({"identity": identity, "at": at.to_string()})),
    })
}

fn approver_json(approver: &Approver) -> serde_json::Value {
    json!({
        "id": approver.id,
        "name": approver.name,
        "roles": approver.roles,
        "revoked_at": approver.revoked.as_ref().map(|s| s.at.to_string()),
    })
}
