//! Damage, byte by byte: a case is a name, the damaged bytes, and whether the damage leaves the
//! file well formed (a valid file of another domain, or a value edit that its format parses) so
//! that a reader which only parses, like `inspect`, may accept it.

use super::layout::Field;

/// One damaged file.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub bytes: Vec<u8>,
    pub form: Form,
}

/// Whether every reader must refuse the case, or only those that authenticate it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Broken: every reader refuses it.
    Broken,
    /// Parses; only a reader that checks it against the domain (or opens it) must refuse it.
    WellFormed,
}

impl Case {
    pub fn broken(name: impl Into<String>, bytes: Vec<u8>) -> Self {
        Self {
            name: name.into(),
            bytes,
            form: Form::Broken,
        }
    }

    pub fn well_formed(name: impl Into<String>, bytes: Vec<u8>) -> Self {
        Self {
            name: name.into(),
            bytes,
            form: Form::WellFormed,
        }
    }
}

/// Deterministic noise (xorshift64*), so every run damages the same way.
pub fn garbage(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_be_bytes()[0]
        })
        .collect()
}

/// The damage every file type gets: empty, random garbage, and bytes appended.
pub fn common(bytes: &[u8]) -> Vec<Case> {
    let mut appended = bytes.to_vec();
    appended.extend_from_slice(&garbage(3, 17));
    vec![
        Case::broken("empty", Vec::new()),
        Case::broken("garbage", garbage(1, 300)),
        Case::broken("garbage-large", garbage(2, 2 * 1024 * 1024 + 1)),
        Case::broken("bytes-appended", appended),
    ]
}

/// The file cut at the start of every field (and one byte short of its end).
pub fn truncations(bytes: &[u8], fields: &[Field]) -> Vec<Case> {
    let mut cases: Vec<Case> = fields
        .iter()
        .filter(|f| f.offset > 0 && f.offset < bytes.len())
        .map(|f| {
            Case::broken(
                format!("truncated-before-{}", f.name),
                bytes[..f.offset].to_vec(),
            )
        })
        .collect();
    cases.push(Case::broken(
        "truncated-last-byte",
        bytes[..bytes.len() - 1].to_vec(),
    ));
    cases
}

/// The first byte of every field flipped (high bit), `fix` then applied (e.g. a checksum).
pub fn flips(
    bytes: &[u8],
    fields: &[Field],
    prefix: &str,
    form: Form,
    fix: &dyn Fn(&mut [u8]),
) -> Vec<Case> {
    fields
        .iter()
        .filter(|f| f.len > 0)
        .map(|f| {
            let mut damaged = bytes.to_vec();
            damaged[f.offset] ^= 0x80;
            fix(&mut damaged);
            Case {
                name: format!("{prefix}-{}", f.name),
                bytes: damaged,
                form,
            }
        })
        .collect()
}

/// `bytes` with `value` written at the offset of the field `name`; `None` when the file has no
/// such (optional) field.
pub fn set(bytes: &[u8], fields: &[Field], name: &str, value: &[u8]) -> Option<Vec<u8>> {
    let field = fields.iter().find(|f| f.name == name)?;
    let mut damaged = bytes.to_vec();
    damaged[field.offset..field.offset + value.len()].copy_from_slice(value);
    Some(damaged)
}
