//! Layer 2, the HSM: everything PKCS#11. The only module that touches cryptoki.
