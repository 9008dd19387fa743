//! No secret reaches any output: a whole domain lifecycle through the binary (genesis, an
//! official checking their share, sealing, unlock at the embassy, opening, a drill, a request,
//! two remote contributions and an unlock taking them, audit and inspect of every file), with
//! known passphrases and PINs, then every stdout, stderr and written
//! file is searched for the passphrases, the PINs, the domain key, the seeds of the domain
//! signing key that signs the transcript's ceremonies, and every share's scalars — as text in hex
//! (either case) and as raw bytes. The domain key is rebuilt in this process from the share
//! files, so the search knows exactly what it must not find. `Debug` of every secret type is
//! checked the same way.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod room;

use std::path::Path;

use custody::domain::Manifest;
use custody::primitives::secret::{Passphrase, Pin};
use custody::shares::sealed::SealedShare;
use custody::shares::{combine, Share};
use room::{passphrase, Room, Run, OFFICIALS};

/// A secret and the name it is reported under when found.
struct Secret {
    name: String,
    bytes: Vec<u8>,
}

impl Secret {
    fn text(name: &str, text: &str) -> Self {
        Self {
            name: name.to_owned(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    /// The bytes themselves, and their hex in lower and upper case.
    fn forms(&self) -> Vec<Vec<u8>> {
        let hex = hex::encode(&self.bytes);
        vec![
            self.bytes.clone(),
            hex.clone().into_bytes(),
            hex.to_uppercase().into_bytes(),
        ]
    }
}

/// Everything the search covers: what each command printed and each file under the room.
struct Haystack(Vec<(String, Vec<u8>)>);

impl Haystack {
    fn run(&mut self, what: &str, run: &Run) {
        assert!(run.ok, "{what} failed: {}{}", run.stdout, run.stderr);
        self.0
            .push((format!("{what}: stdout"), run.stdout.clone().into_bytes()));
        self.0
            .push((format!("{what}: stderr"), run.stderr.clone().into_bytes()));
    }

    /// Every file under `dir`, except those in `skip` and the PIN files (`*.pin`): the files
    /// that hold secrets by design.
    fn files(&mut self, dir: &Path, skip: &[&Path]) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let pin_file = path.extension().is_some_and(|e| e == "pin");
            if pin_file || skip.iter().any(|s| path.starts_with(s)) {
                continue;
            }
            if path.is_dir() {
                self.files(&path, skip);
            } else {
                self.0
                    .push((path.display().to_string(), std::fs::read(&path).unwrap()));
            }
        }
    }

    fn assert_free_of(&self, secrets: &[Secret]) {
        for secret in secrets {
            for form in secret.forms() {
                for (place, content) in &self.0 {
                    assert!(
                        !content.windows(form.len()).any(|window| window == form),
                        "{} found in {place}",
                        secret.name
                    );
                }
            }
        }
    }
}

#[test]
fn no_secret_reaches_any_output_or_written_file() {
    let room = Room::new();
    let mut haystack = Haystack(Vec::new());
    haystack.run("genesis", &room.genesis());
    let manifest_path = room.dir().join("manifest.json");
    let manifest = manifest_path.to_str().unwrap();
    let cio_pass = room.pdir.join("cio.pass");
    haystack.run(
        "share verify",
        &room.custody(&[
            "share",
            "verify",
            "--manifest",
            manifest,
            "--passphrase-file",
            cio_pass.to_str().unwrap(),
            &room.share("cio"),
        ]),
    );
    let registry = room.hsm.dir().join("population.csv");
    std::fs::write(&registry, b"id,name\n1,Mari Maasikas\n").unwrap();
    let archives = room.hsm.dir().join("archives");
    std::fs::create_dir(&archives).unwrap();
    let home = room.home.uri.to_string();
    haystack.run(
        "seal",
        &room.custody(&[
            "seal",
            "--manifest",
            manifest,
            "--hsm",
            &home,
            "--out-dir",
            archives.to_str().unwrap(),
            registry.to_str().unwrap(),
        ]),
    );
    let quorum = [room.share("cio"), room.share("ria"), room.share("justice")];
    haystack.run("unlock", &room.unlock(&quorum));
    let archive = archives.join("population.csv.custody");
    let restored = room.hsm.dir().join("restored.csv");
    haystack.run(
        "open",
        &room.custody(&[
            "open",
            "--hsm",
            &room.embassy.uri.to_string(),
            archive.to_str().unwrap(),
            "-o",
            restored.to_str().unwrap(),
        ]),
    );
    let mut drill = vec!["drill", "--manifest", manifest, "--passphrases"];
    drill.push(room.pdir.to_str().unwrap());
    drill.extend(quorum.iter().map(String::as_str));
    haystack.run("drill", &room.custody(&drill));
    haystack.run(
        "audit",
        &room.custody(&["audit", room.dir().to_str().unwrap()]),
    );
    // Remote contribution: a request on a third token, two officials contributing from their
    // own directories, an unlock taking the contributions beside a share file at the keyboard.
    let remote = room.hsm.token("remote");
    let request = room.hsm.dir().join("unlock.request");
    haystack.run(
        "request",
        &room.custody(&[
            "request",
            "--manifest",
            manifest,
            "--hsm",
            &remote.uri.to_string(),
            "--purpose",
            "unlock",
            "--out",
            request.to_str().unwrap(),
        ]),
    );
    let contributions = room.hsm.dir().join("contributions");
    std::fs::create_dir(&contributions).unwrap();
    for id in ["cio", "ria"] {
        let pass = room.pdir.join(format!("{id}.pass"));
        let out = contributions.join(id);
        haystack.run(
            "share contribute",
            &room.custody(&[
                "share",
                "contribute",
                "--request",
                request.to_str().unwrap(),
                &room.share(id),
                "--out",
                out.to_str().unwrap(),
                "--passphrase-file",
                pass.to_str().unwrap(),
            ]),
        );
    }
    haystack.run(
        "unlock with contributions",
        &room.custody(&[
            "unlock",
            "--manifest",
            manifest,
            "--hsm",
            &remote.uri.to_string(),
            "--session-only",
            "--passphrases",
            room.pdir.to_str().unwrap(),
            "--request",
            request.to_str().unwrap(),
            "--contributions",
            contributions.to_str().unwrap(),
            &room.share("justice"),
        ]),
    );
    let contribution = contributions.join("cio");
    for file in [
        manifest,
        &room.share("cio"),
        archive.to_str().unwrap(),
        request.to_str().unwrap(),
        contribution.to_str().unwrap(),
    ] {
        haystack.run("inspect", &room.custody(&["inspect", file]));
    }
    // Scripted mode's passphrase files and SoftHSM's token store hold secrets by design.
    let tokens = room.hsm.dir().join("tokens");
    haystack.files(room.hsm.dir(), &[&room.pdir, &tokens]);

    let mut secrets: Vec<Secret> = OFFICIALS
        .iter()
        .map(|(id, _)| Secret::text(&format!("the passphrase of {id}"), &passphrase(id)))
        .collect();
    for (name, token) in [
        ("home", &room.home),
        ("embassy", &room.embassy),
        ("remote", &remote),
    ] {
        secrets.push(Secret::text(&format!("the {name} PIN"), &token.pin()));
    }
    let manifest = Manifest::load(&manifest_path).unwrap();
    let shares: Vec<Share> = OFFICIALS
        .iter()
        .map(|(id, _)| {
            let sealed = SealedShare::parse(&std::fs::read(room.share(id)).unwrap()).unwrap();
            manifest
                .open_share(&sealed, &Passphrase::from(passphrase(id)))
                .unwrap()
        })
        .collect();
    for (share, (id, _)) in shares.iter().zip(OFFICIALS) {
        let bytes = share.to_bytes();
        for (part, range) in [("value", 2..34), ("blinder", 34..66)] {
            secrets.push(Secret {
                name: format!("the share {part} of {id}"),
                bytes: bytes.expose()[range].to_vec(),
            });
        }
    }
    let key = combine(
        &shares[..3],
        manifest.threshold(),
        manifest.verifier_set(),
        manifest.key_id(),
    )
    .unwrap();
    secrets.push(Secret {
        name: "the domain key".to_owned(),
        bytes: key.expose().to_vec(),
    });
    // The domain signing key's seeds (FORMAT.md 10.1), derived here independently: the signed
    // ceremonies of the transcript were signed with them, and nothing may show them.
    assert!(
        std::fs::read_to_string(room.dir().join("transcript.jsonl"))
            .unwrap()
            .contains(".signed\""),
        "the transcript searched holds signed ceremonies"
    );
    for (name, info) in [
        (
            "the ML-DSA-65 signing seed",
            "custody/domain-signing/v1/ml-dsa-65",
        ),
        (
            "the Ed25519 signing key",
            "custody/domain-signing/v1/ed25519",
        ),
    ] {
        let mut seed = [0u8; 32];
        hkdf::Hkdf::<sha2::Sha256>::new(None, key.expose())
            .expand(info.as_bytes(), &mut seed)
            .unwrap();
        secrets.push(Secret {
            name: name.to_owned(),
            bytes: seed.to_vec(),
        });
    }
    haystack.assert_free_of(&secrets);

    // Debug of every secret type, formatted plainly and with {:#?}.
    let mut debug = Haystack(Vec::new());
    let pin = Pin::from(room.home.pin());
    let pass = Passphrase::from(passphrase("cio"));
    let signing_key = custody::primitives::signature::SigningKey::derive(&key);
    for (what, text) in [
        ("DomainKey", format!("{key:?}{key:#?}")),
        ("SigningKey", format!("{signing_key:?}{signing_key:#?}")),
        ("Share", format!("{:?}{:#?}", shares[0], shares[0])),
        ("SecretBytes", format!("{:?}", shares[0].to_bytes())),
        ("Pin", format!("{pin:?}")),
        ("Passphrase", format!("{pass:?}")),
    ] {
        let decimal = format!("{:?}", key.expose());
        assert!(!text.contains(&decimal[1..decimal.len() - 1]), "{what}");
        debug
            .0
            .push((format!("Debug of {what}"), text.into_bytes()));
    }
    debug.assert_free_of(&secrets);
}
