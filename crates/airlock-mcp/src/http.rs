//! Streamable HTTP mode: the gateway listens on a port with rmcp's
//! `StreamableHttpService` and gives each MCP session its own connection
//! to the upstream server (a streamable HTTP URL, or a child process
//! started for the session).
//!
//! rmcp's HTTP service keeps each session's messages in a session worker
//! whose transport it normally hands to a request handler. [`Sessions`]
//! wraps rmcp's `LocalSessionManager` and hands that transport to the
//! proxy instead, so HTTP sessions go through the same message-level proxy
//! as stdio ones; the handler rmcp is given never sees a message.

use std::net::SocketAddr;
use std::sync::Arc;

use futures::Stream;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::service::{RoleClient, RoleServer};
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError,
};
use rmcp::transport::streamable_http_server::session::{ServerSseMessage, SessionId};
use rmcp::transport::streamable_http_server::SessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService, Transport};
use rmcp::ServerHandler;
use tokio_util::sync::CancellationToken;

use crate::proxy::Gateway;
use crate::transports::{server_over_http, server_process};

/// Where each session's upstream server is.
#[derive(Debug, Clone)]
pub enum Upstream {
    /// A server started per session: program and arguments.
    Command(Vec<String>),
    /// A streamable HTTP endpoint.
    Url(String),
}

/// Why the listener stopped.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the HTTP listener failed: {0}")]
    Serve(std::io::Error),
}

/// How the listener accepts clients.
#[derive(Debug, Clone)]
pub struct ListenOptions {
    /// The URL path of the MCP endpoint, e.g. `/mcp`.
    pub path: String,
    /// Host names accepted in the `Host` header (DNS-rebinding protection);
    /// empty keeps rmcp's default, the localhost names.
    pub allowed_hosts: Vec<String>,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
}

/// Binds `addr`; the listener is returned so callers learn the port.
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, HttpError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| HttpError::Bind { addr, source })
}

/// Serves MCP clients on `listener` until `shutdown` is cancelled.
pub async fn serve(
    gateway: Arc<Gateway>,
    upstream: Upstream,
    listener: tokio::net::TcpListener,
    options: ListenOptions,
    shutdown: CancellationToken,
) -> Result<(), HttpError> {
    let mut config = StreamableHttpServerConfig::default();
    config.cancellation_token = shutdown.child_token();
    config.max_request_body_bytes = options.max_body_bytes;
    if !options.allowed_hosts.is_empty() {
        config.allowed_hosts = options.allowed_hosts.clone();
    }
    let sessions = Sessions {
        inner: LocalSessionManager::default(),
        gateway,
        upstream,
    };
    let service = StreamableHttpService::new(|| Ok(Unused), Arc::new(sessions), config);
    let router = axum::Router::new().nest_service(&options.path, service);
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
        .map_err(HttpError::Serve)
}

/// The handler rmcp's HTTP service requires; its sessions' messages go to
/// the proxy, so it is never asked anything.
struct Unused;

impl ServerHandler for Unused {}

/// rmcp's session manager, with each new session's transport given to the
/// proxy.
struct Sessions {
    inner: LocalSessionManager,
    gateway: Arc<Gateway>,
    upstream: Upstream,
}

/// What rmcp's session task is given in place of the session's transport:
/// nothing arrives on it, and it closes when the proxy's session ends.
pub struct ProxiedSession {
    ended: CancellationToken,
}

/// The proxied session's transport cannot be written to.
#[derive(Debug, thiserror::Error)]
#[error("the session's messages go through the gateway")]
pub struct NotWritable;

impl Transport<RoleServer> for ProxiedSession {
    type Error = NotWritable;

    fn send(
        &mut self,
        _item: ServerJsonRpcMessage,
    ) -> impl std::future::Future<Output = Result<(), Self::Error>> + Send + 'static {
        std::future::ready(Err(NotWritable))
    }

    fn receive(
        &mut self,
    ) -> impl std::future::Future<Output = Option<ClientJsonRpcMessage>> + Send {
        let ended = self.ended.clone();
        async move {
            ended.cancelled().await;
            None
        }
    }

    fn close(&mut self) -> impl std::future::Future<Output = Result<(), Self::Error>> + Send {
        std::future::ready(Ok(()))
    }
}

async fn run_session<D, U>(gateway: Arc<Gateway>, client: D, server: U, ended: CancellationToken)
where
    D: Transport<RoleServer>,
    U: Transport<RoleClient>,
{
    if let Err(e) = gateway.run(client, server).await {
        tracing::error!("{e}");
    }
    ended.cancel();
}

impl SessionManager for Sessions {
    type Error = LocalSessionManagerError;
    type Transport = ProxiedSession;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        let (id, client) = self.inner.create_session().await?;
        let ended = CancellationToken::new();
        let gateway = self.gateway.clone();
        match &self.upstream {
            Upstream::Command(command) => match server_process(command) {
                Ok(server) => {
                    tokio::spawn(run_session(gateway, client, server, ended.clone()));
                }
                Err(e) => {
                    tracing::error!("{e}");
                    ended.cancel();
                }
            },
            Upstream::Url(url) => {
                let server = server_over_http(url);
                tokio::spawn(run_session(gateway, client, server, ended.clone()));
            }
        }
        Ok((id, ProxiedSession { ended }))
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        self.inner.initialize_session(id, message).await
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        self.inner.has_session(id).await
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        self.inner.close_session(id).await
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.inner.create_stream(id, message).await
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        self.inner.accept_message(id, message).await
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.inner.create_standalone_stream(id).await
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.inner.resume(id, last_event_id).await
    }
}
