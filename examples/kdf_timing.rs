//! Times one argon2id derivation with custody's share-sealing KDF, to choose and re-check the
//! strong defaults on the machine that will run ceremonies. It prints timings only, never key
//! material. Run in release mode:
//!
//! `cargo run --release --example kdf_timing [MEMORY_KIB ITERATIONS PARALLELISM]`
#![allow(clippy::print_stdout, reason = "a measuring tool reports on stdout")]

use std::time::Instant;

use custody::primitives::kdf::{self, KdfParams};
use custody::primitives::secret::Passphrase;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<u32> = std::env::args()
        .skip(1)
        .map(|arg| arg.parse())
        .collect::<Result<_, _>>()?;
    let params = match args.as_slice() {
        [memory, iterations, parallelism] => KdfParams::new(*memory, *iterations, *parallelism)?,
        _ => KdfParams::default(),
    };
    let passphrase = Passphrase::from("correct horse battery staple");
    for run in 1..=3 {
        let start = Instant::now();
        kdf::derive(&passphrase, &[0x5a; kdf::SALT_LEN], &params)?;
        println!(
            "run {run}: {params:?} took {:.3} s",
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
