"""A second implementation of custody's domain signature (docs/FORMAT.md, section 10), written
from the format document alone: pyca/cryptography (OpenSSL's ML-DSA-65 and Ed25519, HKDF) and
dilithium-py (a pure-Python FIPS 204) -- none of custody's code path.

    python3 signature.py VECTORS.json OUT.json

For every vector custody wrote (domain key, context, message, verifying key, signature,
fingerprint) it derives the key pair from the domain key, rebuilds the verifying key encoding and
fingerprint byte for byte, verifies the signature with OpenSSL (both halves), recomputes the
deterministic signature with dilithium-py and Ed25519 and compares bytes, and checks that a
flipped bit in either half is refused. It then signs each message itself (OpenSSL's hedged
ML-DSA) into OUT.json, for custody to verify. Exits non-zero naming the first difference.

Imported (tests/crosscheck/chain.py does), it runs nothing and offers `verifies_encoded`: section
10.4 from the encoded verifying key and signature.
"""

import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, mldsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from dilithium_py.ml_dsa import ML_DSA_65

ALGORITHM = b"\x01"
ML_DSA_SEED_INFO = b"custody/domain-signing/v1/ml-dsa-65"
ED25519_SEED_INFO = b"custody/domain-signing/v1/ed25519"
LABEL = b"custody/signature/v1/ML-DSA-65+Ed25519"
CONTEXTS = {"manifest": b"custody manifest v1", "transcript": b"custody transcript v1"}
ML_DSA_PUBLIC_LEN = 1952
ML_DSA_SIGNATURE_LEN = 3309
VERIFYING_KEY_LEN = 1 + ML_DSA_PUBLIC_LEN + 32
SIGNATURE_LEN = 1 + ML_DSA_SIGNATURE_LEN + 64


def seed(domain_key, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(domain_key)


def representative(context, message):
    ctx = CONTEXTS[context]
    return LABEL + bytes([len(ctx)]) + ctx + message


def verifies(ml_public, ed_public, rep, signature):
    if len(signature) != SIGNATURE_LEN or signature[:1] != ALGORITHM:
        return False
    try:
        ml_public.verify(signature[1 : 1 + ML_DSA_SIGNATURE_LEN], rep, LABEL)
        ed_public.verify(signature[1 + ML_DSA_SIGNATURE_LEN :], rep)
    except InvalidSignature:
        return False
    return True


ED_P = 2**255 - 19
ED_D = -121665 * pow(121666, -1, ED_P) % ED_P


def ed25519_point_acceptable(encoded):
    """Section 10.2's rule for the Ed25519 half, checked here rather than trusted to a library: the
    32 bytes decode to a point (RFC 8032, 5.1.3), canonically (y < p), and 8 times the point is not
    the neutral element (no small order)."""
    y = int.from_bytes(encoded, "little") & ((1 << 255) - 1)
    sign = encoded[31] >> 7
    if y >= ED_P:
        return False
    u, v = (y * y - 1) % ED_P, (ED_D * y * y + 1) % ED_P
    x = u * pow(v, 3, ED_P) * pow(u * pow(v, 7, ED_P), (ED_P - 5) // 8, ED_P) % ED_P
    if v * x * x % ED_P == (-u) % ED_P:
        x = x * pow(2, (ED_P - 1) // 4, ED_P) % ED_P
    elif v * x * x % ED_P != u:
        return False
    if x == 0 and sign == 1:
        return False
    if x % 2 != sign:
        x = ED_P - x
    for _ in range(3):
        t = ED_D * x * x * y * y % ED_P
        x, y = (
            2 * x * y * pow(1 + t, -1, ED_P) % ED_P,
            (y * y + x * x) * pow(1 - t, -1, ED_P) % ED_P,
        )
    return (x, y) != (0, 1)


def verifies_encoded(verifying_key, context, message, signature):
    """Section 10.4 from the encodings alone: whether `signature` (10.3) is valid for the encoded
    `verifying_key` (10.2), the context named `context` and `message`. Both halves are checked by
    OpenSSL and the ML-DSA-65 half again by dilithium-py; a key that does not decode is refused."""
    if len(verifying_key) != VERIFYING_KEY_LEN or verifying_key[:1] != ALGORITHM:
        return False
    ml_raw = verifying_key[1 : 1 + ML_DSA_PUBLIC_LEN]
    if not ed25519_point_acceptable(verifying_key[1 + ML_DSA_PUBLIC_LEN :]):
        return False
    try:
        ml_public = mldsa.MLDSA65PublicKey.from_public_bytes(ml_raw)
        ed_public = ed25519.Ed25519PublicKey.from_public_bytes(verifying_key[1 + ML_DSA_PUBLIC_LEN :])
    except ValueError:
        return False
    rep = representative(context, message)
    if not verifies(ml_public, ed_public, rep, signature):
        return False
    return ML_DSA_65.verify(ml_raw, rep, signature[1 : 1 + ML_DSA_SIGNATURE_LEN], LABEL)


def fail(what):
    sys.exit(f"second implementation disagrees: {what}")


def check(vector):
    domain_key = bytes.fromhex(vector["domain_key"])
    message = bytes.fromhex(vector["message"])
    rep = representative(vector["context"], message)
    ml_seed = seed(domain_key, ML_DSA_SEED_INFO)
    ml_private = mldsa.MLDSA65PrivateKey.from_seed_bytes(ml_seed)
    ed_private = ed25519.Ed25519PrivateKey.from_private_bytes(seed(domain_key, ED25519_SEED_INFO))
    ml_public, ed_public = ml_private.public_key(), ed_private.public_key()
    encoded = ALGORITHM + ml_public.public_bytes_raw() + ed_public.public_bytes_raw()
    if encoded.hex() != vector["verifying_key"]:
        fail("verifying key encoding")
    if hashlib.sha256(encoded).hexdigest() != vector["fingerprint"]:
        fail("domain fingerprint")
    signature = bytes.fromhex(vector["signature"])
    if not verifies(ml_public, ed_public, rep, signature):
        fail(f"custody's signature does not verify with OpenSSL ({vector['context']})")
    pk, sk = ML_DSA_65.key_derive(ml_seed)
    if pk != ml_public.public_bytes_raw():
        fail("dilithium-py and OpenSSL derive different ML-DSA-65 keys")
    if not ML_DSA_65.verify(pk, rep, signature[1 : 1 + ML_DSA_SIGNATURE_LEN], LABEL):
        fail("custody's ML-DSA-65 half does not verify with dilithium-py")
    expected = ALGORITHM + ML_DSA_65.sign(sk, rep, LABEL, deterministic=True) + ed_private.sign(rep)
    if expected != signature:
        fail("the deterministic signature differs")
    for position in (1, ML_DSA_SIGNATURE_LEN, 1 + ML_DSA_SIGNATURE_LEN, len(signature) - 1):
        flipped = bytearray(signature)
        flipped[position] ^= 0x01
        if verifies(ml_public, ed_public, rep, bytes(flipped)):
            fail(f"a signature with byte {position} flipped verifies")
    for other in CONTEXTS:
        if other != vector["context"] and verifies(ml_public, ed_public, representative(other, message), signature):
            fail("a signature verifies for another context")
    hedged = ALGORITHM + ml_private.sign(rep, LABEL) + ed_private.sign(rep)
    return {"context": vector["context"], "message": vector["message"], "verifying_key": encoded.hex(), "signature": hedged.hex()}


def main():
    vectors_path, out_path = sys.argv[1], sys.argv[2]
    with open(vectors_path, encoding="utf-8") as f:
        vectors = json.load(f)
    if not vectors:
        fail("no vectors")
    made = [check(vector) for vector in vectors]
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(made, f)
    print(f"{len(vectors)} custody signatures verified by OpenSSL and reproduced by dilithium-py")


if __name__ == "__main__":
    main()
