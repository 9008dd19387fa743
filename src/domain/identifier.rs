//! The identifier syntax of domain ids and official ids, the same as in share file headers:
//! 1..=max bytes of `[a-z0-9-]`. Safe in file names and terminals by construction. Pure checks.

/// Refuses `value` unless it is 1..=`max` bytes of `[a-z0-9-]`; the error says what is wrong.
pub(super) fn check(value: &str, max: usize) -> Result<(), String> {
    if value.is_empty() || value.len() > max {
        return Err(format!("must be 1 to {max} characters long"));
    }
    let allowed = |byte: &u8| byte.is_ascii_lowercase() || byte.is_ascii_digit() || *byte == b'-';
    if !value.as_bytes().iter().all(allowed) {
        return Err("may contain only a-z, 0-9 and '-'".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_custody_identifiers_and_refuses_the_rest() {
        assert!(check("ee-registries", 64).is_ok());
        assert!(check("a", 1).is_ok());
        assert!(check("ab", 1).is_err());
        for bad in ["", "A", "a b", "a_b", "../a", "\u{e9}"] {
            assert!(check(bad, 64).is_err(), "{bad:?}");
        }
    }
}
