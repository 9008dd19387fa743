//! `s3://bucket/prefix` URLs: telling them from paths, and splitting them into a bucket and a
//! key prefix. A URL is refused when its bucket is not a valid S3 bucket name or its key has an
//! empty, `.` or `..` component (objects a stranger could not name the same way twice).

use std::path::Path;

use super::error::{Result, StoreError};

/// How an object-store location starts.
pub const URL_SCHEME: &str = "s3://";

/// Whether `path` is an object-store URL rather than a file path.
pub fn is_object_url(path: &Path) -> bool {
    path.to_str()
        .is_some_and(|text| text.starts_with(URL_SCHEME))
}

/// A bucket and a key prefix (no leading or trailing `/`; empty for the whole bucket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectUrl {
    /// The bucket's name.
    pub bucket: String,
    /// The keys' common prefix, without a trailing `/`.
    pub prefix: String,
}

impl ObjectUrl {
    /// `Some` for an `s3://` URL, `None` for a path; an `s3://` URL that names no valid bucket
    /// and key is refused.
    pub fn parse(path: &Path) -> Result<Option<Self>> {
        let Some(text) = path.to_str().and_then(|t| t.strip_prefix(URL_SCHEME)) else {
            return Ok(None);
        };
        let bad = |problem: &str| StoreError::BadUrl {
            url: path.display().to_string(),
            problem: problem.to_owned(),
        };
        let (bucket, prefix) = text.split_once('/').unwrap_or((text, ""));
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && !bucket.starts_with(['-', '.'])
            && !bucket.ends_with(['-', '.']);
        if !valid_bucket {
            return Err(bad(
                "not a bucket name (3 to 63 lowercase letters, digits, dots and hyphens)",
            ));
        }
        let prefix = prefix.trim_end_matches('/');
        if !prefix.is_empty()
            && prefix
                .split('/')
                .any(|part| part.is_empty() || part == "." || part == ".." || part.contains('\0'))
        {
            return Err(bad("a key must not have empty, `.` or `..` parts"));
        }
        Ok(Some(Self {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        }))
    }

    /// The URL of the store holding the archive this URL names, and the archive's name there.
    pub fn split_last(&self) -> Result<(Self, String)> {
        let (parent, name) = self.prefix.rsplit_once('/').unwrap_or(("", &self.prefix));
        if name.is_empty() {
            return Err(StoreError::BadUrl {
                url: self.to_string(),
                problem: "names a bucket, not an archive".into(),
            });
        }
        Ok((
            Self {
                bucket: self.bucket.clone(),
                prefix: parent.to_owned(),
            },
            name.to_owned(),
        ))
    }

    /// The key of `name` under the prefix.
    pub fn key(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}/{name}", self.prefix)
        }
    }
}

impl std::fmt::Display for ObjectUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{URL_SCHEME}{}", self.bucket)?;
        if !self.prefix.is_empty() {
            write!(f, "/{}", self.prefix)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Option<ObjectUrl>> {
        ObjectUrl::parse(Path::new(text))
    }

    #[test]
    fn urls_split_into_bucket_and_prefix() {
        let url = parse("s3://custody/registries/2026/").unwrap().unwrap();
        assert_eq!(url.bucket, "custody");
        assert_eq!(url.prefix, "registries/2026");
        assert_eq!(url.to_string(), "s3://custody/registries/2026");
        assert_eq!(url.key("land.custody"), "registries/2026/land.custody");
        let whole = parse("s3://custody").unwrap().unwrap();
        assert_eq!(whole.key("a.custody"), "a.custody");
        let (parent, name) = url.split_last().unwrap();
        assert_eq!(
            (parent.prefix.as_str(), name.as_str()),
            ("registries", "2026")
        );
        assert!(whole.split_last().is_err());
        assert!(parse("sealed/land.custody").unwrap().is_none());
    }

    #[test]
    fn bad_buckets_and_keys_are_refused() {
        for bad in [
            "s3://",
            "s3://UPPER",
            "s3://ab",
            "s3://b_c/x",
            "s3://ok-bucket/a//b",
            "s3://ok-bucket/../x",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
