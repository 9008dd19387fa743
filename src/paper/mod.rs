//! Share sheets (FORMAT.md 12): a sealed share file on paper, still sealed under its official's
//! passphrase, as a QR code and as lines of PGP words with check words, and read back from a scan
//! or from typed words byte for byte. It handles only the sealed file's public bytes and the
//! manifest's public facts: never a passphrase, never a share in clear. Checking what was read
//! back (the share file reader, the manifest's binding) is the layers' below, not this one's.

pub mod qr;
pub mod scan;
pub mod sheet;
pub mod words;
