//! The `custody` binary: everything lives in the library's `cli` layer.

fn main() -> std::process::ExitCode {
    custody::cli::run()
}
