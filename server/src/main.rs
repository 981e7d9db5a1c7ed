/// The allocator: the system's (glibc), limited to two malloc arenas. The
/// server is edited against all day; with one arena per thread (glibc's
/// default) or with mimalloc, the memory freed after each keystroke's work
/// stays with the thread that freed it and the resident size keeps
/// creeping, although the live heap does not grow (heaptrack; see
/// BENCHMARKS.md, "Where the server's RSS goes"). Two arenas keep it flat
/// after the first minutes, for about 8% on a cold index of 20,000
/// packages. `MALLOC_ARENA_MAX` in the environment still wins. The
/// `mimalloc` feature builds with mimalloc instead.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// With the `count-allocations` feature (soak runs), the system allocator
/// counting live bytes, which the server logs when it trims its heap.
#[cfg(all(feature = "count-allocations", not(feature = "mimalloc")))]
#[global_allocator]
static ALLOCATOR: bzls::host::memory::Counting = bzls::host::memory::Counting;

fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    // BUILD files are evaluated in child processes of this binary, whose
    // memory is limited (see `bzls::host::eval_process`), unless
    // BZLS_EVALUATE_IN_PROCESS is set (for profiling and debugging).
    let in_process = std::env::var_os("BZLS_EVALUATE_IN_PROCESS").is_some_and(|v| !v.is_empty());
    if !in_process {
        if let Ok(exe) = std::env::current_exe() {
            bzls::host::eval_process::isolate_evaluation(exe);
        }
    }
    bzls::cli::run()
}

/// Two malloc arenas (see above), unless the environment sets the number.
#[cfg(all(target_os = "linux", target_env = "gnu", not(feature = "mimalloc")))]
#[allow(unsafe_code)]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: called before any thread is started; `mallopt` takes
        // plain integers.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu", not(feature = "mimalloc"))))]
fn limit_malloc_arenas() {}
