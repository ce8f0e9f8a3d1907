//! Values derived from one graph snapshot, computed once for it rather than per
//! request: the snapshot changes only when catalog events are applied, requests come
//! by the thousand in between.

use crate::graph::EmbeddedGraph;
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// The value of the latest snapshot it was asked for.
pub(super) struct PerSnapshot<T>(Mutex<Option<(Weak<EmbeddedGraph>, Arc<T>)>>);

impl<T> Default for PerSnapshot<T> {
    fn default() -> Self {
        PerSnapshot(Mutex::new(None))
    }
}

impl<T> PerSnapshot<T> {
    /// The value for `graph`, made by `make` when the one held is of another snapshot.
    /// The snapshot is held weakly: its allocation, and so its address, stays unique
    /// while the entry lives, and the graph itself is freed as usual.
    pub(super) fn get(
        &self,
        graph: &Arc<EmbeddedGraph>,
        make: impl FnOnce(&EmbeddedGraph) -> T,
    ) -> Arc<T> {
        let lock = || self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((of, value)) = lock().as_ref() {
            if std::ptr::eq(of.as_ptr(), Arc::as_ptr(graph)) {
                return value.clone();
            }
        }
        // Made outside the lock: a request meanwhile makes its own rather than waits.
        let value = Arc::new(make(graph));
        *lock() = Some((Arc::downgrade(graph), value.clone()));
        value
    }
}
