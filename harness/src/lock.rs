//! Taking a lock while ignoring poison.
//!
//! A lock is poisoned when a thread panicked while holding it. In the harness that thread is a
//! test, a request handler or a phone's task that has already failed loudly; every guarded
//! value here is left consistent between statements (a panic cannot stop a write half-way in a
//! way a later reader would misread), so the next user carries on with the data as it is
//! rather than turning one failure into a cascade of unrelated ones.

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// [`Mutex::lock`] that recovers the guard from a poisoned lock.
pub(crate) trait MutexExt<T: ?Sized> {
    /// Locks, ignoring poison.
    fn locked(&self) -> MutexGuard<'_, T>;
}

impl<T: ?Sized> MutexExt<T> for Mutex<T> {
    fn locked(&self) -> MutexGuard<'_, T> {
        self.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// [`RwLock::read`] and [`RwLock::write`] that recover the guard from a poisoned lock.
pub(crate) trait RwLockExt<T: ?Sized> {
    /// Read-locks, ignoring poison.
    fn read_locked(&self) -> RwLockReadGuard<'_, T>;
    /// Write-locks, ignoring poison.
    fn write_locked(&self) -> RwLockWriteGuard<'_, T>;
}

impl<T: ?Sized> RwLockExt<T> for RwLock<T> {
    fn read_locked(&self) -> RwLockReadGuard<'_, T> {
        self.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_locked(&self) -> RwLockWriteGuard<'_, T> {
        self.write().unwrap_or_else(|e| e.into_inner())
    }
}
