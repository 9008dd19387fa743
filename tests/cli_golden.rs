//! Golden tests of the `custody` command line that need no token: the exact stdout, stderr and
//! exit code of every command's `--help`, of argument errors, and of the token-free commands
//! (`inspect`, `audit`, `share verify`, `selftest`) and early failures of the others, run on the
//! checked-in domain `tests/cmd/fixture/` (made by `tests/cmd/make-fixture.sh`). Each case is a
//! file in `tests/cmd/`: `*.toml` (one command, stdout and stderr apart) or `help.trycmd`. A
//! change of wording shows as a diff of those files in review; refresh them with
//! `TRYCMD=overwrite cargo test --test cli_golden` (see tests/README.md).

#[test]
fn cli_golden() {
    // The fixture's passphrase files are open to all, whatever the checkout's umask, so the
    // warning `share verify` and `share reseal` give about them is pinned as it is.
    for file in ["pdir/cio.pass", "wrong.pass"] {
        let path = std::path::Path::new("tests/cmd/fixture").join(file);
        let open = std::os::unix::fs::PermissionsExt::from_mode(0o644);
        std::fs::set_permissions(path, open).unwrap();
    }
    // A credentials file must be private to be read at all.
    let private = std::os::unix::fs::PermissionsExt::from_mode(0o600);
    std::fs::set_permissions("tests/cmd/inputs/aws/credentials", private).unwrap();
    trycmd::TestCases::new()
        .register_bin("custody", trycmd::cargo::cargo_bin!("custody"))
        .case("tests/cmd/*.toml")
        .case("tests/cmd/*.trycmd");
}
