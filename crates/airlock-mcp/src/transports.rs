//! The two sides of a session, from `rmcp`'s transports: the client's side
//! over this process's stdin and stdout (with a limit on message size), the
//! server's side as a child process or a streamable HTTP endpoint.

use rmcp::service::{RoleClient, RoleServer};
use rmcp::transport::async_rw::AsyncRwTransport;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess, Transport};

/// The largest message accepted from the client by default (bytes of one
/// JSON-RPC line). Longer lines are dropped and reported, never forwarded.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// Why a side could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("no MCP server command given")]
    NoCommand,
    #[error("cannot start the MCP server `{command}`: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
}

/// The client's side over this process's stdin and stdout (non-blocking
/// when they are pipes, as MCP clients start servers). Must be called
/// inside a Tokio runtime.
pub fn client_over_stdio(max_message_bytes: usize) -> impl Transport<RoleServer> {
    let (stdin, stdout) = rmcp::transport::stdio_pipes();
    AsyncRwTransport::new_server(stdin, stdout).with_max_line_length(max_message_bytes)
}

/// The client's side over any pair of byte streams (tests, pipes).
pub fn client_over<R, W>(read: R, write: W, max_message_bytes: usize) -> impl Transport<RoleServer>
where
    R: tokio::io::AsyncRead + Send + Unpin + 'static,
    W: tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    AsyncRwTransport::new_server(read, write).with_max_line_length(max_message_bytes)
}

/// Starts the server `command` (program and arguments) as a child process
/// speaking MCP on its stdin and stdout; its stderr is this process's.
pub fn server_process(command: &[String]) -> Result<TokioChildProcess, TransportError> {
    let (program, args) = command.split_first().ok_or(TransportError::NoCommand)?;
    let mut process = tokio::process::Command::new(program);
    process.args(args);
    TokioChildProcess::new(process).map_err(|source| TransportError::Spawn {
        command: command.join(" "),
        source,
    })
}

/// The server's side at a streamable HTTP endpoint.
pub fn server_over_http(url: &str) -> impl Transport<RoleClient> {
    crate::ensure_tls_provider();
    StreamableHttpClientTransport::from_uri(url.to_string())
}
