//! A small blocking client of the gate's HTTP API, for the commands that
//! talk to `airlock serve` (`approvals`, `submit`, `verify --server`): bearer
//! token from an environment variable, JSON in and out, and problem details
//! turned into errors that keep the server's reason.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// Where the gate is and how to authenticate to it.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// Base URL of `airlock serve`.
    #[arg(long, env = "AIRLOCK_SERVER", value_name = "URL")]
    pub server: String,
    /// Environment variable holding the bearer token (never pass tokens as
    /// arguments: they would show in the process list and shell history).
    #[arg(long, default_value = "AIRLOCK_TOKEN", value_name = "VAR")]
    pub token_env: String,
}

/// A problem detail (RFC 9457) the server answered with.
#[derive(Debug, Clone, Deserialize)]
pub struct Problem {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub status: u16,
    #[serde(default)]
    pub detail: String,
}

impl Problem {
    pub fn slug(&self) -> &str {
        self.kind
            .strip_prefix("urn:airlock:problem:")
            .unwrap_or(&self.kind)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}, HTTP {})", self.detail, self.slug(), self.status)
    }
}

/// The server said no: the request was understood and refused.
#[derive(Debug)]
pub struct Refused(pub Problem);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the server refused: {}", self.0)
    }
}

impl std::error::Error for Refused {}

pub struct Client {
    base: String,
    token: String,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(args: &ServerArgs) -> Result<Client> {
        let token = std::env::var(&args.token_env).with_context(|| {
            format!(
                "set ${} to your airlock token (from `airlock agents add` or `airlock approvers add`)",
                args.token_env
            )
        })?;
        Ok(Client::with_token(&args.server, token))
    }

    pub fn with_token(server: &str, token: String) -> Client {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Client {
            base: server.trim_end_matches('/').to_owned(),
            token,
            agent,
        }
    }

    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let url = format!("{}{path}", self.base);
        let response = self
            .agent
            .get(&url)
            .header("Authorization", &format!("Bearer {}", self.token))
            .call()
            .with_context(|| format!("cannot reach {url}"))?;
        read(response, &url)
    }

    pub fn post<T: DeserializeOwned>(&self, path: &str, body: &serde_json::Value) -> Result<T> {
        let url = format!("{}{path}", self.base);
        let response = self
            .agent
            .post(&url)
            .header("Authorization", &format!("Bearer {}", self.token))
            .send_json(body)
            .with_context(|| format!("cannot reach {url}"))?;
        read(response, &url)
    }
}

fn read<T: DeserializeOwned>(
    mut response: ureq::http::Response<ureq::Body>,
    url: &str,
) -> Result<T> {
    let status = response.status();
    let text = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_string()
        .with_context(|| format!("cannot read the answer of {url}"))?;
    if status.is_success() {
        return serde_json::from_str(&text)
            .with_context(|| format!("{url} answered with JSON of an unexpected shape"));
    }
    match serde_json::from_str::<Problem>(&text) {
        Ok(problem) if !problem.kind.is_empty() => Err(Refused(problem).into()),
        _ => bail!("{url} answered HTTP {status}: {}", text.trim()),
    }
}
