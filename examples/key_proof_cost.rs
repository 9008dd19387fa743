//! The cost of the token key proof (docs/DECISIONS.md D51): on a throwaway SoftHSM token holding
//! a domain key, times finding the key with its protections checked, the proof alone (the token
//! wraps the wrap check input, custody compares), and `TokenKey::find`, which does both. Every
//! seal, open, verify, rotate and `hsm probe --manifest` pays one proof per domain key used.
//!
//! ```text
//! cargo run --release --example key_proof_cost -- 1000
//! ```
//!
//! benches/key_proof.sh runs it and times the commands end to end.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    reason = "a measurement program"
)]

use std::time::Instant;

use custody::archive::TokenKey;
use custody::hsm::{KeySelector, Persistence, ThrowawaySoftHsm, TokenSession};
use custody::primitives::domain_id::DomainId;
use custody::primitives::key_identity::{KeyId, WrapCheck};
use custody::primitives::key_ref::KeyRef;
use custody::primitives::secret::DomainKey;

fn main() {
    let rounds: u32 = std::env::args()
        .nth(1)
        .map_or(1000, |n| n.parse().expect("a number of rounds"));
    let softhsm = ThrowawaySoftHsm::create().unwrap();
    let uri = softhsm.token("proof").unwrap();
    let session =
        TokenSession::open(&uri, &mut |_| unreachable!("the URI names a pin-source")).unwrap();
    let key = DomainKey::from_bytes(&mut [0x42; 32]);
    let key_ref = KeyRef {
        domain: DomainId::new("ee-registries").unwrap(),
        epoch: 1,
        key_id: KeyId::of(&key),
    };
    let selector = KeySelector::domain_key(&key_ref);
    session
        .import_domain_key(
            &key,
            selector.label.as_deref().unwrap(),
            selector.id.as_deref().unwrap(),
            Persistence::Token,
        )
        .unwrap();
    let wrap_check = WrapCheck::of(&key);
    let handle = session.find_domain_key(&selector).unwrap();

    let time = |name: &str, work: &dyn Fn()| {
        work();
        let start = Instant::now();
        for _ in 0..rounds {
            work();
        }
        let each = start.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
        println!("| {name} | {each:.0} µs |");
    };
    println!("| step ({rounds} rounds, SoftHSM) | mean |\n|---|---|");
    time(
        "WrapCheck::of (software, once per genesis or rotate)",
        &|| {
            WrapCheck::of(&key);
        },
    );
    time("find_domain_key (lookup + attribute checks)", &|| {
        session.find_domain_key(&selector).unwrap();
    });
    time(
        "prove_domain_key (token wrap + constant-time compare)",
        &|| {
            session.prove_domain_key(&handle, &wrap_check).unwrap();
        },
    );
    time("TokenKey::find (both, what every command pays)", &|| {
        TokenKey::find(&session, &key_ref, &wrap_check).unwrap();
    });
}
