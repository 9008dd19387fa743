//! The test harness: real SoftHSM tokens, isolated per test. SoftHSM reads `SOFTHSM2_CONF` once
//! per process, so each test process gets its own configuration in a temporary directory, set
//! before any module is loaded, and each test gets a fresh token in it. Without SoftHSM every test fails loudly with
//! the install hint; none passes or skips silently.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use custody::hsm::{Pkcs11Uri, TokenSession};

/// What to do when SoftHSM is missing.
pub const INSTALL_HINT: &str =
    "SoftHSM2 and OpenSC are needed for these tests: run `bash hsm/install-softhsm.sh` as root (or `sudo apt-get install -y softhsm2 opensc`)";

/// This process's SoftHSM configuration directory.
fn softhsm_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
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
        // Set now, before any test loads the module: SoftHSM reads it once per process.
        std::env::set_var("SOFTHSM2_CONF", &conf);
        dir
    })
    .path()
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
#[derive(Debug)]
pub struct TestToken {
    /// The token label.
    pub label: String,
    /// The URI with module-path and pin-source.
    pub uri: Pkcs11Uri,
    /// The user PIN file.
    pub pin_file: PathBuf,
}

impl TestToken {
    /// Makes a new token whose label starts with `name`.
    ///
    /// SoftHSM does not see tokens another process creates after it initialized, so the token
    /// is initialized in this process, in the free slot SoftHSM always keeps, under a lock.
    pub fn new(name: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        static CREATING: Mutex<()> = Mutex::new(());
        let label = format!(
            "{name}-{}-{}",
            std::process::id() % 100_000,
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let pin_file = softhsm_dir().join(format!("{label}.user.pin"));
        let pin = format!("user-{label}");
        std::fs::write(&pin_file, &pin).unwrap();
        {
            let _one_at_a_time = CREATING
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            raw::init_token(&label, &pin);
        }
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
        softhsm_dir().join("softhsm2.conf")
    }
}

/// Raw PKCS#11 access, for tests that attack the objects custody made.
pub mod raw {
    use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
    use cryptoki::error::RvError;
    use cryptoki::session::{Session, UserType};
    use secrecy::SecretString;

    use super::TestToken;

    /// The module, initialized (once per process, like custody's own loader).
    fn context() -> Pkcs11 {
        super::softhsm_dir();
        let context = Pkcs11::new(super::softhsm_module()).unwrap();
        match context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(())
            | Err(cryptoki::error::Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => panic!("C_Initialize: {e}"),
        }
        context
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
