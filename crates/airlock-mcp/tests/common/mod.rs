//! What the gateway's integration tests share: finding node and the
//! reference filesystem server (installed with `npm ci` under
//! `tests/mcp/`), a project directory with its own `airlock.toml` and
//! policies, and MCP clients connected through the proxy or directly.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use airlock_engine::{Engine, LoadedConfig};
use airlock_mcp::transports::{client_over, server_process};
use airlock_mcp::{EscalationMode, Gateway, GatewayOptions, Judge, LocalJudge, PinStore};
use airlock_mcp::{ProxyError, SessionEnd};
use rmcp::service::{RoleClient, RunningService};
use rmcp::{ClientHandler, ServiceExt};
use tokio::task::JoinHandle;

pub use airlock_mcp::testing::filesystem_server_script;

/// A script of this crate's test servers (`tests/mcp/*.mjs`).
pub fn test_server(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/mcp")
        .join(name)
}

/// A project: `airlock.toml`, optional policies, and the directory the
/// filesystem server may touch (`files/`).
pub struct Project {
    pub dir: tempfile::TempDir,
}

/// Every call of `write_file` names the path it writes in `path`.
pub const WRITE_FILE_RULE: &str =
    "[[mcp.tools]]\ntool = \"write_file\"\narguments = { path = \"written_path\" }\n";

/// A project policy that never lets an agent use a tool its server calls
/// destructive.
pub const DENY_DESTRUCTIVE_POLICY: &str = r#"@id("deny-destructive-mcp-tools")
@reason("This project never lets an agent run an MCP tool its server declares destructive.")
forbid (principal, action == Airlock::Action::"mcp.call", resource)
when { context.effect.kind == "delete" };
"#;

impl Project {
    pub fn new(config: &str, policy: Option<&str>) -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("airlock.toml"), config).expect("config");
        if let Some(policy) = policy {
            std::fs::create_dir(dir.path().join("policies")).expect("policies dir");
            std::fs::write(dir.path().join("policies/project.cedar"), policy).expect("policy");
        }
        std::fs::create_dir(dir.path().join("files")).expect("files dir");
        std::fs::write(
            dir.path().join("files/notes.txt"),
            "first line\nsecond line\n",
        )
        .expect("notes");
        Project { dir }
    }

    pub fn files(&self) -> PathBuf {
        // The server resolves symlinks; so do we, so paths compare.
        std::fs::canonicalize(self.dir.path().join("files")).expect("files")
    }

    pub fn pins_path(&self) -> PathBuf {
        self.dir.path().join(".airlock/mcp-pins.json")
    }

    pub fn engine(&self) -> Arc<Engine> {
        let loaded = LoadedConfig::read(&self.dir.path().join("airlock.toml")).expect("config");
        Arc::new(Engine::new(loaded).expect("engine"))
    }

    pub fn local_gateway(&self, escalation: EscalationMode) -> Arc<Gateway> {
        let judge: Arc<dyn Judge> = Arc::new(LocalJudge::new(self.engine(), None));
        self.gateway(judge, escalation)
    }

    pub fn gateway(&self, judge: Arc<dyn Judge>, escalation: EscalationMode) -> Arc<Gateway> {
        Gateway::new(
            judge,
            Some(PinStore::open(self.pins_path()).expect("pins")),
            GatewayOptions {
                server_name: "filesystem".to_string(),
                escalation,
            },
        )
    }

    pub fn filesystem_command(&self, script: &Path) -> Vec<String> {
        vec![
            "node".to_string(),
            script.display().to_string(),
            self.files().display().to_string(),
        ]
    }
}

pub type Session = JoinHandle<Result<SessionEnd, ProxyError>>;

/// Starts the proxy between an in-memory client connection and `command`;
/// returns the client's ends and the proxy task.
pub fn start_proxy(
    gateway: Arc<Gateway>,
    command: &[String],
    max_message_bytes: usize,
) -> (tokio::io::DuplexStream, Session) {
    let (client_end, proxy_end) = tokio::io::duplex(1 << 20);
    let (read, write) = tokio::io::split(proxy_end);
    let server = server_process(command).expect("start the MCP server");
    let session = tokio::spawn(async move {
        gateway
            .run(client_over(read, write, max_message_bytes), server)
            .await
    });
    (client_end, session)
}

/// An rmcp client connected through the proxy.
pub async fn client_through_proxy<H: ClientHandler>(
    handler: H,
    gateway: Arc<Gateway>,
    command: &[String],
) -> (RunningService<RoleClient, H>, Session) {
    let (client_end, session) = start_proxy(gateway, command, 4 << 20);
    let (read, write) = tokio::io::split(client_end);
    let client = handler.serve((read, write)).await.expect("client connects");
    (client, session)
}

/// An rmcp client connected to the server directly.
pub async fn client_directly(command: &[String]) -> RunningService<RoleClient, ()> {
    let server = server_process(command).expect("start the MCP server");
    ().serve(server).await.expect("client connects")
}

/// The text of a tool result's first content block.
pub fn text_of(result: &rmcp::model::CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}
