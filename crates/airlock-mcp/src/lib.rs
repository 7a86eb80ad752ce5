//! airlock's MCP gateway: a proxy between an MCP client and an MCP server
//! that judges every `tools/call` before the server sees it, leaves tools
//! policy never allows out of `tools/list`, and pins tool descriptions so a
//! server that changes them afterwards is caught.
//!
//! * [`proxy`]: the message-level proxy for one session ([`Gateway`]).
//! * [`judge`]: the [`Judge`] trait both modes implement; [`local`] (the
//!   embedded engine) and [`remote`] (`airlock serve`).
//! * [`pins`]: the pin file and rug-pull detection.
//! * [`http`]: streamable HTTP mode, listening on a port.
//! * [`transports`]: the client and server sides over stdio, a child
//!   process and streamable HTTP, built on `rmcp`'s transports.

pub mod http;
pub mod judge;
pub mod local;
pub mod pins;
pub mod proxy;
pub mod remote;
pub mod testing;
pub mod transports;

pub use judge::{ApprovalStatus, Judge, JudgeError, Judgement, PendingApproval, ToolCall};
pub use local::LocalJudge;
pub use pins::{PinCheck, PinError, PinStore, ToolShape, PIN_FILE_NAME};
pub use proxy::{EscalationMode, Gateway, GatewayOptions, ProxyError, SessionEnd};
pub use remote::{AgentDescription, RemoteJudge};

/// Installs the TLS crypto provider (ring) for HTTPS upstreams and the
/// remote judge, once per process.
pub fn ensure_tls_provider() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
