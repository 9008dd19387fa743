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

/// Opens `path` for reading: standard input for `-`, an archive in an object store for an
/// `s3://` URL, a regular file by position.
pub fn reader(path: &Path) -> Result<Input<'static>, Failure> {
    if is_dash(path) {
        return Ok(Input::from(std::io::stdin().lock()));
    }
    if let Some((store, name)) = crate::store::archive_at(path)? {
        return Ok(Input::from(store.read(&name)?));
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
        return Err(exists_failure(&path.display().to_string()));
    }
    Ok(())
}

/// The refusal to replace `shown` without `--force`.
pub fn exists_failure(shown: &str) -> Failure {
    Failure::new(
        format!("{shown} already exists"),
        "choose another destination, or pass --force to replace it (only once the new file is complete)",
    )
}

/// Refuses an object-store URL as the place for `what`: plaintext, and custody's own files, are
/// written only to this machine.
pub fn refuse_object_url(out: &Path, what: &str) -> Result<(), Failure> {
    if crate::store::is_object_url(out) {
        return Err(Failure::new(
            format!("{}: {what} is written to this machine, not to an object store", out.display()),
            "name a local file or directory; only archives, which are encrypted, go to an object store",
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
