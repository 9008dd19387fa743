//! Rewrapping an archive under a new domain key, for rotation: the data key is unwrapped under the
//! old domain key, the header MAC checked, the data key wrapped under the new domain key, and a
//! header with the new epoch and key id made, of the same length, for the archive's store to
//! write in place of the old one. The payload is never read or written, so the cost does not
//! grow with the archive's size. The data key and salt do not change, so the payload keys do not
//! either.

use super::error::{ArchiveError, Result};
use super::format;
use super::header::ArchiveSpec;
use super::key_wrap::KeyWrap;
use super::keys::ArchiveKeys;
use super::open::Archive;

impl Archive<'_> {
    /// The header this archive has under `new_key`: same length, same salt, chunk size and
    /// metadata, the data key wrapped anew, the new key's reference, the MAC recomputed.
    pub fn rewrapped_header(
        &self,
        old_key: &dyn KeyWrap,
        new_key: &dyn KeyWrap,
    ) -> Result<Vec<u8>> {
        let data_key = old_key.unwrap(&self.header.wrapped_key)?;
        let keys = ArchiveKeys::derive(&data_key, &self.header.salt);
        if !keys.header_mac_matches(&self.covered, &self.header.mac) {
            return Err(ArchiveError::HeaderAltered);
        }
        let wrapped = new_key.wrap(&data_key)?;
        let spec = ArchiveSpec {
            identity: new_key.key_ref().clone(),
            ..self.header.spec.clone()
        };
        spec.validate()?;
        let mut bytes = format::encode(&spec, new_key.wrap_check(), &wrapped, &self.header.salt);
        bytes.extend_from_slice(&keys.header_mac(&bytes));
        if bytes.len() != self.header.len {
            return Err(ArchiveError::InvalidField {
                field: "domain",
                problem: "a rewrapped header must keep the domain, and so its length".into(),
            });
        }
        Ok(bytes)
    }
}
