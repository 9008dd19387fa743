//! `-` as a path: standard input for what a command reads, standard output for what it writes.
//! Also how a path is named in messages, and the refusal to replace an existing file unless the
//! user said `--force`.

use std::path::Path;

use super::output::Failure;
use crate::archive::Input;

/// Whether `path` is `-`.
pub fn is_dash(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// How a message names `path`.
pub fn name(path: &Path, dash: &str) -> String {
    if is_dash(path) {
        dash.to_owned()
    } else {
        path.display().to_string()
    }
}

/// Opens `path` for reading (a regular file by position), or standard input for `-`.
pub fn reader(path: &Path) -> Result<Input<'static>, Failure> {
    if is_dash(path) {
        return Ok(Input::from(std::io::stdin().lock()));
    }
    Input::open(path).map_err(|error| {
        Failure::new(
            format!("{}: cannot be read: {error}", path.display()),
            "check the path and that you may read the file",
        )
    })
}

/// Refuses to replace an existing file at `path` unless `force` is set.
pub fn refuse_existing(path: &Path, force: bool) -> Result<(), Failure> {
    if !force && !is_dash(path) && path.symlink_metadata().is_ok() {
        return Err(Failure::new(
            format!("{} already exists", path.display()),
            "choose another destination, or pass --force to replace it (only once the new file is complete)",
        ));
    }
    Ok(())
}

/// Refuses `-` as an output that is only ever written to a file (`what` says which).
pub fn refuse_dash(out: &Path, what: &str) -> Result<(), Failure> {
    if is_dash(out) {
        return Err(Failure::new(
            format!("--out -: {what} is written to a file, not to standard output"),
            "name the file to write with --out FILE",
        ));
    }
    Ok(())
}

/// Refuses `--json` when standard output carries the data itself.
pub fn refuse_json_on_stdout(json: bool, out: &Path) -> Result<(), Failure> {
    if json && is_dash(out) {
        return Err(Failure::new(
            "--json cannot be combined with -o -: standard output carries the data",
            "write the output to a file with -o FILE, or leave out --json",
        ));
    }
    Ok(())
}
