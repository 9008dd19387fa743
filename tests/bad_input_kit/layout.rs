//! Field layouts of the binary formats, read off a real file with docs/FORMAT.md's tables:
//! section 5.3 (sealed share file) and sections 7.2–7.3 (archive header and chunk stream).

/// One field: its name in FORMAT.md, its offset and its length.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub offset: usize,
    pub len: usize,
}

fn lay(fields: &[(&str, usize)], start: usize) -> Vec<Field> {
    let mut offset = start;
    fields
        .iter()
        .map(|(name, len)| {
            let field = Field {
                name: (*name).to_owned(),
                offset,
                len: *len,
            };
            offset += len;
            field
        })
        .collect()
}

/// FORMAT.md 5.3: D, O and L read from the file itself.
pub fn share_file(bytes: &[u8]) -> Vec<Field> {
    let d = usize::from(bytes[15]);
    let o = usize::from(bytes[78 + d]);
    let l = usize::from(u16::from_be_bytes([bytes[167 + d + o], bytes[168 + d + o]]));
    let fields = lay(
        &[
            ("magic", 14),
            ("version", 1),
            ("domain_len", 1),
            ("domain", d),
            ("epoch", 4),
            ("set_id", 16),
            ("chain_position", 8),
            ("domain_fingerprint", 32),
            ("share_id", 1),
            ("threshold", 1),
            ("official_len", 1),
            ("official", o),
            ("kdf_memory_kib", 4),
            ("kdf_iterations", 4),
            ("kdf_parallelism", 4),
            ("salt", 32),
            ("key_commitment", 32),
            ("nonce", 12),
            ("plaintext_len", 2),
            ("ciphertext", l),
            ("tag", 16),
            ("checksum", 32),
        ],
        0,
    );
    assert_eq!(
        bytes.len(),
        217 + d + o + l,
        "FORMAT.md 5.3: the file is 217 + D + O + L bytes"
    );
    fields
}

/// Replaces a share file's trailing checksum with the SHA-256 of the bytes before it, as a
/// deliberate forger would (FORMAT.md 5.7, "which error, when").
pub fn fix_share_checksum(bytes: &mut [u8]) {
    use sha2::Digest;
    if bytes.len() < 32 {
        return;
    }
    let body = bytes.len() - 32;
    let sum = sha2::Sha256::digest(&bytes[..body]);
    bytes[body..].copy_from_slice(&sum);
}

/// FORMAT.md 7.2: the header, its optional fields as its flags say; then 7.3: each chunk's
/// ciphertext and tag, every chunk but the last `chunk_size + 16` bytes.
pub fn archive(bytes: &[u8]) -> Vec<Field> {
    let d = usize::from(bytes[17]);
    let mut fields = lay(
        &[
            ("magic", 16),
            ("version", 1),
            ("domain_len", 1),
            ("domain", d),
            ("epoch", 4),
            ("key_id", 32),
            ("wrap_check", 40),
            ("wrapped_key", 40),
            ("salt", 32),
            ("chunk_size", 4),
            ("flags", 1),
        ],
        0,
    );
    let chunk_size = u32::from_be_bytes(bytes[166 + d..170 + d].try_into().unwrap()) as usize;
    let flags = bytes[170 + d];
    let mut offset = 171 + d;
    let mut optional = Vec::new();
    if flags & 1 != 0 {
        let n = usize::from(bytes[offset]);
        optional.extend([("name_len", 1), ("name", n)]);
        offset += 1 + n;
    }
    if flags & 2 != 0 {
        optional.push(("size", 8));
        offset += 8;
    }
    if flags & 4 != 0 {
        let c = usize::from(bytes[offset]);
        optional.extend([("content_type_len", 1), ("content_type", c)]);
        offset += 1 + c;
    }
    if flags & 8 != 0 {
        optional.push(("created", 8));
        offset += 8;
    }
    optional.push(("header_mac", 32));
    fields.extend(lay(&optional, 171 + d));
    offset += 32;
    let mut chunk = 0;
    while offset < bytes.len() {
        let len = (bytes.len() - offset).min(chunk_size + 16);
        fields.push(Field {
            name: format!("chunk{chunk}"),
            offset,
            len: len - 16,
        });
        fields.push(Field {
            name: format!("tag{chunk}"),
            offset: offset + len - 16,
            len: 16,
        });
        offset += len;
        chunk += 1;
    }
    fields
}
