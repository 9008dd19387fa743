//! The demo: the whole story of a data embassy on throwaway SoftHSM tokens, narrated for a
//! newcomer. A 3-of-5 genesis at home; the registries' backups sealed; the home token destroyed;
//! three officials unlocking the key into the embassy's token, one of them first offering a
//! damaged share that is named and refused; every backup opened and checked byte for byte; the
//! transcript audited. Everything lives in a temporary directory removed at the end.

use std::path::{Path, PathBuf};

use crate::archive::{self, Archive, ArchiveSpec, Metadata, TokenKey};
use crate::domain::{parse_officials, Manifest, ManifestChain, Official, Timestamp};
use crate::files::write_atomic;
use crate::hsm::{Persistence, Pkcs11Uri, ThrowawaySoftHsm, TokenSession};
use crate::primitives::kdf::KdfParams;
use crate::primitives::random;
use crate::readout::hex_groups;

use super::attendant::{Attendant, Event};
use super::audit::{audit_domain, DomainAudit};
use super::error::CeremonyError;
use super::genesis::{genesis, GenesisRequest};
use super::trust::Expected;
use super::unlock::{unlock, UnlockRequest, Unlocked};

/// The officials of the demo: the example file the ceremonies directory ships.
const OFFICIALS: &str = include_str!("../../ceremonies/officials.example.toml");

/// What the demo showed.
#[derive(Debug, Clone)]
pub struct DemoOutcome {
    /// Backups opened at the embassy and found identical to the originals.
    pub archives_checked: usize,
    /// Officials whose shares rebuilt the key.
    pub accepted: Vec<String>,
    /// The transcript's closing digest after the audit.
    pub closing_digest: [u8; 32],
}

/// Runs the demo. `attendant_for` gets the directory of the officials' passphrase files (the
/// demo's stand-in for officials typing) and returns the attendant that narrates.
pub fn demo(
    attendant_for: &mut dyn FnMut(&Path) -> Box<dyn Attendant>,
) -> Result<DemoOutcome, CeremonyError> {
    let hsm = ThrowawaySoftHsm::create()?;
    let home = hsm.token("home")?;
    let embassy = hsm.token("embassy")?;
    let officials = parse_officials(OFFICIALS)
        .map_err(|e| CeremonyError::refused(e, "the example officials file is broken"))?;
    let pdir = write_passphrases(hsm.dir(), &officials)?;
    let mut attendant = attendant_for(&pdir);
    let attendant = attendant.as_mut();
    let dir = hsm.dir().join("ee-registries");
    genesis_at_home(&home, officials, &dir, attendant)?;
    let originals = hsm.dir().join("registries");
    let sealed = seal_at_home(&home, &dir, &originals, hsm.dir(), attendant)?;
    lose_home(&hsm, &home, attendant)?;
    let unlocked = unlock_at_embassy(embassy, &dir, hsm.dir(), attendant)?;
    open_at_embassy(&unlocked, &sealed, &originals, attendant)?;
    let accepted = unlocked.accepted.clone();
    drop(unlocked);
    let audit = audit_chapter(&dir, attendant)?;
    Ok(DemoOutcome {
        archives_checked: sealed.len(),
        accepted,
        closing_digest: audit.closing_digest,
    })
}

fn say(attendant: &mut dyn Attendant, text: &str) {
    attendant.announce(&Event::Step(text.to_owned()));
}

/// Each official's invented passphrase in `PDIR/<official-id>.pass` under `dir`; returns PDIR.
fn write_passphrases(dir: &Path, officials: &[Official]) -> Result<PathBuf, CeremonyError> {
    let pdir = dir.join("passphrases");
    std::fs::create_dir(&pdir).map_err(CeremonyError::io(&pdir))?;
    for official in officials {
        let file = pdir.join(format!("{}.pass", official.id()));
        write_atomic(&file, invent_passphrase()?.as_bytes()).map_err(CeremonyError::io(&file))?;
    }
    Ok(pdir)
}

/// Chapter 1: the genesis ceremony at home, into `dir`.
fn genesis_at_home(
    home: &Pkcs11Uri,
    officials: Vec<Official>,
    dir: &Path,
    attendant: &mut dyn Attendant,
) -> Result<(), CeremonyError> {
    attendant.announce(&Event::Chapter("1. At home: the genesis ceremony".into()));
    say(attendant, "Two throwaway HSM tokens stand in for real HSMs: \"home\", in the state's data centre, and \"embassy\", in the data embassy abroad.");
    say(attendant, "Five officials will each hold one share of the domain key; any three of them can rebuild it, two cannot.");
    say(attendant, "(In this demo each official's passphrase comes from a file; at a real ceremony they type it, unseen.)");
    let outcome = genesis(
        &GenesisRequest {
            domain: "ee-registries".into(),
            officials,
            threshold: 3,
            tokens: vec![home.clone()],
            site: Some("Tallinn".into()),
            out: dir.to_owned(),
            kdf: KdfParams::default(),
        },
        attendant,
    )?;
    say(
        attendant,
        &format!(
            "Genesis complete. Manifest digest, read aloud at the ceremony: {}",
            hex_groups(outcome.manifest_digest.as_bytes())
        ),
    );
    Ok(())
}

/// Chapter 2: the registries (written to `originals`) sealed at home into `work/archives`.
fn seal_at_home(
    home: &Pkcs11Uri,
    dir: &Path,
    originals: &Path,
    work: &Path,
    attendant: &mut dyn Attendant,
) -> Result<Vec<(String, PathBuf)>, CeremonyError> {
    attendant.announce(&Event::Chapter(
        "2. At home: sealing the registries' backups".into(),
    ));
    let manifest = ManifestChain::load(&dir.join("manifest.json"))?.into_in_force();
    let archives = work.join("archives");
    for path in [originals, &archives] {
        std::fs::create_dir(path).map_err(CeremonyError::io(path))?;
    }
    seal_registries(home, &manifest, originals, &archives, attendant)
}

/// Chapter 3: the home token is destroyed, and seen to be gone.
fn lose_home(
    hsm: &ThrowawaySoftHsm,
    home: &Pkcs11Uri,
    attendant: &mut dyn Attendant,
) -> Result<(), CeremonyError> {
    attendant.announce(&Event::Chapter("3. Disaster: the home site is lost".into()));
    hsm.destroy("home")?;
    match TokenSession::open(home, &mut |_| Err(std::io::ErrorKind::NotFound.into())) {
        Ok(_) => Err(CeremonyError::refused(
            "the home token survived its destruction",
            "report this: SoftHSM did not wipe the token",
        )),
        Err(_) => {
            say(attendant, "The home HSM is gone: it was wiped, every key on it erased, and no token \"home\" answers any more. Only the embassy's token, its copies of the archives, the public manifest and the officials' share files remain.");
            Ok(())
        }
    }
}

/// Chapter 4: three officials unlock the key into the embassy's token, after a damaged share
/// (copied into `work`) is refused.
fn unlock_at_embassy(
    embassy: Pkcs11Uri,
    dir: &Path,
    work: &Path,
    attendant: &mut dyn Attendant,
) -> Result<Unlocked, CeremonyError> {
    attendant.announce(&Event::Chapter(
        "4. At the embassy: three officials unlock the key".into(),
    ));
    let damaged = damaged_copy(&dir.join("shares/justice.share"), work)?;
    say(attendant, "The Minister of Justice first offers a copy of her share file that was damaged in transit; custody must name it and refuse it. She then fetches her good copy from its sealed bag and offers it after the others.");
    let shares = vec![
        damaged,
        dir.join("shares/cio.share"),
        dir.join("shares/ria.share"),
        dir.join("shares/justice.share"),
    ];
    unlock(
        &UnlockRequest {
            manifest: dir.join("manifest.json"),
            target: embassy,
            site: Some("Luxembourg".into()),
            persistence: Persistence::Token,
            shares,
            expect: Expected::default(),
            new_transcript: false,
            remote: None,
        },
        attendant,
    )
}

/// Chapter 5: every backup opened with the embassy's key and compared with its original.
fn open_at_embassy(
    unlocked: &Unlocked,
    sealed: &[(String, PathBuf)],
    originals: &Path,
    attendant: &mut dyn Attendant,
) -> Result<(), CeremonyError> {
    attendant.announce(&Event::Chapter(
        "5. At the embassy: opening the backups".into(),
    ));
    let key = TokenKey::find(
        &unlocked.session,
        unlocked.manifest.key_ref(),
        unlocked.manifest.wrap_check(),
    )?;
    for (name, archive_path) in sealed {
        let bytes = std::fs::read(archive_path).map_err(CeremonyError::io(archive_path))?;
        let mut opened = Vec::new();
        Archive::read(bytes.as_slice())?.open(&key, &mut opened, &|_| {})?;
        let original_path = originals.join(name);
        let original = std::fs::read(&original_path).map_err(CeremonyError::io(&original_path))?;
        if opened != original {
            return Err(CeremonyError::refused(
                format!("{name} opened but differs from the original"),
                "report this: it is a bug",
            ));
        }
        say(attendant, &format!("{name}: opened with the embassy's key, identical to the original, byte for byte ({} bytes)", opened.len()));
    }
    Ok(())
}

/// Chapter 6: the auditor checks the domain directory.
fn audit_chapter(dir: &Path, attendant: &mut dyn Attendant) -> Result<DomainAudit, CeremonyError> {
    attendant.announce(&Event::Chapter(
        "6. The auditor checks the transcript".into(),
    ));
    let audit = audit_domain(dir)?;
    say(
        attendant,
        &format!(
            "{} transcript entries, hash chain intact, ceremonies: {}; {} closed with a signature \
             by the domain key.",
            audit.entries,
            audit
                .ceremonies
                .iter()
                .map(|c| c.ceremony.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            audit.signed.signed.len()
        ),
    );
    Ok(audit)
}

/// Writes sample registries and seals each under the home token's key, in one session.
fn seal_registries(
    home: &Pkcs11Uri,
    manifest: &Manifest,
    originals: &Path,
    archives: &Path,
    attendant: &mut dyn Attendant,
) -> Result<Vec<(String, PathBuf)>, CeremonyError> {
    let session = TokenSession::open(home, &mut |token| attendant.token_pin(token))?;
    let kek = TokenKey::find(&session, manifest.key_ref(), manifest.wrap_check())?;
    let mut sealed = Vec::new();
    for (name, content) in sample_registries() {
        let original = originals.join(name);
        write_atomic(&original, &content).map_err(CeremonyError::io(&original))?;
        let spec = ArchiveSpec {
            metadata: Metadata {
                name: Some(name.to_owned()),
                size: Some(content.len() as u64),
                content_type: Some(
                    if name.ends_with(".json") {
                        "application/json"
                    } else {
                        "text/csv"
                    }
                    .into(),
                ),
                created: Some(Timestamp::now().unix_seconds()),
            },
            ..ArchiveSpec::new(manifest.key_ref().clone())
        };
        let path = archives.join(format!("{name}.custody"));
        let mut out = Vec::new();
        let summary = archive::seal(&kek, &spec, content.as_slice(), &mut out, &|_| {})?;
        write_atomic(&path, &out).map_err(CeremonyError::io(&path))?;
        attendant.announce(&Event::Step(format!(
            "{name} ({} bytes) sealed as {} in {} chunk(s), under a fresh data key the home HSM wrapped",
            content.len(),
            path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            summary.chunks
        )));
        sealed.push((name.to_owned(), path));
    }
    Ok(sealed)
}

/// Made-up registry extracts, large enough to span several archive chunks.
fn sample_registries() -> Vec<(&'static str, Vec<u8>)> {
    const GIVEN: [&str; 8] = [
        "Mari", "Jaan", "Liis", "Toomas", "Kadri", "Andres", "Piret", "Mart",
    ];
    const FAMILY: [&str; 8] = [
        "Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves",
    ];
    const PLACES: [&str; 6] = [
        "Tallinn",
        "Tartu",
        "Narva",
        "Pärnu",
        "Kuressaare",
        "Viljandi",
    ];
    let mut population = String::from("person_id,given_name,family_name,born,residence\n");
    for i in 0..40_000usize {
        population += &format!(
            "3{:010},{},{},{}-{:02}-{:02},{}\n",
            i * 7919 % 10_000_000_000,
            GIVEN[i % 8],
            FAMILY[i / 8 % 8],
            1930 + i % 90,
            1 + i % 12,
            1 + i % 28,
            PLACES[i % 6]
        );
    }
    let mut land = String::from("parcel,place,area_m2,owner_id\n");
    for i in 0..10_000usize {
        land += &format!(
            "{}:{:03}:{:04},{},{},3{:010}\n",
            10 + i % 90,
            i % 1000,
            i,
            PLACES[i % 6],
            400 + i * 37 % 9000,
            i * 104_729 % 10_000_000_000
        );
    }
    let business = format!(
        "{{\"register\":\"business\",\"entries\":[{}]}}\n",
        (0..2_000)
            .map(|i| format!(
                "{{\"code\":{},\"name\":\"{} {} OÜ\"}}",
                10_000_000 + i,
                FAMILY[i % 8],
                PLACES[i % 6]
            ))
            .collect::<Vec<_>>()
            .join(",")
    );
    vec![
        ("population-register.csv", population.into_bytes()),
        ("land-register.csv", land.into_bytes()),
        ("business-register.json", business.into_bytes()),
    ]
}

/// A copy of a share file with one byte of its ciphertext flipped, as transit damage would.
fn damaged_copy(share: &Path, dir: &Path) -> Result<PathBuf, CeremonyError> {
    let mut bytes = std::fs::read(share).map_err(CeremonyError::io(share))?;
    let middle = bytes.len() / 2;
    if let Some(byte) = bytes.get_mut(middle) {
        *byte ^= 0x20;
    }
    let copy = dir.join("justice-copy-damaged-in-transit.share");
    write_atomic(&copy, &bytes).map_err(CeremonyError::io(&copy))?;
    Ok(copy)
}

/// A random demo passphrase: six groups of hex.
fn invent_passphrase() -> Result<String, CeremonyError> {
    let mut bytes = [0u8; 18];
    random::fill(&mut bytes)
        .map_err(|e| CeremonyError::failed(e, "the machine has no randomness"))?;
    Ok(bytes
        .chunks(3)
        .map(hex::encode)
        .collect::<Vec<_>>()
        .join(" "))
}
