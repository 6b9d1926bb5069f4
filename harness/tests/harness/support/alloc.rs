//! A counting global allocator for the allocation tests (`protocol::alloc`) and the memory a
//! fake keeps per request (`fake::wire`): it counts allocations, and the bytes held.
//!
//! A `#[global_allocator]` applies to the whole test program, so it is written to change nothing
//! for the other tests: it counts only on a thread that asked for it, and only while
//! [`allocations_in`] runs the measured section there. Tests run in parallel, each on its own
//! thread, so another test's allocations never land in a measurement.
//!
//! The workspace denies unsafe code; a global allocator cannot be written without it, and this
//! one only forwards each call unchanged to the system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    /// Allocations made on this thread since counting started, or `None` when not counting.
    static ALLOCATIONS: Cell<Option<usize>> = const { Cell::new(None) };
    /// Bytes allocated minus bytes freed on this thread since byte counting started, or `None`.
    static HELD: Cell<Option<isize>> = const { Cell::new(None) };
}

fn held(delta: isize) {
    let _ = HELD.try_with(|n| {
        if let Some(k) = n.get() {
            n.set(Some(k + delta));
        }
    });
}

fn count() {
    // `try_with`: the slot may be gone while the thread is being torn down.
    let _ = ALLOCATIONS.try_with(|n| {
        if let Some(k) = n.get() {
            n.set(Some(k + 1));
        }
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        held(layout.size() as isize);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        held(-(layout.size() as isize));
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        held(new_size as isize - layout.size() as isize);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `section` and returns its result with the allocations (and reallocations) it made on
/// this thread. Dropping the result afterwards is not counted.
pub(crate) fn allocations_in<T>(section: impl FnOnce() -> T) -> (T, usize) {
    ALLOCATIONS.with(|n| {
        assert!(n.get().is_none(), "allocations_in does not nest");
        n.set(Some(0));
    });
    let result = section();
    let counted = ALLOCATIONS.with(|n| n.take()).unwrap_or(0);
    (result, counted)
}

/// Runs `section` on a current-thread tokio runtime made for it, so that everything it starts
/// (a fake's server and connection tasks included) runs on this thread, and counts the bytes
/// this thread allocates and frees meanwhile: [`bytes_held`] reads them inside the section, and
/// the difference between two reads is what the work between them kept.
pub(crate) fn bytes_held_in<T>(section: impl std::future::Future<Output = T>) -> T {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    HELD.with(|n| {
        assert!(n.get().is_none(), "bytes_held_in does not nest");
        n.set(Some(0));
    });
    let result = runtime.block_on(section);
    HELD.with(|n| n.set(None));
    drop(runtime);
    result
}

/// Bytes allocated minus bytes freed on this thread since [`bytes_held_in`] began its section.
pub(crate) fn bytes_held() -> isize {
    HELD.with(|n| n.get().expect("called inside bytes_held_in"))
}
