/// mimalloc: the index and the evaluator allocate many small, short-lived
/// values from several threads (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    bzls::cli::run()
}
