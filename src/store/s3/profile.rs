//! The AWS conventions every S3 user already has: a profile (`--profile`, else `AWS_PROFILE`,
//! else `default`) in the shared config file (`AWS_CONFIG_FILE`, else `~/.aws/config`:
//! `region`, `endpoint_url`) and the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`,
//! else `~/.aws/credentials`: `aws_access_key_id`, `aws_secret_access_key`). The environment
//! carries file paths and a profile name only: a secret key in the environment is refused, and
//! a credentials file its group or others may read is refused (D81).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ini::Ini;

use super::super::error::{Result, StoreError};
use crate::files::{check_private, read_at_most};

/// The profile `--profile` chose, for the whole run.
static SELECTED: OnceLock<String> = OnceLock::new();

/// The largest config or credentials file read.
const MAX_FILE_LEN: usize = 1024 * 1024;

/// Environment variables that would put a secret in the environment; custody refuses to run an
/// object-store command while one is set rather than silently ignore it.
const SECRET_VARIABLES: [&str; 2] = ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"];

/// Chooses the profile for this run (the `--profile` option), before any store is opened.
pub fn select_profile(name: Option<&str>) {
    if let Some(name) = name {
        let _ = SELECTED.set(name.to_owned());
    }
}

/// What a profile says: where the store is and the key that signs requests.
pub struct Profile {
    /// The profile's name.
    pub name: String,
    /// `region`, `us-east-1` when absent.
    pub region: String,
    /// `endpoint_url`: the store's address when it is not AWS itself.
    pub endpoint: Option<String>,
    /// `aws_access_key_id`.
    pub access_key: String,
    /// `aws_secret_access_key` (the `s3` client keeps its own copy, in a plain `String`: see
    /// SECURITY.md).
    pub secret_key: secrecy::SecretString,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("access_key", &self.access_key)
            .finish_non_exhaustive()
    }
}

impl Profile {
    /// The selected profile, read from the shared files.
    pub fn load() -> Result<Self> {
        if let Some(variable) = SECRET_VARIABLES
            .iter()
            .find(|variable| std::env::var_os(variable).is_some())
        {
            return Err(StoreError::Profile(format!(
                "{variable} is set: custody reads object-store credentials only from the shared \
                 credentials file (AWS_SHARED_CREDENTIALS_FILE), never from the environment; \
                 unset it"
            )));
        }
        let name = SELECTED
            .get()
            .cloned()
            .or_else(|| std::env::var("AWS_PROFILE").ok())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "default".to_owned());
        let config_path = shared_file("AWS_CONFIG_FILE", "config")?;
        let credentials_path = shared_file("AWS_SHARED_CREDENTIALS_FILE", "credentials")?;
        let config = read_ini(&config_path, false)?;
        let credentials = read_ini(&credentials_path, true)?;
        Self::from_files(
            &name,
            config.as_ref(),
            credentials.as_ref(),
            &credentials_path,
        )
    }

    /// Profile `name` as the config and credentials files (parsed; `None` when absent) give it.
    fn from_files(
        name: &str,
        config: Option<&Ini>,
        credentials: Option<&Ini>,
        credentials_path: &Path,
    ) -> Result<Self> {
        let config_section = if name == "default" {
            "default".to_owned()
        } else {
            format!("profile {name}")
        };
        let from_config =
            |key: &str| config.and_then(|ini| ini.get_from(Some(config_section.as_str()), key));
        let from_credentials =
            |key: &str| credentials.and_then(|ini| ini.get_from(Some(name), key));
        let secret = |key: &str| from_credentials(key).or_else(|| from_config(key));
        let (Some(access_key), Some(secret_key)) =
            (secret("aws_access_key_id"), secret("aws_secret_access_key"))
        else {
            return Err(StoreError::Profile(format!(
                "profile {name}: no aws_access_key_id and aws_secret_access_key in {} (section \
                 [{name}]); give the profile with --profile or AWS_PROFILE, and the file with \
                 AWS_SHARED_CREDENTIALS_FILE",
                credentials_path.display()
            )));
        };
        Ok(Self {
            region: from_config("region").unwrap_or("us-east-1").to_owned(),
            endpoint: from_config("endpoint_url").map(str::to_owned),
            access_key: access_key.to_owned(),
            secret_key: secrecy::SecretString::from(secret_key.to_owned()),
            name: name.to_owned(),
        })
    }
}

/// The shared file `variable` names, else `~/.aws/<default>`.
fn shared_file(variable: &str, default: &str) -> Result<PathBuf> {
    if let Some(path) = std::env::var_os(variable).filter(|path| !path.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let home = std::env::var_os("HOME").ok_or_else(|| {
        StoreError::Profile(format!(
            "neither {variable} nor HOME is set: no AWS {default} file"
        ))
    })?;
    Ok(Path::new(&home).join(".aws").join(default))
}

/// The INI file at `path`, `None` when it does not exist; a secret file must be private.
fn read_ini(path: &Path, secret: bool) -> Result<Option<Ini>> {
    if !path.exists() {
        return Ok(None);
    }
    if secret {
        check_private(path, "shared credentials")
            .map_err(|error| StoreError::Profile(format!("{}: {error}", path.display())))?;
    }
    let bytes = read_at_most(path, MAX_FILE_LEN).map_err(StoreError::local(path))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| StoreError::Profile(format!("{}: not UTF-8 text", path.display())))?;
    // The parser's error names a line and column, never a value.
    Ini::load_from_str(&text)
        .map(Some)
        .map_err(|error| StoreError::Profile(format!("{}: {error}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn ini(text: &str) -> Ini {
        Ini::load_from_str(text).unwrap()
    }

    fn profile(name: &str, config: &str, credentials: &str) -> Result<Profile> {
        Profile::from_files(
            name,
            Some(&ini(config)),
            Some(&ini(credentials)),
            Path::new("creds"),
        )
    }

    #[test]
    fn a_named_profile_reads_its_own_sections_as_the_aws_tools_do() {
        let config = "[default]\nregion = eu-north-1\n\n[profile embassy]\nregion = garage\n\
                      endpoint_url = https://s3.embassy.example:3900\n";
        let credentials = "[default]\naws_access_key_id = D\naws_secret_access_key = d\n\n\
                           [embassy]\naws_access_key_id = GK1\naws_secret_access_key = s1\n";
        let embassy = profile("embassy", config, credentials).unwrap();
        assert_eq!(embassy.region, "garage");
        assert_eq!(
            embassy.endpoint.as_deref(),
            Some("https://s3.embassy.example:3900")
        );
        assert_eq!(embassy.access_key, "GK1");
        assert_eq!(embassy.secret_key.expose_secret(), "s1");
        let default = profile("default", config, credentials).unwrap();
        assert_eq!(
            (default.region.as_str(), default.endpoint),
            ("eu-north-1", None)
        );
        assert_eq!(default.access_key, "D");
    }

    #[test]
    fn keys_in_the_config_file_count_and_the_region_has_a_default() {
        let config = "[profile home]\naws_access_key_id = K\naws_secret_access_key = S\n";
        let home = profile("home", config, "").unwrap();
        assert_eq!(
            (home.region.as_str(), home.access_key.as_str()),
            ("us-east-1", "K")
        );
    }

    #[test]
    fn a_profile_without_keys_is_refused_naming_the_file_not_a_value() {
        let error = profile(
            "vault",
            "[profile vault]\nregion = x\n",
            "[other]\naws_access_key_id = K\naws_secret_access_key = secret-value\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("profile vault: no aws_access_key_id"),
            "{error}"
        );
        assert!(error.contains("creds"), "{error}");
        assert!(!error.contains("secret-value"), "{error}");
    }

    #[test]
    fn debug_never_shows_the_secret_key() {
        let shown = format!(
            "{:?}",
            profile(
                "default",
                "",
                "[default]\naws_access_key_id = K\naws_secret_access_key = hush\n"
            )
            .unwrap()
        );
        assert!(!shown.contains("hush"), "{shown}");
    }
}
