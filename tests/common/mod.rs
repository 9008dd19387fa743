//! The test harness: real SoftHSM tokens, isolated per test. SoftHSM reads `SOFTHSM2_CONF` once
//! per process, so each test process gets its own configuration in a temporary directory, set
//! before any module is loaded, and each test gets a fresh token of its own from a pool made
//! before any test runs. Without SoftHSM every test fails loudly with the install hint; none
//! passes or skips silently.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use custody::hsm::{Pkcs11Uri, TokenSession};

pub mod format_doc;
pub mod snapshot;

/// What to do when SoftHSM is missing.
pub const INSTALL_HINT: &str =
    "SoftHSM2 and OpenSC are needed for these tests: run `bash hsm/install-softhsm.sh` as root (or `sudo apt-get install -y softhsm2 opensc`)";

/// The argon2 costs every command-line test gives a ceremony: tiny, so the suite stays fast (the
/// strong defaults stay the defaults), and so with `--insecure-kdf`.
pub const TINY_KDF: [&str; 7] = [
    "--kdf-memory-kib",
    "64",
    "--kdf-passes",
    "1",
    "--kdf-lanes",
    "1",
    "--insecure-kdf",
];

/// The names in `dir`, sorted: what a test compares to spot a leftover or a missing file.
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Where docs/FORMAT.md 8.4 keeps the share set of the manifest at chain position `position`
/// once it is superseded: `history/shares-e<epoch>-<first 8 hex digits of its set id>`, relative
/// to the domain directory `dir`.
pub fn superseded_shares(dir: &Path, position: u64) -> String {
    let file = dir.join(format!("chain/{position:06}.json"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    let set_id = manifest["set_id"].as_str().unwrap();
    format!("history/shares-e{}-{}", manifest["epoch"], &set_id[..8])
}

/// Every empty directory under `dir` (itself included), relative to it: a ceremony leaves none.
pub fn empty_directories(dir: &Path) -> Vec<String> {
    let mut empty = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(next) = stack.pop() {
        let entries: Vec<_> = std::fs::read_dir(&next)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        if entries.is_empty() {
            empty.push(next.strip_prefix(dir).unwrap().display().to_string());
        }
        stack.extend(
            entries
                .iter()
                .filter(|entry| entry.file_type().unwrap().is_dir())
                .map(std::fs::DirEntry::path),
        );
    }
    empty
}

/// Tokens made for each test process before any test runs.
const POOL_SIZE: usize = 24;

/// This process's SoftHSM configuration and its pre-made tokens.
struct Pool {
    dir: tempfile::TempDir,
    free: Mutex<Vec<String>>,
}

/// SoftHSM crashes when a token is initialized while other threads use the module, and it does
/// not see tokens another process creates after it initialized. So every token a test process
/// needs is initialized here, in this process, before any test touches the module.
fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        softhsm_module();
        let dir = tempfile::Builder::new()
            .prefix("custody-test-")
            .tempdir()
            .unwrap();
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).unwrap();
        let template =
            std::fs::read_to_string(repo_root().join("hsm/softhsm2.conf.template")).unwrap();
        let conf = dir.path().join("softhsm2.conf");
        std::fs::write(
            &conf,
            template.replace("@SOFTHSM2_TOKENDIR@", tokens.to_str().unwrap()),
        )
        .unwrap();
        // Set now, before the module loads: SoftHSM reads it once per process.
        std::env::set_var("SOFTHSM2_CONF", &conf);
        let labels: Vec<String> = (0..POOL_SIZE).rev().map(|n| format!("test-{n}")).collect();
        for label in &labels {
            let pin = format!("user-pin-{label}");
            write_private(&dir.path().join(format!("{label}.user.pin")), &pin);
            raw::init_token(label, &pin);
        }
        Pool {
            dir,
            free: Mutex::new(labels),
        }
    })
}

fn softhsm_dir() -> &'static Path {
    pool().dir.path()
}

/// The SoftHSM module, or a panic with the install hint.
pub fn softhsm_module() -> PathBuf {
    custody::hsm::SOFTHSM_PATHS
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{INSTALL_HINT}"))
}

/// The repository root.
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh token of its own for one test.
#[derive(Debug, Clone)]
pub struct TestToken {
    /// The token label.
    pub label: String,
    /// The URI with module-path and pin-source.
    pub uri: Pkcs11Uri,
    /// The user PIN file.
    pub pin_file: PathBuf,
    /// The SoftHSM configuration that holds the token.
    pub conf: PathBuf,
}

impl TestToken {
    /// A fresh token of this test's own.
    pub fn new() -> Self {
        let label = pool()
            .free
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop()
            .unwrap_or_else(|| panic!("this test process used all {POOL_SIZE} test tokens: raise POOL_SIZE in tests/common/mod.rs"));
        let pin_file = softhsm_dir().join(format!("{label}.user.pin"));
        let uri = format!(
            "pkcs11:token={label}?module-path={}&pin-source=file:{}",
            softhsm_module().display(),
            pin_file.display()
        )
        .parse()
        .unwrap();
        Self {
            label,
            uri,
            pin_file,
            conf: softhsm_dir().join("softhsm2.conf"),
        }
    }

    /// A logged-in session.
    pub fn session(&self) -> TokenSession {
        TokenSession::open(&self.uri, &mut |_| {
            panic!("the test URI names a pin-source")
        })
        .unwrap()
    }

    /// The user PIN, for raw PKCS#11 access in tests.
    pub fn pin(&self) -> String {
        std::fs::read_to_string(&self.pin_file)
            .unwrap()
            .trim_end()
            .to_owned()
    }

    /// The URI as text with extra query attributes replaced.
    pub fn uri_with(&self, edit: impl FnOnce(&mut Pkcs11Uri)) -> Pkcs11Uri {
        let mut uri = self.uri.clone();
        edit(&mut uri);
        uri
    }

    /// Environment for child processes using this token.
    pub fn softhsm_conf(&self) -> PathBuf {
        self.conf.clone()
    }
}

/// A SoftHSM configuration of its own, for tests that run `custody` as a child process.
///
/// A child process reads every token of its configuration when it starts; one that shares the
/// test process's configuration can read a token file while another test is writing it (a failed
/// login updates the token's counters) and get `CKR_GENERAL_ERROR`. Tokens here are made by
/// `hsm/new-token.sh`, the script users run, and this test process never loads them.
#[derive(Debug)]
pub struct OwnSoftHsm {
    dir: tempfile::TempDir,
}

impl OwnSoftHsm {
    /// A new, empty configuration.
    pub fn new() -> Self {
        softhsm_module();
        Self {
            dir: tempfile::Builder::new()
                .prefix("custody-own-hsm-")
                .tempdir()
                .unwrap(),
        }
    }

    /// A new, empty configuration inside `parent`: for a configuration kept in a `static`, which
    /// is never dropped, so that the next run can clear `parent`.
    pub fn new_in(parent: &Path) -> Self {
        softhsm_module();
        std::fs::create_dir_all(parent).unwrap();
        Self {
            dir: tempfile::Builder::new()
                .prefix("custody-own-hsm-")
                .tempdir_in(parent)
                .unwrap(),
        }
    }

    /// The directory holding the configuration, tokens and PIN files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Adds a token labelled `label`.
    pub fn token(&self, label: &str) -> TestToken {
        let output = std::process::Command::new("bash")
            .arg(repo_root().join("hsm/new-token.sh"))
            .arg(self.dir.path())
            .arg(label)
            .output()
            .unwrap_or_else(|e| panic!("cannot run hsm/new-token.sh: {e}; {INSTALL_HINT}"));
        assert!(
            output.status.success(),
            "hsm/new-token.sh failed: {}\n{INSTALL_HINT}",
            String::from_utf8_lossy(&output.stderr)
        );
        let uri = String::from_utf8(output.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        TestToken {
            label: label.to_owned(),
            uri,
            pin_file: self.dir.path().join(format!("{label}.user.pin")),
            conf: self.dir.path().join("softhsm2.conf"),
        }
    }
}

/// Raw PKCS#11 access, for tests that attack the objects custody made.
pub mod raw {
    use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
    use cryptoki::error::RvError;
    use cryptoki::session::{Session, UserType};
    use secrecy::SecretString;
    use std::sync::OnceLock;

    use super::TestToken;

    /// The module, initialized once per process and never dropped: unloading SoftHSM while
    /// another thread uses it would pull its state from under that thread.
    fn context() -> &'static Pkcs11 {
        static CONTEXT: OnceLock<Pkcs11> = OnceLock::new();
        CONTEXT.get_or_init(|| {
            let context = Pkcs11::new(super::softhsm_module()).unwrap();
            match context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
                Ok(())
                | Err(cryptoki::error::Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
                Err(e) => panic!("C_Initialize: {e}"),
            }
            context
        })
    }

    /// Initializes a token in the free slot, with a user PIN.
    pub(super) fn init_token(label: &str, pin: &str) {
        let context = context();
        let initialized = context.get_slots_with_initialized_token().unwrap();
        let free = context
            .get_all_slots()
            .unwrap()
            .into_iter()
            .find(|slot| !initialized.contains(slot))
            .expect("SoftHSM keeps a free slot");
        let so_pin = SecretString::from(format!("so-{label}"));
        context.init_token(free, &so_pin, label).unwrap();
        let session = context.open_rw_session(free).unwrap();
        session.login(UserType::So, Some(&so_pin)).unwrap();
        session
            .init_pin(&SecretString::from(pin.to_owned()))
            .unwrap();
        session.logout().unwrap();
    }

    /// A raw session logged in on the test token.
    pub fn session(token: &TestToken) -> Session {
        let context = context();
        let slot = context
            .get_slots_with_token()
            .unwrap()
            .into_iter()
            .find(|slot| context.get_token_info(*slot).unwrap().label().trim_end() == token.label)
            .expect("the test token is visible");
        let session = context.open_rw_session(slot).unwrap();
        match session.login(UserType::User, Some(&SecretString::from(token.pin()))) {
            Ok(()) | Err(cryptoki::error::Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(e) => panic!("C_Login: {e}"),
        }
        session
    }
}

/// The domain key of `manifest`, rebuilt from `shares` as a quorum would, each opened with its
/// official's passphrase in `pdir/<official>.pass`.
pub fn rebuild_key(
    manifest: &custody::domain::Manifest,
    shares: &[PathBuf],
    pdir: &Path,
) -> [u8; 32] {
    let shares: Vec<_> = shares
        .iter()
        .map(|file| {
            let sealed =
                custody::shares::sealed::SealedShare::parse(&std::fs::read(file).unwrap()).unwrap();
            let pass = pdir.join(format!("{}.pass", sealed.header().official));
            let passphrase = custody::primitives::secret::Passphrase::from(
                std::fs::read_to_string(pass).unwrap(),
            );
            manifest.open_share(&sealed, &passphrase).unwrap()
        })
        .collect();
    let key = custody::shares::combine(
        &shares,
        manifest.threshold(),
        manifest.verifier_set(),
        manifest.key_id(),
    )
    .unwrap();
    *key.expose()
}

/// A quorum's seal as FORMAT.md 8.1 specifies it, computed here independently of custody's code:
/// HMAC-SHA256 over `facts` under HKDF-SHA256(key, no salt, `label`).
pub fn quorum_seal(key: &[u8; 32], label: &[u8], facts: &[u8]) -> String {
    use hmac::Mac;
    let mut seal_key = [0u8; 32];
    hkdf::Hkdf::<sha2::Sha256>::new(None, key)
        .expand(label, &mut seal_key)
        .unwrap();
    let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::KeyInit>::new_from_slice(&seal_key).unwrap();
    mac.update(facts);
    hex::encode(mac.finalize().into_bytes())
}

/// Checks the signed ceremonies of the transcript at `transcript` as `custody audit` will once the
/// manifest chain publishes the verifying keys: here each epoch's key is derived from its domain
/// key (`keys`: epoch and key bytes, rebuilt from shares with [`rebuild_key`]).
pub fn check_signed(
    transcript: &Path,
    keys: &[(u32, [u8; 32])],
) -> Result<custody::ceremony::transcript_signature::SignedReport, custody::ceremony::CeremonyError>
{
    use custody::ceremony::transcript_signature::check_signed_ceremonies;
    use custody::primitives::secret::DomainKey;
    use custody::primitives::signature::SigningKey;
    let keys: Vec<_> = keys
        .iter()
        .map(|(epoch, key)| {
            let key = DomainKey::from_bytes(&mut key.to_owned());
            (*epoch, SigningKey::derive(&key).verifying_key())
        })
        .collect();
    let key_for_epoch = |epoch| {
        keys.iter()
            .find(|(known, _)| *known == epoch)
            .map(|(_, key)| key.clone())
    };
    let entries = custody::ceremony::transcript::read_closed(transcript)
        .unwrap()
        .entries;
    check_signed_ceremonies(&entries, &key_for_epoch)
}

/// A forger with write access to a transcript: writes `lines` (without their newlines) with
/// every `seq` and `prev` recomputed from the first line on, so that the hash chain is whole
/// again — whatever was edited, inserted, removed or reordered.
pub fn rechain(transcript: &Path, lines: &[String]) {
    use sha2::Digest;
    let mut prev = "0".repeat(64);
    let mut text = String::new();
    for (index, line) in lines.iter().enumerate() {
        let mut entry: custody::ceremony::transcript::Entry = serde_json::from_str(line).unwrap();
        entry.seq = index as u64 + 1;
        entry.prev = prev;
        let line = serde_json::to_string(&entry).unwrap();
        prev = hex::encode(sha2::Sha256::digest(line.as_bytes()));
        text += &format!("{line}\n");
    }
    std::fs::write(transcript, text).unwrap();
}

/// The lines of a text file, without their newlines.
pub fn lines_of(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Writes a secret file (passphrase, PIN) as custody requires it: private to its owner (0600).
pub fn write_private(path: &Path, contents: impl AsRef<[u8]>) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, contents).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// Copies the directory `from` to `to`, recursively (a stale copy of a domain directory).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// What a PIN holder can do with the token's own tools: delete custody's chain record of
/// `domain` (OpenSC's `pkcs11-tool`, logged in with the token's PIN).
pub fn delete_chain_record(token: &TestToken, domain: &str) {
    let label = format!("custody:{domain}:chain");
    pkcs11_tool(
        token,
        &["--delete-object", "--type", "data", "--label", &label],
    );
}

/// What a PIN holder can do with the token's own tools: make an AES-256 key labelled `label`
/// with `pkcs11-tool`'s default attributes (it can encrypt and decrypt).
pub fn plant_key(token: &TestToken, label: &str) {
    pkcs11_tool(
        token,
        &["--keygen", "--key-type", "AES:32", "--label", label],
    );
}

/// What a PIN holder can do with the token's own tools: make a private data object labelled
/// `label` holding the bytes of `value_file`.
pub fn plant_data_object(token: &TestToken, label: &str, value_file: &Path) {
    let value = value_file.to_str().unwrap();
    pkcs11_tool(
        token,
        &[
            "--write-object",
            value,
            "--type",
            "data",
            "--private",
            "--label",
            label,
        ],
    );
}

/// Runs OpenSC's `pkcs11-tool` on `token`, logged in with its PIN.
fn pkcs11_tool(token: &TestToken, args: &[&str]) {
    let output = std::process::Command::new("pkcs11-tool")
        .env("SOFTHSM2_CONF", token.softhsm_conf())
        .args([
            "--module",
            softhsm_module().to_str().unwrap(),
            "--token-label",
            &token.label,
            "--login",
            "--pin",
            &token.pin(),
        ])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run pkcs11-tool: {e}; {INSTALL_HINT}"));
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The Python of the cross-check environment that tests/crosscheck/install.sh makes (in the
/// cargo home, or `CUSTODY_CROSSCHECK_VENV`); `what` names the cross-check for the install hint
/// when it is missing.
pub fn crosscheck_python(what: &str) -> PathBuf {
    let venv = std::env::var_os("CUSTODY_CROSSCHECK_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let cargo_home = std::env::var_os("CARGO_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
            cargo_home.join("custody-crosscheck")
        });
    let python = venv.join("bin/python3");
    assert!(
        python.exists(),
        "the {what} cross-check needs Python with pyca/cryptography and dilithium-py: run \
         `bash tests/crosscheck/install.sh` ({} is missing)",
        python.display()
    );
    python
}

/// The serial number the manifest at `manifest` records for the enrolled token labelled `label`.
pub fn enrolled_serial(manifest: &Path, label: &str) -> String {
    let text = std::fs::read_to_string(manifest).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|token| token["label"] == label)
        .unwrap_or_else(|| panic!("{} enrols no token labelled {label}", manifest.display()))
        ["serial"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The names in `dir` that begin like a custody temporary file.
pub fn temporaries_in(dir: &Path) -> Vec<String> {
    names_in(dir)
        .into_iter()
        .filter(|name| name.starts_with(".custody-"))
        .collect()
}

/// Waits until a temporary file whose name starts with `prefix` appears in `dir`.
pub fn wait_for_temporary(dir: &Path, prefix: &str) {
    for _ in 0..600 {
        if temporaries_in(dir)
            .iter()
            .any(|name| name.starts_with(prefix))
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("no {prefix}* file appeared in {}", dir.display());
}

/// Sends `signal` to the child process.
pub fn signal(child: &std::process::Child, signal: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_raw(i32::try_from(child.id()).unwrap()).unwrap();
    rustix::process::kill_process(pid, signal).unwrap();
}

/// Starts `custody ARGS` on the SoftHSM configuration `conf`, its standard input a pipe that
/// stays open until the test writes to it or drops it (to interrupt a run mid-stream).
pub fn spawn_custody(conf: &Path, args: &[&str]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_custody"))
        .env("SOFTHSM2_CONF", conf)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}
