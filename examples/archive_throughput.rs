//! Seal and open throughput of the archive engine on a file, with a software data key (the HSM
//! only wraps the key, once per archive, so it does not affect throughput). Run in release mode:
//!
//! ```text
//! head -c 1G /dev/urandom > /tmp/in.bin
//! cargo run --release --example archive_throughput -- /tmp/in.bin /tmp/in.sealed /tmp/in.opened
//! ```
//!
//! Peak memory: prefix with `/usr/bin/time -v`. The end-to-end benchmark is benches/archive.sh
//! (results in docs/PERFORMANCE.md).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::panic,
    reason = "a measurement program"
)]

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::time::Instant;

use custody::archive::{self, Archive, ArchiveSpec, Input, WrappedUnder};
use custody::hsm::WrappedKey;
use custody::primitives::domain_id::DomainId;
use custody::primitives::key_identity::{KeyId, WrapCheck};
use custody::primitives::key_ref::KeyRef;
use custody::primitives::secret::DataKey;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, sealed, opened] = args.as_slice() else {
        panic!("usage: archive_throughput INPUT SEALED OPENED");
    };
    let spec = ArchiveSpec::new(KeyRef {
        domain: DomainId::new("bench").unwrap(),
        epoch: 1,
        key_id: KeyId::from_bytes([0; 32]),
    });
    let key = || DataKey::from_bytes(&mut [7; 32]);
    let mib = |bytes: u64, seconds: f64| bytes as f64 / 1048576.0 / seconds;

    let start = Instant::now();
    let summary = archive::seal_with_key(
        &key(),
        WrappedUnder {
            wrap_check: &WrapCheck::from_bytes([0; 40]),
            wrapped_key: &WrappedKey(vec![0; 40]),
        },
        [1; 32],
        &spec,
        Input::open(Path::new(input)).unwrap(),
        BufWriter::new(File::create(sealed).unwrap()),
        &|_| {},
    )
    .unwrap();
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "seal: {} bytes in {seconds:.2} s = {:.0} MiB/s",
        summary.payload_len,
        mib(summary.payload_len, seconds)
    );

    let start = Instant::now();
    let summary = Archive::read(Input::open(Path::new(sealed)).unwrap())
        .unwrap()
        .open_with_key(&key(), File::create(opened).unwrap(), &|_| {})
        .unwrap();
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "open: {} bytes in {seconds:.2} s = {:.0} MiB/s",
        summary.payload_len,
        mib(summary.payload_len, seconds)
    );
}
