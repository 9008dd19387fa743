//! The manifest's and officials file's wording of the identifier rule (`primitives::domain_id`
//! owns the rule itself): domain ids and official ids are 1..=max bytes of `[a-z0-9-]`.

use crate::primitives::domain_id::{check_identifier, IdentifierProblem};

/// Refuses `value` unless it is 1..=`max` bytes of `[a-z0-9-]`; the error says what is wrong.
pub(super) fn check(value: &str, max: usize) -> Result<(), String> {
    check_identifier(value, max).map_err(|problem| explain(&problem))
}

/// What is wrong with an identifier, in the manifest's words.
pub(super) fn explain(problem: &IdentifierProblem) -> String {
    match problem {
        IdentifierProblem::Length { max, .. } => format!("must be 1 to {max} characters long"),
        IdentifierProblem::Characters => "may contain only a-z, 0-9 and '-'".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_is_wrong_in_the_manifests_words() {
        assert_eq!(
            check("ab", 1).unwrap_err(),
            "must be 1 to 1 characters long"
        );
        assert_eq!(
            check("a_b", 64).unwrap_err(),
            "may contain only a-z, 0-9 and '-'"
        );
        assert!(check("ee-registries", 64).is_ok());
    }
}
