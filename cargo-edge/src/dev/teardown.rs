//! What an [`Instance`](super::instance::Instance) started and must end: the front proxy,
//! workerd and the binding server. `Processes::stop` waits for all three; dropping
//! `Processes` (a test that returned early or panicked, never reaching `stop`) ends them too.
//!
//! Drop never panics and never blocks a runtime that has to do the work itself:
//! - on a multi-thread runtime, outside a panic, the stop runs as a task of the runtime that
//!   started the instance and the drop waits for it (up to `GRACE`), so when it returns
//!   workerd is reaped and the front door's and the binding server's ports are closed;
//! - otherwise (a current-thread runtime, a panic unwinding) the drop only lets go: workerd's
//!   owner task sees its stop channel close and ends it, the binding server's tasks see their
//!   shutdown channel close and release their ports, the proxy's accept task is aborted; a
//!   runtime being torn down drops those tasks instead, which kills workerd (`kill_on_drop`)
//!   and closes the sockets.

use std::time::Duration;

use tokio::runtime::{Handle, RuntimeFlavor};

use super::proxy::ProxyHandle;
use super::server::RunningServer;
use super::supervisor::Running;

/// How long a drop waits for workerd to exit and the binding server to close.
const GRACE: Duration = Duration::from_secs(5);

/// The front proxy, workerd and the binding server, stopped together.
pub(super) struct Processes(Option<Owned>);

struct Owned {
    proxy: ProxyHandle,
    running: Running,
    server: RunningServer,
    /// The runtime whose tasks own workerd and serve the bindings.
    runtime: Handle,
}

impl Processes {
    /// Must be called inside the runtime that started `running` and `server`.
    pub(super) fn new(proxy: ProxyHandle, running: Running, server: RunningServer) -> Processes {
        Processes(Some(Owned {
            proxy,
            running,
            server,
            runtime: Handle::current(),
        }))
    }

    fn owned(&self) -> &Owned {
        // Taken only by `stop(self)` and `drop`, after which no method can run.
        self.0.as_ref().expect("the processes run until stopped")
    }

    pub(super) fn server(&self) -> &RunningServer {
        &self.owned().server
    }

    pub(super) fn workerd(&self) -> &Running {
        &self.owned().running
    }

    /// Close the front door, stop workerd, then the binding server (every acknowledged write
    /// is on disk).
    pub(super) async fn stop(mut self) {
        if let Some(owned) = self.0.take() {
            owned.stop().await;
        }
    }
}

impl Owned {
    async fn stop(self) {
        self.proxy.stop();
        self.running.stop().await;
        while !self.proxy.stopped() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        self.server.shutdown().await;
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        let Some(owned) = self.0.take() else { return };
        owned.proxy.stop();
        if std::thread::panicking() || owned.runtime.runtime_flavor() != RuntimeFlavor::MultiThread
        {
            return; // `owned` dropped: its channels close and its tasks end the rest.
        }
        let runtime = owned.runtime.clone();
        let (done, finished) = std::sync::mpsc::channel::<()>();
        // A runtime shut down already drops the task at once (and `done` with it).
        runtime.spawn(async move {
            owned.stop().await;
            let _ = done.send(());
        });
        let wait = || {
            let _ = finished.recv_timeout(GRACE);
        };
        match Handle::try_current().map(|current| current.runtime_flavor()) {
            // Maybe a worker thread, whose other tasks must move to another thread while it
            // waits. tokio refuses (panics) in a `LocalSet`: there, wait as it is.
            Ok(RuntimeFlavor::MultiThread) => {
                let handed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    tokio::task::block_in_place(wait)
                }));
                if handed.is_err() {
                    wait();
                }
            }
            // Another runtime's thread or none: the stop runs on the instance's own workers.
            Ok(_) | Err(_) => wait(),
        }
    }
}
