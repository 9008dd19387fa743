//! The bad-input battery's kit: a shared estate of real custody files (built once by the binary),
//! damage generators driven by docs/FORMAT.md's layouts, and the check every case must pass.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod binary;
pub mod check;
pub mod damage;
pub mod estate;
pub mod layout;
pub mod structured;
