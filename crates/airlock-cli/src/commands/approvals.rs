//! `airlock approvals list|show|approve|reject|receipt`: the approver's side
//! of the gate from a terminal, over the HTTP API with the approver's token.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::client::{Client, ServerArgs};
use super::EXIT_ALLOW;
use crate::Format;

/// Review and decide escalated actions.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  export AIRLOCK_SERVER=http://127.0.0.1:8787 AIRLOCK_TOKEN=alk_...
  airlock approvals list
  airlock approvals show req_3f2a...            # findings, evidence, plan changes
  airlock approvals approve req_3f2a... --comment 'checked with the DB team'
  airlock approvals reject req_3f2a... --comment 'not during the freeze'
  airlock approvals receipt req_3f2a... -o receipt.json")]
pub struct ApprovalsArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(subcommand)]
    command: ApprovalsCommand,
}

#[derive(Debug, Subcommand)]
enum ApprovalsCommand {
    /// List requests (pending ones by default).
    List {
        /// pending, approved, rejected, expired, cancelled or all.
        #[arg(long, default_value = "pending")]
        status: String,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Show one request with its full explanation.
    Show {
        id: String,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Approve a request.
    Approve {
        id: String,
        #[arg(long)]
        comment: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Reject a request (one rejection ends it).
    Reject {
        id: String,
        #[arg(long)]
        comment: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Fetch the signed receipt of an approved request.
    Receipt {
        id: String,
        /// Write it to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

pub fn run(args: ApprovalsArgs) -> Result<u8> {
    let client = Client::new(&args.server)?;
    match args.command {
        ApprovalsCommand::List { status, format } => {
            let path = match status.as_str() {
                "all" => "/v1/approvals".to_owned(),
                other => format!("/v1/approvals?status={other}"),
            };
            let requests: Vec<Value> = client.get(&path)?;
            match format {
                Format::Json => println!("{}", Value::Array(requests)),
                Format::Human => {
                    if requests.is_empty() {
                        println!("no {status} requests");
                    }
                    for request in &requests {
                        println!("{}", summary_line(request));
                    }
                }
            }
        }
        ApprovalsCommand::Show { id, format } => {
            let detail: Value = client.get(&format!("/v1/approvals/{id}"))?;
            match format {
                Format::Json => println!("{detail}"),
                Format::Human => print!("{}", describe(&detail)),
            }
        }
        ApprovalsCommand::Approve {
            id,
            comment,
            format,
        } => vote(&client, &id, "approve", comment, format)?,
        ApprovalsCommand::Reject {
            id,
            comment,
            format,
        } => vote(&client, &id, "reject", comment, format)?,
        ApprovalsCommand::Receipt { id, output } => {
            let envelope: Value = client.get(&format!("/v1/approvals/{id}/receipt"))?;
            let text = serde_json::to_string_pretty(&envelope)?;
            match output {
                Some(path) => {
                    std::fs::write(&path, format!("{text}\n"))
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    eprintln!("receipt written to {}", path.display());
                }
                None => println!("{text}"),
            }
        }
    }
    Ok(EXIT_ALLOW)
}

fn vote(
    client: &Client,
    id: &str,
    verdict: &str,
    comment: Option<String>,
    format: Format,
) -> Result<()> {
    let answer: Value = client.post(
        &format!("/v1/approvals/{id}/{verdict}"),
        &json!({ "comment": comment }),
    )?;
    match format {
        Format::Json => println!("{answer}"),
        Format::Human => println!("{}", vote_outcome(&answer)),
    }
    Ok(())
}

/// One line per request: id, status, environment, agent, reason.
pub fn summary_line(request: &Value) -> String {
    let text = |key: &str| request[key].as_str().unwrap_or("-").to_owned();
    let mut line = format!(
        "{}  {:<9} {:<11} agent {:<16} {}",
        text("id"),
        text("status"),
        text("environment"),
        text("agent"),
        text("reason")
    );
    if let Some(missing) = request["missing"].as_str() {
        line.push_str(&format!("  [{missing}]"));
    }
    line
}

/// What a vote did, in a sentence.
pub fn vote_outcome(answer: &Value) -> String {
    let approval = &answer["approval"];
    let id = approval["id"].as_str().unwrap_or("-");
    match approval["status"].as_str().unwrap_or("-") {
        "pending" => format!(
            "{id}: vote recorded; still {}",
            approval["missing"]
                .as_str()
                .unwrap_or("needs more approvals")
        ),
        "approved" => format!(
            "{id}: approved; receipt {} signed",
            answer["receipt_id"].as_str().unwrap_or("-")
        ),
        other => format!("{id}: {other}"),
    }
}

/// A request as an approver reads it: what, where, why, and the changes.
pub fn describe(detail: &Value) -> String {
    let text = |value: &Value| value.as_str().unwrap_or("-").to_owned();
    let mut out = String::new();
    out.push_str(&format!("request     {}\n", text(&detail["id"])));
    out.push_str(&format!("status      {}\n", text(&detail["status"])));
    out.push_str(&format!(
        "agent       {} (acting for {})\n",
        text(&detail["agent"]),
        text(&detail["operator"])
    ));
    out.push_str(&format!("environment {}\n", text(&detail["environment"])));
    out.push_str(&format!("action      {}\n", action_line(&detail["action"])));
    out.push_str(&format!("digest      {}\n", text(&detail["action_digest"])));
    if let Some(plan) = detail["plan_digest"].as_str() {
        out.push_str(&format!("plan        {plan}\n"));
    }
    out.push_str(&format!("why         {}\n", text(&detail["reason"])));
    if let Some(missing) = detail["missing"].as_str() {
        out.push_str(&format!("missing     {missing}\n"));
    }
    out.push_str(&format!("expires     {}\n", text(&detail["expires_at"])));
    if let Some(findings) = detail["decision"]["findings"].as_array() {
        out.push_str("findings\n");
        for finding in findings {
            out.push_str(&format!(
                "  - {} {} [{}] {}: {}\n",
                text(&finding["verdict"]),
                text(&finding["kind"]),
                text(&finding["rule"]),
                text(&finding["target"]["name"]),
                text(&finding["reason"])
            ));
        }
    }
    if let Some(changes) = detail["plan"]["changes"].as_array() {
        out.push_str("plan changes\n");
        for change in changes {
            if change["action"]["kind"] == "no_op" {
                continue;
            }
            out.push_str(&format!(
                "  - {} {} ({})\n",
                change["description"].as_str().unwrap_or("-"),
                change["address"].as_str().unwrap_or("-"),
                change["environment"].as_str().unwrap_or("unknown")
            ));
        }
    }
    if let Some(votes) = detail["votes"].as_array() {
        for vote in votes {
            out.push_str(&format!(
                "vote        {} by {} ({}){}\n",
                text(&vote["verdict"]),
                text(&vote["approver"]),
                vote["roles"]
                    .as_array()
                    .map(|roles| roles
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(","))
                    .unwrap_or_default(),
                vote["comment"]
                    .as_str()
                    .map(|c| format!(": {c}"))
                    .unwrap_or_default()
            ));
        }
    }
    out
}

fn action_line(action: &Value) -> String {
    let input = &action["input"];
    match action["tool"].as_str() {
        Some("shell") => format!("shell: {}", input["command"].as_str().unwrap_or("-")),
        Some("terraform_plan") => format!(
            "terraform apply of {}",
            input["path"].as_str().unwrap_or("a plan")
        ),
        Some("file_write") => format!("write {}", input["path"].as_str().unwrap_or("-")),
        Some("mcp_call") => format!(
            "MCP {}/{}",
            input["server"].as_str().unwrap_or("-"),
            input["tool"].as_str().unwrap_or("-")
        ),
        _ => "-".to_owned(),
    }
}
