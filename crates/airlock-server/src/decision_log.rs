//! Group commit of plain decisions (allow and deny) to the audit log.
//!
//! A decision is answered only once its audit entry is committed. Committing
//! each one in its own transaction costs one fsync per decision, which caps
//! the gate at a few hundred decisions per second on an ordinary disk. So
//! each tenant has one appender task: handlers queue their entry and wait;
//! the task takes everything queued (up to [`DecisionLog::max_batch`]),
//! appends it in one transaction (`TenantStore::append_audit_batch`) and only
//! then releases every waiting handler with its own entry. Durability per
//! answer is unchanged: no handler answers before its entry is on disk, and
//! a batch that fails answers every one of its handlers with the failure.
//!
//! Each entry carries the agent its decision was made for, as read with the
//! request's token. The batch's transaction reads each token again under the
//! tenant's write lock (`TenantStore::append_decisions`), so a decision is
//! recorded, and answered, only if its agent still held that authority when
//! it was committed; otherwise the handler is told to decide again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use airlock_audit::{Appended, Timestamp};
use airlock_store::{AuditEvent, DecidedFor, TenantId, TenantStore};
use tokio::sync::{mpsc, oneshot};

use crate::problem::Problem;

/// Most entries one transaction takes, by default.
pub const DEFAULT_MAX_BATCH: usize = 256;

/// Entries that may wait per tenant before handlers wait to queue theirs.
const QUEUE_CAPACITY: usize = 4096;

/// One handler's entry and where its outcome goes.
struct Queued {
    event: AuditEvent,
    decided_for: Arc<DecidedFor>,
    reply: oneshot::Sender<Result<Option<Appended>, Problem>>,
}

/// The per-tenant appender tasks, started on first use.
pub struct DecisionLog {
    max_batch: usize,
    queues: Mutex<HashMap<TenantId, mpsc::Sender<Queued>>>,
    appenders: Mutex<Option<Appenders>>,
}

/// The thread the appender tasks run on. On the server's worker threads
/// each of a batch's statements would wait in line behind the requests being
/// handled, and every waiting request waits for the batch. The thread ends
/// once the log and every appender are gone; each appender first finishes
/// the batch in flight.
struct Appenders {
    runtime: tokio::runtime::Handle,
    /// Held by the log and by each appender; nothing is ever sent.
    alive: mpsc::Sender<()>,
}

impl Appenders {
    fn start() -> Result<Appenders, Problem> {
        let cannot = |error: std::io::Error| {
            Problem::internal(format!("cannot start the audit appender: {error}"))
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(cannot)?;
        let handle = runtime.handle().clone();
        let (alive, mut all_gone) = mpsc::channel::<()>(1);
        std::thread::Builder::new()
            .name("audit-appender".to_owned())
            .spawn(move || {
                runtime.block_on(async move { while all_gone.recv().await.is_some() {} })
            })
            .map_err(cannot)?;
        Ok(Appenders {
            runtime: handle,
            alive,
        })
    }
}

impl DecisionLog {
    /// Batches of at most `max_batch` entries (at least one).
    pub fn new(max_batch: usize) -> DecisionLog {
        DecisionLog {
            max_batch: max_batch.max(1),
            queues: Mutex::new(HashMap::new()),
            appenders: Mutex::new(None),
        }
    }

    /// Most entries one transaction takes.
    pub fn max_batch(&self) -> usize {
        self.max_batch
    }

    /// Appends `event`, a decision made for `decided_for`, to `tenant`'s
    /// log, committed together with whatever other decisions are waiting,
    /// and returns once it is durable: `None` if the agent no longer held
    /// that authority when the batch committed (nothing was appended).
    pub async fn append(
        &self,
        tenant: &Arc<dyn TenantStore>,
        event: AuditEvent,
        decided_for: Arc<DecidedFor>,
    ) -> Result<Option<Appended>, Problem> {
        let (reply, outcome) = oneshot::channel();
        let mut queued = Queued {
            event,
            decided_for,
            reply,
        };
        // A queue whose task is gone (it can only end by panicking) is
        // replaced once; the entry was not appended by it.
        for _ in 0..2 {
            let queue = self.queue_of(tenant)?;
            match queue.send(queued).await {
                Ok(()) => {
                    return outcome.await.unwrap_or_else(|_| {
                        Err(Problem::internal(
                            "the audit appender stopped before answering; the decision may not be recorded",
                        ))
                    });
                }
                Err(mpsc::error::SendError(returned)) => {
                    queued = returned;
                    self.forget(tenant.tenant_id(), &queue)?;
                }
            }
        }
        Err(Problem::internal("the audit appender cannot be started"))
    }

    /// The queue of `tenant`'s appender, starting the task if needed.
    fn queue_of(&self, tenant: &Arc<dyn TenantStore>) -> Result<mpsc::Sender<Queued>, Problem> {
        let mut queues = self.queues.lock().map_err(|_| poisoned())?;
        if let Some(queue) = queues.get(tenant.tenant_id()) {
            return Ok(queue.clone());
        }
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let mut appenders = self.appenders.lock().map_err(|_| poisoned())?;
        let appenders = match &mut *appenders {
            Some(running) => running,
            none => none.insert(Appenders::start()?),
        };
        let alive = appenders.alive.clone();
        let appender = run_appender(Arc::clone(tenant), receiver, self.max_batch);
        appenders.runtime.spawn(async move {
            appender.await;
            drop(alive);
        });
        queues.insert(tenant.tenant_id().clone(), sender.clone());
        Ok(sender)
    }

    /// Drops `queue` for `tenant` unless another handler already replaced it.
    fn forget(&self, tenant: &TenantId, queue: &mpsc::Sender<Queued>) -> Result<(), Problem> {
        let mut queues = self.queues.lock().map_err(|_| poisoned())?;
        if queues
            .get(tenant)
            .is_some_and(|current| current.same_channel(queue))
        {
            queues.remove(tenant);
        }
        Ok(())
    }
}

impl Default for DecisionLog {
    fn default() -> Self {
        DecisionLog::new(DEFAULT_MAX_BATCH)
    }
}

fn poisoned() -> Problem {
    Problem::internal("the audit appender registry is unusable after a panic")
}

/// One tenant's appender: waits for entries, commits whatever is queued as
/// one batch, answers each handler, repeats until every sender is gone.
async fn run_appender(
    store: Arc<dyn TenantStore>,
    mut queue: mpsc::Receiver<Queued>,
    max_batch: usize,
) {
    let mut taken = Vec::with_capacity(max_batch);
    while queue.recv_many(&mut taken, max_batch).await > 0 {
        let (decisions, replies): (Vec<_>, Vec<_>) = taken
            .drain(..)
            .map(|queued| ((queued.event, queued.decided_for), queued.reply))
            .unzip();
        match store.append_decisions(decisions, Timestamp::now()).await {
            Ok(appended) if appended.len() == replies.len() => {
                for (reply, one) in replies.into_iter().zip(appended) {
                    // A handler whose client went away no longer listens;
                    // its entry is committed all the same.
                    let _ = reply.send(Ok(one));
                }
            }
            Ok(appended) => {
                let problem = Problem::internal(format!(
                    "the store appended {} entries for a batch of {}",
                    appended.len(),
                    replies.len()
                ));
                for reply in replies {
                    let _ = reply.send(Err(problem.clone()));
                }
            }
            Err(error) => {
                let problem = Problem::from(error);
                for reply in replies {
                    let _ = reply.send(Err(problem.clone()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use airlock_audit::{EntryKind, Timestamp};
    use airlock_store::{NewAgent, SqlStore, Store};
    use serde_json::json;

    use super::*;

    fn decision(n: usize) -> AuditEvent {
        AuditEvent::new(
            Timestamp::now(),
            EntryKind::Decision,
            "bot",
            format!("action-{n}"),
            json!({ "n": n }),
        )
    }

    /// A store with tenant `acme` and its agent `bot`, as read with its token.
    async fn acme() -> (tempfile::TempDir, Arc<dyn TenantStore>, Arc<DecidedFor>) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("airlock.db").display());
        let store = SqlStore::open(&url).await.unwrap();
        let tenant_id = TenantId::new("acme").unwrap();
        store
            .create_tenant(&tenant_id, "Acme", "admin", Timestamp::now())
            .await
            .unwrap();
        let tenant = store.tenant(&tenant_id);
        let (agent, token) = tenant
            .create_agent(
                NewAgent {
                    id: "bot".into(),
                    name: "bot".into(),
                    operator: "olivia".into(),
                    roles: Vec::new(),
                    expires_at: None,
                },
                "admin",
                Timestamp::now(),
            )
            .await
            .unwrap();
        let token = token.hash();
        (dir, tenant, Arc::new(DecidedFor { token, agent }))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_decisions_each_get_their_own_committed_entry() {
        let (_dir, tenant, bot) = acme().await;
        let start = tenant.audit_head().await.unwrap().size;
        let log = Arc::new(DecisionLog::new(16));
        let mut tasks = Vec::new();
        for n in 0..200 {
            let (log, tenant, bot) = (Arc::clone(&log), Arc::clone(&tenant), Arc::clone(&bot));
            tasks.push(tokio::spawn(async move {
                (n, log.append(&tenant, decision(n), bot).await.unwrap())
            }));
        }
        let mut indices = BTreeSet::new();
        for task in tasks {
            let (n, appended) = task.await.unwrap();
            let appended = appended.expect("the agent holds its authority");
            assert_eq!(appended.stored.entry.subject, format!("action-{n}"));
            // Answered only once committed: the row is there to read.
            let index = appended.stored.entry.index;
            let rows = tenant.audit_rows(index..index + 1).await.unwrap();
            assert_eq!(rows[0].entry.subject, format!("action-{n}"));
            assert!(indices.insert(index));
        }
        assert_eq!(indices, (start..start + 200).collect::<BTreeSet<u64>>());
        assert_eq!(tenant.audit_head().await.unwrap().size, start + 200);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_revoked_agents_decisions_are_not_recorded() {
        let (_dir, tenant, bot) = acme().await;
        let log = DecisionLog::new(8);
        tenant
            .revoke_agent("bot", "admin", Timestamp::now())
            .await
            .unwrap();
        let size = tenant.audit_head().await.unwrap().size;
        let outcome = log.append(&tenant, decision(1), bot).await.unwrap();
        assert!(outcome.is_none());
        assert_eq!(tenant.audit_head().await.unwrap().size, size);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_batch_answers_every_waiter_with_the_failure() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("airlock.db").display());
        let store = SqlStore::open(&url).await.unwrap();
        let missing = store.tenant(&TenantId::new("nobody").unwrap());
        let (_other, _, bot) = acme().await;
        let log = Arc::new(DecisionLog::new(8));
        let mut tasks = Vec::new();
        for n in 0..20 {
            let (log, tenant, bot) = (Arc::clone(&log), Arc::clone(&missing), Arc::clone(&bot));
            tasks.push(tokio::spawn(async move {
                log.append(&tenant, decision(n), bot).await
            }));
        }
        for task in tasks {
            let problem = task.await.unwrap().unwrap_err();
            assert_eq!(problem.status, 404, "{problem:?}");
        }
        assert_eq!(log.max_batch(), 8);
    }
}
