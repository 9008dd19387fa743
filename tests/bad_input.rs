//! The bad-input battery (issue 7): every file type custody reads — sealed share file, manifest,
//! archive (header and chunk stream), transcript, officials file, PIN file, passphrase file,
//! rotation journal, share sheet (its words and a scan of its code) and archive catalog — damaged every way docs/FORMAT.md's layouts suggest (empty, cut at each
//! structural boundary, a byte flipped in each field, oversized lengths and numbers, an unknown
//! version, another domain's or epoch's valid file, garbage) and given to the real `custody`
//! commands that read it. Each must refuse with exit status 1 and one clear error, never panic,
//! and leave no output and every existing file as it was (`bad_input_kit::check`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bad_input_kit;
mod common;

use std::path::Path;

use bad_input_kit::check::{refused, Expect, Workspace};
use bad_input_kit::damage::{self, garbage, Case, Form};
use bad_input_kit::estate::{
    custody, custody_reading, estate, passphrase, s, token_lock, TINY_KDF,
};
use bad_input_kit::{binary, structured};

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

fn names(names: &[&str]) -> Expect<'static> {
    Expect {
        names: names.iter().map(|n| (*n).to_owned()).collect(),
        ..Expect::default()
    }
}

/// A workspace holding a copy of domain `a` (as `a/`) and the official `cio`'s passphrase file.
fn domain_workspace() -> (Workspace, std::path::PathBuf) {
    let ws = Workspace::new();
    let dir = ws.copy_dir(&estate().a, "a");
    common::write_private(&ws.path("cio.pass"), passphrase("cio"));
    (ws, dir)
}

fn share_verify(ws: &Workspace, dir: &Path, share: &Path) -> std::process::Output {
    custody(&[
        "share",
        "verify",
        "--manifest",
        s(&dir.join("manifest.json")),
        s(share),
        "--passphrase-file",
        s(&ws.path("cio.pass")),
    ])
}

fn unlock(manifest: &str, uri: &str, pdir: &str, shares: &[&str]) -> std::process::Output {
    let mut args = vec![
        "unlock",
        "--manifest",
        manifest,
        "--hsm",
        uri,
        "--passphrases",
        pdir,
    ];
    args.extend(shares);
    custody(&args)
}

fn reshare(
    manifest: &str,
    officials: &str,
    threshold: &str,
    pdir: &str,
    shares: &[&str],
) -> std::process::Output {
    let mut args = vec![
        "reshare",
        "--manifest",
        manifest,
        "--officials",
        officials,
        "--threshold",
        threshold,
        "--passphrases",
        pdir,
    ];
    args.extend(shares);
    custody(&args)
}

fn rotate(
    manifest: &str,
    uri: &str,
    pdir: &str,
    archives: &str,
    shares: &[&str],
) -> std::process::Output {
    let mut args = vec![
        "rotate",
        "--manifest",
        manifest,
        "--hsm",
        uri,
        "--passphrases",
        pdir,
        "--archives",
        archives,
    ];
    args.extend(shares);
    custody(&args)
}

/// A genesis of domain `battery` with tiny KDF costs.
fn genesis(
    officials: &str,
    threshold: &str,
    uri: &str,
    out: &str,
    pdir: &str,
) -> std::process::Output {
    let mut args = vec![
        "genesis",
        "--domain",
        "battery",
        "--officials",
        officials,
        "--threshold",
        threshold,
        "--hsm",
        uri,
        "--out",
        out,
        "--passphrases",
        pdir,
    ];
    args.extend(TINY_KDF);
    custody(&args)
}

#[test]
fn sealed_share_files() {
    let e = estate();
    let cases = binary::share_file(
        &read(&e.a.join("shares/cio.share")),
        &read(&e.b.join("shares/cio.share")),
        &read(&e.a2.join("shares/cio.share")),
    );
    for case in &cases {
        let (ws, dir) = domain_workspace();
        let share = dir.join("shares/cio.share");
        std::fs::write(&share, &case.bytes).unwrap();
        let roots = [ws.root()];
        let name = |reader: &str| format!("share file `{}` × {reader}", case.name);
        refused(
            &name("share verify"),
            &roots,
            &names(&["cio.share"]),
            || share_verify(&ws, &dir, &share),
        );
        refused(&name("audit"), &roots, &names(&["cio.share"]), || {
            custody(&["audit", s(&dir)])
        });
        if case.form == Form::Broken {
            refused(&name("inspect"), &roots, &names(&["cio.share"]), || {
                custody(&["inspect", s(&share)])
            });
        }
        refused(
            &name("share reseal"),
            &roots,
            &names(&["cio.share"]),
            || {
                custody(&[
                    "share",
                    "reseal",
                    "--manifest",
                    s(&dir.join("manifest.json")),
                    s(&share),
                    "--passphrase-file",
                    s(&ws.path("cio.pass")),
                    "--new-passphrase-file",
                    s(&ws.path("cio.pass")),
                ])
            },
        );
        {
            let _token = token_lock();
            let expect = Expect {
                names: vec!["shares accepted".into()],
                in_stdout: vec!["REFUSED".into(), "cio.share".into()],
                transcript: Some(&dir.join("transcript.jsonl")),
            };
            // `other` serves another domain only; `next` has served the rotated copy `a2`, a later
            // chain position, and would refuse this manifest as a rollback before any share file.
            refused(&name("unlock"), &[ws.root(), &e.tokens()], &expect, || {
                unlock(
                    s(&dir.join("manifest.json")),
                    &e.other.uri.to_string(),
                    s(&e.pdir),
                    &[s(&share), s(&dir.join("shares/justice.share"))],
                )
            });
        }
    }
}

/// Every damaged share file of the battery, printed on a sheet and typed back as the sheet's
/// words (whose line checks then pass): `share print` and `share import --words --manifest`
/// refuse each and write nothing. And scans that are no images, or images without a code.
#[test]
fn share_sheets() {
    let e = estate();
    let cases = binary::share_file(
        &read(&e.a.join("shares/cio.share")),
        &read(&e.b.join("shares/cio.share")),
        &read(&e.a2.join("shares/cio.share")),
    );
    for case in &cases {
        let (ws, dir) = domain_workspace();
        let manifest = dir.join("manifest.json");
        let share = ws.write("damaged.share", &case.bytes);
        let typed = custody::paper::words::lines(&case.bytes).join("\n");
        let words = ws.write("damaged.words", typed.as_bytes());
        let out = ws.path("out");
        let roots = [ws.root()];
        let name = |reader: &str| format!("share file `{}` × {reader}", case.name);
        refused(
            &name("share print"),
            &roots,
            &names(&["damaged.share"]),
            || {
                custody(&[
                    "share",
                    "print",
                    "--manifest",
                    s(&manifest),
                    s(&share),
                    "--out",
                    s(&out),
                ])
            },
        );
        refused(&name("share import --words"), &roots, &names(&[]), || {
            let input = std::fs::File::open(&words).unwrap();
            custody_reading(
                &[
                    "share",
                    "import",
                    "--words",
                    "--manifest",
                    s(&manifest),
                    "--out",
                    s(&out),
                ],
                input.into(),
            )
        });
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(garbage(5, 300));
    let mut jpeg = b"\xff\xd8\xff\xe0".to_vec();
    jpeg.extend(garbage(6, 300));
    let mut blank = Vec::new();
    image::GrayImage::from_pixel(64, 64, image::Luma([255]))
        .write_to(
            &mut std::io::Cursor::new(&mut blank),
            image::ImageFormat::Png,
        )
        .unwrap();
    let images = [
        ("empty", Vec::new()),
        ("garbage", garbage(4, 4096)),
        ("a PNG signature, then garbage", png),
        ("a JPEG header, then garbage", jpeg),
        ("a blank page", blank),
    ];
    for (case, bytes) in images {
        let ws = Workspace::new();
        let scan = ws.write("scan.png", &bytes);
        refused(
            &format!("scan `{case}` × share import --image"),
            &[ws.root()],
            &names(&["scan.png"]),
            || {
                custody(&[
                    "share",
                    "import",
                    "--image",
                    s(&scan),
                    "--out",
                    s(&ws.path("out")),
                ])
            },
        );
    }
}

#[test]
fn manifests() {
    let e = estate();
    let cases = structured::manifest(
        &read(&e.a.join("manifest.json")),
        &read(&e.b.join("manifest.json")),
        &read(&e.a2.join("manifest.json")),
    );
    for case in &cases {
        let (ws, dir) = domain_workspace();
        let manifest = dir.join("manifest.json");
        std::fs::write(&manifest, &case.bytes).unwrap();
        if case.name == "other-epoch" {
            // The whole chain of the rotated copy: its manifests after genesis (an enrolment and
            // a rotation) are well formed and verify; the shares are another epoch's.
            for entry in std::fs::read_dir(e.a2.join("chain")).unwrap() {
                let entry = entry.unwrap().path();
                std::fs::copy(&entry, dir.join("chain").join(entry.file_name().unwrap())).unwrap();
            }
        }
        let roots = [ws.root()];
        let name = |reader: &str| format!("manifest `{}` × {reader}", case.name);
        let other = case.name == "other-domain" || case.name == "other-epoch";
        refused(&name("audit"), &roots, &names(&["manifest"]), || {
            custody(&["audit", s(&dir)])
        });
        refused(&name("reshare"), &roots, &names(&["manifest"]), || {
            reshare(
                s(&manifest),
                s(&e.officials),
                "2",
                s(&e.pdir),
                &[s(&dir.join("shares/cio.share"))],
            )
        });
        if case.form == Form::Broken || other {
            refused(
                &name("share verify"),
                &roots,
                &names(&[if case.name == "other-epoch" {
                    "cio.share"
                } else {
                    "manifest"
                }]),
                || share_verify(&ws, &dir, &dir.join("shares/cio.share")),
            );
        }
        if case.form == Form::Broken {
            refused(&name("inspect"), &roots, &names(&["manifest.json"]), || {
                custody(&["inspect", s(&manifest)])
            });
        }
        {
            let _token = token_lock();
            let roots = [ws.root(), &e.tokens()];
            refused(&name("unlock"), &roots, &names(&["manifest"]), || {
                unlock(
                    s(&manifest),
                    &e.next.uri.to_string(),
                    s(&e.pdir),
                    &[s(&dir.join("shares/cio.share"))],
                )
            });
            // The rotated copy's manifest no longer enrols home: refused before anyone types.
            let named = if case.name == "other-epoch" {
                "not enrolled"
            } else {
                "manifest"
            };
            refused(&name("rotate"), &roots, &names(&[named]), || {
                rotate(
                    s(&manifest),
                    &e.home.uri.to_string(),
                    s(&e.pdir),
                    s(&dir),
                    &[s(&dir.join("shares/cio.share"))],
                )
            });
            if case.form == Form::Broken {
                refused(&name("seal"), &roots, &names(&["manifest"]), || {
                    custody(&[
                        "seal",
                        "--manifest",
                        s(&manifest),
                        "--hsm",
                        &e.home.uri.to_string(),
                        s(&ws.path("cio.pass")),
                        "-o",
                        s(&ws.path("out.custody")),
                    ])
                });
            }
        }
    }
}

#[test]
fn archives() {
    let e = estate();
    let cases = binary::archive(
        &read(&e.archive),
        &read(&e.b.join("canary.custody")),
        &read(&e.archive2),
    );
    let _token = token_lock();
    for case in &cases {
        let ws = Workspace::new();
        let archive = ws.write("data.custody", &case.bytes);
        let roots = [ws.root(), &e.tokens()];
        let name = |reader: &str| format!("archive `{}` × {reader}", case.name);
        let uri = e.home.uri.to_string();
        refused(&name("open"), &roots, &names(&["data.custody"]), || {
            custody(&[
                "open",
                "--hsm",
                &uri,
                s(&archive),
                "-o",
                s(&ws.path("out.bin")),
            ])
        });
        refused(&name("verify"), &roots, &names(&["data.custody"]), || {
            custody(&["verify", "--hsm", &uri, s(&archive)])
        });
        if case.form == Form::Broken {
            refused(&name("inspect"), &roots, &names(&["data.custody"]), || {
                custody(&["inspect", s(&archive)])
            });
        }
    }
}

#[test]
fn transcripts() {
    let e = estate();
    let closing = e.closing_digest();
    let cases = structured::transcript(
        &read(&e.a.join("transcript.jsonl")),
        &read(&e.b.join("transcript.jsonl")),
        &read(&e.a2.join("transcript.jsonl")),
    );
    for case in &cases {
        let (ws, dir) = domain_workspace();
        let transcript = dir.join("transcript.jsonl");
        std::fs::write(&transcript, &case.bytes).unwrap();
        let roots = [ws.root()];
        let name = |reader: &str| format!("transcript `{}` × {reader}", case.name);
        refused(&name("audit"), &roots, &names(&["transcript"]), || {
            custody(&["audit", s(&dir), "--expect-closing", &closing])
        });
        let expect = Expect {
            transcript: Some(&transcript),
            ..Expect::default()
        };
        refused(&name("reshare"), &roots, &expect, || {
            reshare(
                s(&dir.join("manifest.json")),
                s(&e.officials),
                "2",
                s(&e.pdir),
                &[s(&dir.join("shares/cio.share"))],
            )
        });
    }
}

#[test]
fn officials_files() {
    let e = estate();
    let cases = structured::officials(&read(&e.officials));
    let _token = token_lock();
    for case in &cases {
        let (ws, dir) = domain_workspace();
        let officials = ws.write("officials.toml", &case.bytes);
        let name = |reader: &str| format!("officials file `{}` × {reader}", case.name);
        refused(
            &name("genesis"),
            &[ws.root(), &e.tokens()],
            &names(&["officials"]),
            || {
                genesis(
                    s(&officials),
                    "3",
                    &e.home.uri.to_string(),
                    s(&ws.path("out")),
                    s(&e.pdir),
                )
            },
        );
        refused(
            &name("reshare"),
            &[ws.root()],
            &names(&["officials"]),
            || {
                reshare(
                    s(&dir.join("manifest.json")),
                    s(&officials),
                    "3",
                    s(&e.pdir),
                    &[
                        s(&dir.join("shares/cio.share")),
                        s(&dir.join("shares/justice.share")),
                    ],
                )
            },
        );
    }
}

/// The URI of `token` with its PIN read from `pin`.
fn with_pin(token: &common::TestToken, pin: &Path) -> String {
    token.uri.to_string().replace(s(&token.pin_file), s(pin))
}

#[test]
fn pin_files() {
    let e = estate();
    let other_pin = std::fs::read_to_string(&e.other.pin_file).unwrap();
    let mut cases = structured::secret(&e.home.pin(), other_pin.trim_end());
    cases.push(Case::broken("a-directory", Vec::new()));
    let _token = token_lock();
    for case in &cases {
        let (ws, dir) = domain_workspace();
        let pin = if case.name == "a-directory" {
            std::fs::create_dir(ws.path("pin")).unwrap();
            ws.path("pin")
        } else {
            // Private, as a PIN file must be: the case is its content, not its mode.
            common::write_private(&ws.path("pin"), &case.bytes);
            ws.path("pin")
        };
        let uri = with_pin(&e.home, &pin);
        let roots = [ws.root(), &e.tokens()];
        let name = |reader: &str| format!("PIN file `{}` × {reader}", case.name);
        let expect = names(&["PIN"]);
        refused(&name("open"), &roots, &expect, || {
            custody(&[
                "open",
                "--hsm",
                &uri,
                s(&e.archive),
                "-o",
                s(&ws.path("out.bin")),
            ])
        });
        refused(&name("verify"), &roots, &expect, || {
            custody(&["verify", "--hsm", &uri, s(&e.archive)])
        });
        refused(&name("seal"), &roots, &expect, || {
            custody(&[
                "seal",
                "--manifest",
                s(&dir.join("manifest.json")),
                "--hsm",
                &uri,
                s(&ws.path("cio.pass")),
                "-o",
                s(&ws.path("out.custody")),
            ])
        });
        let next_uri = with_pin(&e.next, &pin);
        let expect = Expect {
            names: vec!["PIN".into()],
            transcript: Some(&dir.join("transcript.jsonl")),
            ..Expect::default()
        };
        refused(&name("unlock"), &roots, &expect, || {
            unlock(
                s(&dir.join("manifest.json")),
                &next_uri,
                s(&e.pdir),
                &[
                    s(&dir.join("shares/cio.share")),
                    s(&dir.join("shares/justice.share")),
                ],
            )
        });
    }
}

#[test]
fn passphrase_files() {
    let e = estate();
    let mut cases = structured::secret(&passphrase("cio"), &passphrase("justice"));
    cases.push(Case::broken("a-directory", Vec::new()));
    // What no reader can take as a passphrase at all (the others are merely wrong).
    let unreadable = [
        "empty",
        "newline-only",
        "crlf-only",
        "larger-than-4096-bytes",
        "not-utf8",
        "a-directory",
    ];
    for case in &cases {
        let (ws, dir) = domain_workspace();
        let pdir = ws.path("pdir");
        std::fs::create_dir(&pdir).unwrap();
        let file = pdir.join("cio.pass");
        if case.name == "a-directory" {
            std::fs::create_dir(&file).unwrap();
            let private = std::os::unix::fs::PermissionsExt::from_mode(0o700);
            std::fs::set_permissions(&file, private).unwrap();
        } else {
            common::write_private(&file, &case.bytes);
        }
        common::write_private(&pdir.join("justice.pass"), passphrase("justice"));
        common::write_private(&pdir.join("ria.pass"), passphrase("ria"));
        let share = dir.join("shares/cio.share");
        let roots = [ws.root()];
        let name = |reader: &str| format!("passphrase file `{}` × {reader}", case.name);
        let expect = names(&["passphrase"]);
        refused(&name("share verify"), &roots, &expect, || {
            custody(&[
                "share",
                "verify",
                "--manifest",
                s(&dir.join("manifest.json")),
                s(&share),
                "--passphrase-file",
                s(&file),
            ])
        });
        refused(&name("share reseal (current)"), &roots, &expect, || {
            custody(&[
                "share",
                "reseal",
                "--manifest",
                s(&dir.join("manifest.json")),
                s(&share),
                "--passphrase-file",
                s(&file),
                "--new-passphrase-file",
                s(&pdir.join("ria.pass")),
            ])
        });
        if !unreadable.contains(&case.name.as_str()) {
            let _token = token_lock();
            let expect = Expect {
                names: vec!["shares accepted".into()],
                in_stdout: vec!["REFUSED".into(), "passphrase".into()],
                transcript: Some(&dir.join("transcript.jsonl")),
            };
            // `other` serves another domain only; `next` has served the rotated copy `a2`, a later
            // chain position, and would refuse this manifest as a rollback before any share file.
            refused(&name("unlock"), &[ws.root(), &e.tokens()], &expect, || {
                unlock(
                    s(&dir.join("manifest.json")),
                    &e.other.uri.to_string(),
                    s(&pdir),
                    &[s(&share), s(&dir.join("shares/justice.share"))],
                )
            });
            continue;
        }
        refused(&name("share reseal (new)"), &roots, &expect, || {
            custody(&[
                "share",
                "reseal",
                "--manifest",
                s(&dir.join("manifest.json")),
                s(&dir.join("shares/justice.share")),
                "--passphrase-file",
                s(&pdir.join("justice.pass")),
                "--new-passphrase-file",
                s(&file),
            ])
        });
        let _token = token_lock();
        refused(
            &name("genesis"),
            &[ws.root(), &e.tokens()],
            &names(&["cio"]),
            || {
                genesis(
                    s(&e.officials),
                    "2",
                    &e.home.uri.to_string(),
                    s(&ws.path("out")),
                    s(&pdir),
                )
            },
        );
    }
}

/// The journal of rotating `a` to `a2`, with `edit` applied to its members.
fn journal(edit: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>)) -> Vec<u8> {
    let e = estate();
    let manifest_field = |dir: &Path, field: &str| -> serde_json::Value {
        let manifest: serde_json::Value =
            serde_json::from_slice(&read(&dir.join("manifest.json"))).unwrap();
        manifest[field].clone()
    };
    let mut journal = serde_json::Map::new();
    journal.insert("from_epoch".into(), 1.into());
    journal.insert("from_key_id".into(), manifest_field(&e.a, "key_id"));
    journal.insert("from_wrap_check".into(), manifest_field(&e.a, "wrap_check"));
    journal.insert(
        "new_manifest".into(),
        String::from_utf8(read(&e.a2.join("manifest.json")))
            .unwrap()
            .into(),
    );
    // Seals no quorum made: every case is refused before or at the seal, never acted on.
    journal.insert("sealed_by_old_key".into(), "00".repeat(32).into());
    journal.insert("sealed_by_new_key".into(), "00".repeat(32).into());
    edit(&mut journal);
    serde_json::to_vec_pretty(&journal).unwrap()
}

#[test]
fn rotation_journals() {
    let e = estate();
    let genuine = journal(|_| {});
    let text = |dir: &Path| String::from_utf8(read(&dir.join("manifest.json"))).unwrap();
    let mut cases = bad_input_kit::damage::common(&genuine);
    cases.extend(structured::line_truncations(&genuine));
    cases.extend(structured::member_edits(&genuine, ""));
    let edits: Vec<(&str, Vec<u8>)> = vec![
        (
            "from-epoch-over-u32",
            journal(|j| {
                j.insert("from_epoch".into(), 4_294_967_296_u64.into());
            }),
        ),
        (
            "from-epoch-negative",
            journal(|j| {
                j.insert("from_epoch".into(), (-1).into());
            }),
        ),
        (
            "from-key-id-not-hex",
            journal(|j| {
                j.insert("from_key_id".into(), "zz".repeat(32).into());
            }),
        ),
        (
            "from-wrap-check-not-hex",
            journal(|j| {
                j.insert("from_wrap_check".into(), "zz".repeat(40).into());
            }),
        ),
        (
            "seal-not-hex",
            journal(|j| {
                j.insert("sealed_by_old_key".into(), "zz".repeat(32).into());
            }),
        ),
        (
            "new-manifest-garbage",
            journal(|j| {
                j.insert("new_manifest".into(), "{]".into());
            }),
        ),
        (
            "other-domain",
            journal(|j| {
                j.insert("new_manifest".into(), text(&e.b).into());
            }),
        ),
        (
            "other-epoch",
            journal(|j| {
                j.insert("from_epoch".into(), 2.into());
                j.insert("new_manifest".into(), text(&e.a2).into());
            }),
        ),
        (
            "new-manifest-is-the-old",
            journal(|j| {
                j.insert("new_manifest".into(), text(&e.a).into());
            }),
        ),
    ];
    cases.extend(
        edits
            .into_iter()
            .map(|(name, bytes)| Case::broken(name, bytes)),
    );
    let _token = token_lock();
    for case in &cases {
        let (ws, dir) = domain_workspace();
        std::fs::write(dir.join("rotation.journal.json"), &case.bytes).unwrap();
        let name = format!("rotation journal `{}` × rotate", case.name);
        refused(
            &name,
            &[ws.root(), &e.tokens()],
            // The quorum that refuses a journal is recorded: the transcript may be appended to.
            &Expect {
                names: vec!["rotation.journal.json".into()],
                transcript: Some(&dir.join("transcript.jsonl")),
                ..Expect::default()
            },
            || {
                rotate(
                    s(&dir.join("manifest.json")),
                    &e.home.uri.to_string(),
                    s(&e.pdir),
                    s(&dir),
                    // A full quorum: each journal is refused by name, at the latest by its seal.
                    &[
                        s(&dir.join("shares/cio.share")),
                        s(&dir.join("shares/ria.share")),
                    ],
                )
            },
        );
    }
}

/// The batches of an archive catalog (FORMAT.md 16.3), damaged in place in a copy of the
/// checked-in store `tests/cmd/catalog/intact`: every damage, to either batch, is refused by
/// `custody catalog verify` given the head on record — a broken batch by name, a well-formed edit
/// (which a last batch can take and still chain) by a head the catalog never had. No token.
#[test]
fn archive_catalogs() {
    let intact = common::repo_root().join("tests/cmd/catalog/intact");
    let head = {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_custody"))
            .args(["catalog", "show", s(&intact), "--json"])
            .output()
            .unwrap();
        let shown: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        shown["head"]["digest"].as_str().unwrap().to_owned()
    };
    let batch_names = ["0000000000000001", "0000000000000002"];
    let mut cases = Vec::new();
    for batch in batch_names {
        let bytes = read(&intact.join(".catalog").join(batch));
        let mut these = damage::common(&bytes);
        these.extend(structured::line_truncations(&bytes));
        let text = String::from_utf8(bytes.clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (index, line) in lines.iter().enumerate() {
            let with_line = |new: &str| {
                let mut edited = lines.clone();
                edited[index] = new;
                format!("{}\n", edited.join("\n")).into_bytes()
            };
            let members: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(line).unwrap();
            for member in members.keys() {
                let at = format!("line-{}-{member}", index + 1);
                let mut missing = members.clone();
                missing.remove(member);
                let missing = serde_json::to_string(&missing).unwrap();
                these.push(Case::broken(format!("{at}-missing"), with_line(&missing)));
                if let Some(flipped) = structured::flip_value(line.as_bytes(), member, 0x01) {
                    let flipped = String::from_utf8_lossy(&flipped).into_owned();
                    these.push(Case::well_formed(
                        format!("{at}-flipped"),
                        with_line(&flipped),
                    ));
                }
            }
            let spaced = line.replacen(':', ": ", 1);
            these.push(Case::broken(
                format!("line-{}-spaced", index + 1),
                with_line(&spaced),
            ));
            let extra = line.replacen('{', "{\"comment\":\"hello\",", 1);
            these.push(Case::broken(
                format!("line-{}-unknown-member", index + 1),
                with_line(&extra),
            ));
        }
        these.push(Case::broken(
            "crlf",
            text.replace('\n', "\r\n").into_bytes(),
        ));
        cases.extend(these.into_iter().map(|case| (batch, case)));
    }
    for (batch, case) in &cases {
        let ws = Workspace::new();
        let store = ws.copy_dir(&intact, "store");
        std::fs::write(store.join(".catalog").join(batch), &case.bytes).unwrap();
        let name = format!("catalog batch {batch} `{}` × catalog verify", case.name);
        refused(&name, &[ws.root()], &names(&["catalog"]), || {
            std::process::Command::new(env!("CARGO_BIN_EXE_custody"))
                .args(["catalog", "verify", s(&store), "--expect-head", &head])
                .output()
                .unwrap()
        });
        if case.form == Form::Broken {
            let file = store.join(".catalog").join(batch);
            let name = format!("catalog batch {batch} `{}` × inspect", case.name);
            refused(&name, &[ws.root()], &names(&[]), || {
                std::process::Command::new(env!("CARGO_BIN_EXE_custody"))
                    .args(["inspect", s(&file)])
                    .output()
                    .unwrap()
            });
        }
    }
    // Whole batches removed (None), swapped or added.
    let catalog = intact.join(".catalog");
    let first = read(&catalog.join(batch_names[0]));
    let second = read(&catalog.join(batch_names[1]));
    type Change<'a> = (&'a str, Option<&'a [u8]>);
    let edits: [(&str, Vec<Change>); 4] = [
        ("first-removed", vec![(batch_names[0], None)]),
        ("last-removed", vec![(batch_names[1], None)]),
        (
            "swapped",
            vec![
                (batch_names[0], Some(&second)),
                (batch_names[1], Some(&first)),
            ],
        ),
        ("third-added", vec![("0000000000000003", Some(&second))]),
    ];
    for (what, changes) in edits {
        let ws = Workspace::new();
        let store = ws.copy_dir(&intact, "store");
        for (batch, bytes) in changes {
            let path = store.join(".catalog").join(batch);
            match bytes {
                Some(bytes) => std::fs::write(path, bytes).unwrap(),
                None => std::fs::remove_file(path).unwrap(),
            }
        }
        let name = format!("catalog `{what}` × catalog verify");
        refused(&name, &[ws.root()], &names(&["catalog"]), || {
            std::process::Command::new(env!("CARGO_BIN_EXE_custody"))
                .args(["catalog", "verify", s(&store), "--expect-head", &head])
                .output()
                .unwrap()
        });
    }
    assert!(cases.len() > 60, "{} cases", cases.len());
}
