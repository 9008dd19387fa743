//! PKCS#11 URIs (RFC 7512): how custody names a token, a key on it, the module that drives it and
//! where its PIN comes from. Parsing is strict: unknown or repeated attributes are refused, and a
//! URI carrying `pin-value` is refused outright, because secrets do not belong in URIs (they end up
//! in shell history, process lists and transcripts).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use super::error::{Error, Result};

/// Where the user PIN comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinSource {
    /// A file holding the PIN (one trailing newline is ignored).
    File(PathBuf),
    /// An inherited open file descriptor, read to its end.
    Fd(u32),
}

/// The object type named by `type=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectType {
    /// `public`
    Public,
    /// `private`
    Private,
    /// `cert`
    Cert,
    /// `secret-key`
    SecretKey,
    /// `data`
    Data,
}

/// A parsed PKCS#11 URI. Every attribute is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pkcs11Uri {
    /// `token`: the token label.
    pub token: Option<String>,
    /// `manufacturer`: the token manufacturer.
    pub manufacturer: Option<String>,
    /// `serial`: the token serial number.
    pub serial: Option<String>,
    /// `model`: the token model.
    pub model: Option<String>,
    /// `slot-id`: the slot number.
    pub slot_id: Option<u64>,
    /// `object`: the object label.
    pub object: Option<String>,
    /// `id`: the object id (raw bytes).
    pub id: Option<Vec<u8>>,
    /// `type`: the object type.
    pub object_type: Option<ObjectType>,
    /// `module-path`: the PKCS#11 library.
    pub module_path: Option<PathBuf>,
    /// `pin-source`: where the PIN comes from.
    pub pin_source: Option<PinSource>,
}

impl FromStr for Pkcs11Uri {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let rest = text
            .strip_prefix("pkcs11:")
            .ok_or_else(|| malformed("it must start with \"pkcs11:\""))?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut uri = Self::default();
        for attribute in path.split(';').filter(|a| !a.is_empty()) {
            let (name, value) = split_attribute(attribute)?;
            uri.set_path_attribute(name, value)?;
        }
        for attribute in query.split('&').filter(|a| !a.is_empty()) {
            let (name, value) = split_attribute(attribute)?;
            uri.set_query_attribute(name, value)?;
        }
        Ok(uri)
    }
}

impl Pkcs11Uri {
    fn set_path_attribute(&mut self, name: &str, raw: &str) -> Result<()> {
        match name {
            "token" => set_once(&mut self.token, name, text_value(name, raw)?),
            "manufacturer" => set_once(&mut self.manufacturer, name, text_value(name, raw)?),
            "serial" => set_once(&mut self.serial, name, text_value(name, raw)?),
            "model" => set_once(&mut self.model, name, text_value(name, raw)?),
            "object" => set_once(&mut self.object, name, text_value(name, raw)?),
            "id" => set_once(&mut self.id, name, percent_decode(name, raw)?),
            "slot-id" => {
                let number = decimal(&text_value(name, raw)?)
                    .ok_or_else(|| malformed(format!("slot-id must be a decimal number, not {raw:?}")))?;
                set_once(&mut self.slot_id, name, number)
            }
            "type" => set_once(&mut self.object_type, name, object_type(raw)?),
            "pin-value" | "pin-source" | "module-path" | "module-name" => Err(malformed(format!(
                "{name} is a query attribute: write it after '?'"
            ))),
            other => Err(malformed(format!(
                "unknown path attribute {other:?} (custody knows token, manufacturer, serial, model, slot-id, object, id, type)"
            ))),
        }
    }

    fn set_query_attribute(&mut self, name: &str, raw: &str) -> Result<()> {
        match name {
            "pin-value" => Err(Error::PinValueInUri),
            "module-path" => {
                let path = PathBuf::from(text_value(name, raw)?);
                set_once(&mut self.module_path, name, path)
            }
            "pin-source" => set_once(
                &mut self.pin_source,
                name,
                pin_source(&text_value(name, raw)?)?,
            ),
            other => Err(malformed(format!(
                "unknown query attribute {other:?} (custody knows module-path and pin-source)"
            ))),
        }
    }

    /// Whether the URI names a token by any attribute.
    pub fn names_token(&self) -> bool {
        self.token.is_some()
            || self.manufacturer.is_some()
            || self.serial.is_some()
            || self.model.is_some()
            || self.slot_id.is_some()
    }

    /// The token-selecting attributes only, as a URI, for messages.
    pub fn token_part(&self) -> String {
        let only_token = Self {
            token: self.token.clone(),
            manufacturer: self.manufacturer.clone(),
            serial: self.serial.clone(),
            model: self.model.clone(),
            slot_id: self.slot_id,
            ..Self::default()
        };
        only_token.to_string()
    }
}

impl fmt::Display for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut path = Vec::new();
        let texts = [
            ("token", &self.token),
            ("manufacturer", &self.manufacturer),
            ("serial", &self.serial),
            ("model", &self.model),
        ];
        for (name, value) in texts {
            if let Some(value) = value {
                path.push(format!("{name}={}", percent_encode(value.as_bytes())));
            }
        }
        if let Some(slot) = self.slot_id {
            path.push(format!("slot-id={slot}"));
        }
        if let Some(object) = &self.object {
            path.push(format!("object={}", percent_encode(object.as_bytes())));
        }
        if let Some(id) = &self.id {
            path.push(format!(
                "id={}",
                id.iter().map(|b| format!("%{b:02X}")).collect::<String>()
            ));
        }
        if let Some(kind) = self.object_type {
            path.push(format!("type={}", object_type_name(kind)));
        }
        let mut query = Vec::new();
        if let Some(module) = &self.module_path {
            query.push(format!(
                "module-path={}",
                percent_encode(module.to_string_lossy().as_bytes())
            ));
        }
        match &self.pin_source {
            Some(PinSource::File(file)) => {
                // Always `file://`: the reader strips it first, so `file:` followed by a path
                // that begins with `//` would lose those slashes and name another file.
                query.push(format!(
                    "pin-source=file://{}",
                    percent_encode(file.to_string_lossy().as_bytes())
                ));
            }
            Some(PinSource::Fd(fd)) => query.push(format!("pin-source=fd:{fd}")),
            None => {}
        }
        write!(f, "pkcs11:{}", path.join(";"))?;
        if !query.is_empty() {
            write!(f, "?{}", query.join("&"))?;
        }
        Ok(())
    }
}

fn malformed(reason: impl Into<String>) -> Error {
    Error::MalformedUri(reason.into())
}

fn split_attribute(attribute: &str) -> Result<(&str, &str)> {
    attribute.split_once('=').ok_or_else(|| {
        malformed(format!(
            "attribute {:?} has no '=value'",
            attribute_name(attribute)
        ))
    })
}

/// The name part only: an attribute without '=' might be a mistyped secret, so never echo it whole.
fn attribute_name(attribute: &str) -> String {
    attribute
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(32)
        .collect()
}

fn set_once<T>(slot: &mut Option<T>, name: &str, value: T) -> Result<()> {
    if slot.replace(value).is_some() {
        return Err(malformed(format!("attribute {name} appears twice")));
    }
    Ok(())
}

fn text_value(name: &str, raw: &str) -> Result<String> {
    String::from_utf8(percent_decode(name, raw)?)
        .map_err(|_| malformed(format!("the value of {name} is not UTF-8")))
}

fn percent_decode(name: &str, raw: &str) -> Result<Vec<u8>> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            // Two hex digits exactly: `from_str_radix` alone would also take a sign ("%+1").
            let hex = bytes
                .get(i + 1..i + 3)
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| malformed(format!("bad percent-escape in the value of {name}")))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(byte);
            i += 1;
        }
    }
    Ok(out)
}

fn percent_encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' | b':' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn object_type(raw: &str) -> Result<ObjectType> {
    match raw {
        "public" => Ok(ObjectType::Public),
        "private" => Ok(ObjectType::Private),
        "cert" => Ok(ObjectType::Cert),
        "secret-key" => Ok(ObjectType::SecretKey),
        "data" => Ok(ObjectType::Data),
        other => Err(malformed(format!(
            "type must be public, private, cert, secret-key or data, not {other:?}"
        ))),
    }
}

fn object_type_name(kind: ObjectType) -> &'static str {
    match kind {
        ObjectType::Public => "public",
        ObjectType::Private => "private",
        ObjectType::Cert => "cert",
        ObjectType::SecretKey => "secret-key",
        ObjectType::Data => "data",
    }
}

/// Digits only: Rust's integer parsing would also take a sign (`+7`), which RFC 7512 does not.
fn decimal<N: std::str::FromStr>(text: &str) -> Option<N> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| text.parse().ok()).flatten()
}

fn pin_source(value: &str) -> Result<PinSource> {
    if let Some(fd) = value.strip_prefix("fd:") {
        let fd = decimal(fd).ok_or_else(|| {
            malformed(format!(
                "pin-source fd:N needs a descriptor number, not {fd:?}"
            ))
        })?;
        return Ok(PinSource::Fd(fd));
    }
    let path = value
        .strip_prefix("file://")
        .or_else(|| value.strip_prefix("file:"))
        .unwrap_or(value);
    if path.is_empty() {
        return Err(malformed("pin-source names no file"));
    }
    Ok(PinSource::File(PathBuf::from(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_supported_attribute() {
        let uri: Pkcs11Uri = "pkcs11:token=embassy%20lux;manufacturer=SoftHSM%20project;serial=abc;model=SoftHSM%20v2;slot-id=7;object=custody-ee;id=%01%02;type=secret-key?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin"
            .parse()
            .unwrap();
        assert_eq!(uri.token.as_deref(), Some("embassy lux"));
        assert_eq!(uri.manufacturer.as_deref(), Some("SoftHSM project"));
        assert_eq!(uri.serial.as_deref(), Some("abc"));
        assert_eq!(uri.model.as_deref(), Some("SoftHSM v2"));
        assert_eq!(uri.slot_id, Some(7));
        assert_eq!(uri.object.as_deref(), Some("custody-ee"));
        assert_eq!(uri.id, Some(vec![1, 2]));
        assert_eq!(uri.object_type, Some(ObjectType::SecretKey));
        assert_eq!(
            uri.module_path,
            Some(PathBuf::from("/usr/lib/softhsm/libsofthsm2.so"))
        );
        assert_eq!(uri.pin_source, Some(PinSource::File("/run/pin".into())));
    }

    #[test]
    fn display_round_trips() {
        let text = "pkcs11:token=embassy%20lux;slot-id=3;object=k;id=%01%FF;type=secret-key?module-path=/m.so&pin-source=fd:4";
        let uri: Pkcs11Uri = text.parse().unwrap();
        assert_eq!(uri.to_string(), text);
        assert_eq!(uri.to_string().parse::<Pkcs11Uri>().unwrap(), uri);
    }

    #[test]
    fn pin_source_forms() {
        let parse = |s: &str| {
            format!("pkcs11:?pin-source={s}")
                .parse::<Pkcs11Uri>()
                .unwrap()
                .pin_source
        };
        assert_eq!(parse("file:/a"), Some(PinSource::File("/a".into())));
        assert_eq!(parse("file:///a"), Some(PinSource::File("/a".into())));
        assert_eq!(parse("/a/b"), Some(PinSource::File("/a/b".into())));
        assert_eq!(parse("fd:3"), Some(PinSource::Fd(3)));
    }

    /// Found by fuzzing (fuzz target `pkcs11_uri`): `pin-source=file:////run/pin` (the path
    /// `//run/pin`) printed as `file://run/pin`, which reads back as the relative path `run/pin`.
    #[test]
    fn pin_source_file_path_survives_printing() {
        for path in ["//run/pin", "/run/pin", "run/pin", "file:x", "fd:3"] {
            let uri = Pkcs11Uri {
                pin_source: Some(PinSource::File(path.into())),
                ..Pkcs11Uri::default()
            };
            let again: Pkcs11Uri = uri.to_string().parse().unwrap();
            assert_eq!(again, uri, "{path}");
        }
    }

    #[test]
    fn pin_value_is_refused_without_echoing_it() {
        let err = "pkcs11:token=a?pin-value=1234"
            .parse::<Pkcs11Uri>()
            .unwrap_err();
        assert!(matches!(err, Error::PinValueInUri));
        assert!(!err.to_string().contains("1234"));
    }

    #[test]
    fn malformed_uris_say_what_is_wrong() {
        let cases = [
            ("token=a", "must start with"),
            ("pkcs11:token=a;token=b", "appears twice"),
            ("pkcs11:colour=red", "unknown path attribute"),
            ("pkcs11:token=a?module=x", "unknown query attribute"),
            ("pkcs11:slot-id=x", "decimal"),
            ("pkcs11:token=%zz", "percent-escape"),
            ("pkcs11:token=%ff", "not UTF-8"),
            ("pkcs11:type=key", "type must be"),
            ("pkcs11:token", "has no '=value'"),
            ("pkcs11:?pin-source=fd:x", "descriptor number"),
            ("pkcs11:pin-source=/x", "query attribute"),
        ];
        for (text, expected) in cases {
            let message = text.parse::<Pkcs11Uri>().unwrap_err().to_string();
            assert!(message.contains(expected), "{text}: {message}");
        }
    }

    /// Noticed while fuzzing: `slot-id=+7` and `fd:+3` were accepted.
    #[test]
    fn numbers_with_a_sign_are_refused() {
        for text in [
            "pkcs11:slot-id=+7",
            "pkcs11:slot-id=-7",
            "pkcs11:token=a?pin-source=fd:+3",
        ] {
            assert!(text.parse::<Pkcs11Uri>().is_err(), "{text}");
        }
    }

    /// Found by fuzzing (fuzz target `pkcs11_uri`): `%+1` decoded as the byte 0x01.
    #[test]
    fn percent_escape_with_a_sign_is_refused() {
        for text in ["pkcs11:token=%+1", "pkcs11:id=%-1", "pkcs11:object=a%+f"] {
            let message = text.parse::<Pkcs11Uri>().unwrap_err().to_string();
            assert!(message.contains("percent-escape"), "{text}: {message}");
        }
    }

    #[test]
    fn an_attribute_without_value_is_not_echoed() {
        let message = "pkcs11:token=a;s3cr3t-pin!x"
            .parse::<Pkcs11Uri>()
            .unwrap_err()
            .to_string();
        assert!(!message.contains("!x"), "{message}");
    }
}
