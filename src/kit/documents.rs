//! The documents every kit holds, embedded in the binary when it is built, so the binary alone
//! can write a kit: the one page a stranger follows, the recovery procedure and its script (with
//! the ceremony scripts' shared library), the officials' guide and the file formats.

/// Each document: its path in the kit and its text.
pub const DOCUMENTS: [(&str, &str); 6] = [
    ("RECOVER.md", include_str!("../../ceremonies/recover.md")),
    (
        "ceremonies/recovery-from-cold.md",
        include_str!("../../ceremonies/recovery-from-cold.md"),
    ),
    (
        "ceremonies/recovery-from-cold.sh",
        include_str!("../../ceremonies/recovery-from-cold.sh"),
    ),
    ("ceremonies/lib.sh", include_str!("../../ceremonies/lib.sh")),
    (
        "ceremonies/officials-guide.md",
        include_str!("../../ceremonies/officials-guide.md"),
    ),
    ("docs/FORMAT.md", include_str!("../../docs/FORMAT.md")),
];
