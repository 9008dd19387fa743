//! The documents every kit holds, embedded in the binary when it is built, so the binary alone
//! can write a kit: the one page a stranger follows, the recovery procedure, the officials'
//! guide and the file formats.

/// Each document: its path in the kit and its text.
pub const DOCUMENTS: [(&str, &str); 4] = [
    ("RECOVER.md", include_str!("../../ceremonies/recover.md")),
    (
        "ceremonies/recovery-from-cold.md",
        include_str!("../../ceremonies/recovery-from-cold.md"),
    ),
    (
        "ceremonies/officials-guide.md",
        include_str!("../../ceremonies/officials-guide.md"),
    ),
    ("docs/FORMAT.md", include_str!("../../docs/FORMAT.md")),
];
