//! Interpreter exit. CPython 3.11 ends a thread that re-attaches to the interpreter while it
//! finalizes by unwinding it (`pthread_exit` from `take_gil`), and that forced unwind cannot cross
//! the Rust frames of every build: the manylinux wheel linked by zig segfaults there (issue 25:
//! a provider's fetch thread inside a signing call that had released the GIL at exit). So once
//! exit begins no thread may re-attach from inside this module: [`quiesce`], which the package
//! registers with `atexit` (atexit handlers run before finalization ends other threads), refuses
//! new detached sections and callbacks into Python and waits for those in progress to end.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use pyo3::marker::Ungil;
use pyo3::prelude::*;

/// Set by [`quiesce`]: detached sections and callbacks that have not begun will not begin.
static EXITING: AtomicBool = AtomicBool::new(false);
/// Sections in progress: detached calls and callbacks from native threads into Python.
static INSIDE: AtomicUsize = AtomicUsize::new(0);

/// One section in progress; ends when dropped (after the thread re-attached).
pub(crate) struct Section(());

impl Drop for Section {
    fn drop(&mut self) {
        INSIDE.fetch_sub(1, SeqCst);
    }
}

/// A section may begin (None once exit began). Counted before the flag is read, so [`quiesce`]
/// (which sets the flag before it reads the count) sees every section that began.
pub(crate) fn enter() -> Option<Section> {
    INSIDE.fetch_add(1, SeqCst);
    if EXITING.load(SeqCst) {
        INSIDE.fetch_sub(1, SeqCst);
        return None;
    }
    Some(Section(()))
}

/// `f` with the GIL released, or, once exit began, with it held (it then never re-attaches).
pub(crate) fn detach<T: Ungil, F: Ungil + FnOnce() -> T>(py: Python<'_>, f: F) -> T {
    match enter() {
        Some(section) => {
            let out = py.detach(f);
            drop(section);
            out
        }
        None => f(),
    }
}

/// Stops new sections and waits up to `timeout_ms` for those in progress to end; whether they all
/// did. Called by the package's `atexit` handler; idempotent.
#[pyfunction]
#[pyo3(signature = (timeout_ms=10_000))]
pub(crate) fn quiesce(py: Python<'_>, timeout_ms: u64) -> bool {
    EXITING.store(true, SeqCst);
    let deadline = Instant::now() + Duration::from_millis(timeout_ms);
    // Detached: the sections waited for must re-attach to end.
    py.detach(|| loop {
        if INSIDE.load(SeqCst) == 0 {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    })
}
