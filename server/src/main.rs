fn main() -> std::process::ExitCode {
    bzls::cli::run()
}
