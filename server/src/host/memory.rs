//! Giving freed heap memory back to the operating system when the server
//! is idle.
//!
//! Each keystroke's analysis allocates and frees a few megabytes. glibc's
//! allocator keeps freed memory for reuse, in pages scattered through its
//! heaps, and gives back only what lies at a heap's top; over hours of
//! editing the resident size creeps up although the live heap stays flat
//! (BENCHMARKS.md, "Where the server's RSS goes"). `malloc_trim(0)` returns
//! every free page of every arena. It is called once the client has sent
//! nothing for [`IDLE`], at most once per burst of messages, from a thread
//! of its own: never on the path of a request.
//!
//! Invariant: trimming changes no data, only which free pages stay mapped;
//! it is safe while other threads allocate (glibc takes each arena's lock).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long the client must have been silent.
pub const IDLE: Duration = Duration::from_secs(3);

/// How often the trimming thread looks.
const POLL: Duration = Duration::from_millis(500);

/// When the last message came, in milliseconds after [`start`].
static LAST_MESSAGE_MS: AtomicU64 = AtomicU64::new(0);
/// A message came since the last trim.
static ACTIVE: AtomicBool = AtomicBool::new(false);

fn start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// Notes that the client sent a message.
pub fn note_activity() {
    let now = start().elapsed().as_millis() as u64;
    LAST_MESSAGE_MS.store(now, Ordering::Relaxed);
    ACTIVE.store(true, Ordering::Release);
}

/// Whether the memory should be trimmed now: a message came since the last
/// trim, and none in the last [`IDLE`]. Clears the activity it reports.
fn due() -> bool {
    let now = start().elapsed().as_millis() as u64;
    quiet(now, LAST_MESSAGE_MS.load(Ordering::Relaxed)) && ACTIVE.swap(false, Ordering::AcqRel)
}

/// Whether `now` is [`IDLE`] or more after `last` (both in milliseconds).
fn quiet(now: u64, last: u64) -> bool {
    now.saturating_sub(last) >= IDLE.as_millis() as u64
}

/// Starts the thread that trims the heap after each burst of messages
/// (once per process; later calls do nothing).
pub fn trim_when_idle() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        start();
        let spawned = std::thread::Builder::new()
            .name("bzls-trim".to_owned())
            .spawn(|| loop {
                std::thread::sleep(POLL);
                if due() {
                    let started = Instant::now();
                    let released = release_free_memory();
                    tracing::debug!(
                        released,
                        elapsed_us = started.elapsed().as_micros() as u64,
                        heap_in_use = heap_in_use().unwrap_or(0),
                        live_bytes = live_bytes().unwrap_or(0),
                        "heap trimmed"
                    );
                }
            });
        if let Err(err) = spawned {
            tracing::warn!(%err, "cannot start the heap-trimming thread");
        }
    });
}

/// Returns the free pages of the heap to the system; whether any were.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn release_free_memory() -> bool {
    // SAFETY: `malloc_trim` takes a plain integer and locks each arena
    // itself; it frees nothing still in use.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// The bytes the allocator has handed out and not had back, over every
/// arena (glibc's `mallinfo2`: `uordblks` + `hblkhd`). Unlike the resident
/// size, this does not count free memory the allocator keeps, so a steady
/// figure under load means no data structure grows.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn heap_in_use() -> Option<u64> {
    // SAFETY: `mallinfo2` takes each arena's lock itself and returns a
    // plain struct by value.
    let info = unsafe { libc::mallinfo2() };
    Some(info.uordblks as u64 + info.hblkhd as u64)
}

/// The bytes the allocator has handed out (not known on this platform).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn heap_in_use() -> Option<u64> {
    None
}

/// Bytes allocated and not freed, counted exactly by [`Counting`] when the
/// binary is built with the `count-allocations` feature (for soak runs:
/// unlike [`heap_in_use`], it leaves out what the allocator's per-thread
/// caches hold).
pub fn live_bytes() -> Option<u64> {
    #[cfg(feature = "count-allocations")]
    {
        Some(counting::LIVE.load(Ordering::Relaxed))
    }
    #[cfg(not(feature = "count-allocations"))]
    {
        None
    }
}

#[cfg(feature = "count-allocations")]
pub use counting::Counting;

/// A global allocator that counts live bytes on top of the system's.
#[cfg(feature = "count-allocations")]
#[allow(unsafe_code)]
mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicU64, Ordering};

    pub(super) static LIVE: AtomicU64 = AtomicU64::new(0);

    /// The system allocator, counting into [`LIVE`].
    pub struct Counting;

    // SAFETY: every call is forwarded to `System` unchanged; the counter
    // is only arithmetic on the sizes.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let ptr = unsafe { System.alloc(layout) };
            if !ptr.is_null() {
                LIVE.fetch_add(layout.size() as u64, Ordering::Relaxed);
            }
            ptr
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            let ptr = unsafe { System.alloc_zeroed(layout) };
            if !ptr.is_null() {
                LIVE.fetch_add(layout.size() as u64, Ordering::Relaxed);
            }
            ptr
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) };
            LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            let new = unsafe { System.realloc(ptr, layout, new_size) };
            if !new.is_null() {
                LIVE.fetch_add(new_size as u64, Ordering::Relaxed);
                LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
            }
            new
        }
    }
}

/// Returns the free pages of the heap to the system (not done on this
/// platform's allocator).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free_memory() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimming_waits_for_a_quiet_client() {
        let idle = IDLE.as_millis() as u64;
        assert!(!quiet(1_000, 1_000));
        assert!(!quiet(1_000 + idle - 1, 1_000));
        assert!(quiet(1_000 + idle, 1_000));
        // A clock read before the last message (another thread's) is not
        // quiet.
        assert!(!quiet(900, 1_000));
        // Trimming itself is safe at any time, while other threads
        // allocate.
        let worker = std::thread::spawn(|| {
            (0..10_000)
                .map(|i| vec![i; 16])
                .filter(|v| v.len() == 16)
                .count()
        });
        let _ = release_free_memory();
        assert_eq!(worker.join().ok(), Some(10_000));
    }
}
