//! Background work yields the CPU to the user's requests.
//!
//! On a 2-core machine the index build (a walk and four readers) would
//! otherwise take every core while the user opens a file or types. Linux
//! schedules threads by their nice value, which a thread passes on to the
//! threads it starts: lowering it once at the top of a background thread
//! lowers it for all of that work.

/// How much lower than the server's own threads background work runs
/// (nice values go from -20 to 19; 10 is what `nice` uses by default).
pub const BACKGROUND_NICENESS: i32 = 10;

/// Lowers the calling thread's scheduling priority (and that of the
/// threads it starts from now on). Failure is harmless: the work then runs
/// at the normal priority.
pub fn lower_current_thread() {
    #[cfg(target_os = "linux")]
    #[allow(unsafe_code)]
    {
        // SAFETY: `setpriority` takes plain integers and touches no memory
        // of ours; with `PRIO_PROCESS` and who = 0 Linux applies it to the
        // calling thread only.
        let result = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, BACKGROUND_NICENESS) };
        if result != 0 {
            tracing::debug!("could not lower the priority of a background thread");
        }
    }
}
