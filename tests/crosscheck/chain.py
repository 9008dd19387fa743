"""A second implementation of the manifest chain (docs/FORMAT.md, section 6, especially 6.6 and
6.8), written from the format document alone: Python's json and hashlib for the signed content,
canonical encoding and digest, and signature.py (pyca/cryptography's OpenSSL and dilithium-py, for
the domain signature of section 10) -- none of custody's code path.

    python3 chain.py DOMAIN_DIR [EXPECTED_FINGERPRINT_HEX]

It reads DOMAIN_DIR/manifest.json (the manifest in force, at chain position p) and
DOMAIN_DIR/chain/NNNNNN.json for positions 0 to p - 1, checks each manifest's encoding and
members (6.2 to 6.4), and verifies the chain as 6.8 says: the genesis manifest signed by its own
key and carrying that key's fingerprint (the expected one, when given; spaces allowed), then every
link -- same domain and fingerprint, the next position, `previous` naming the predecessor's digest,
a signature under the predecessor's verifying key (context `custody manifest v1`, over the 32
bytes of the digest), and either an enrolment (same set, one token appended, nothing else
changed), a reshare (same epoch, key id, verifying key and tokens, the predecessor's set revoked)
or a rotation (next epoch, another key id, no token that was not enrolled before). chain/
position p, when present, must hold manifest.json's digest; a chain file at a later position is
a rollback. (One
reading stricter than 6.8 says: two names for one position, `000001.json` and `0000001.json`, are
refused as ambiguous.) Then every `<c>.signed` line of DOMAIN_DIR/transcript.jsonl (section 9):
directly after its close, `prev` the SHA-256 of the close line, and its signature (context
`custody transcript v1`, over those 32 bytes) valid under the verifying key of its epoch in the
chain.

Prints one line per manifest (position, epoch, digest) and a summary; exits non-zero naming the
first failure (and its chain position).
"""

import hashlib
import json
import os
import re
import sys
import unicodedata
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric import ec

from signature import ALGORITHM, SIGNATURE_LEN, VERIFYING_KEY_LEN, verifies_encoded

MAX_FILE = 1_048_576
CHAIN_NAME = re.compile(r"^([0-9]{6,})\.json$")
ID = re.compile(r"^[a-z0-9-]+$")
CREATED = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")
TOP = [
    "format", "version", "domain", "epoch", "set_id", "threshold", "officials", "verifier_set",
    "key_id", "kcv", "wrap_check", "created", "tool_version", "revoked_sets", "tokens",
    "chain_position",
    "previous", "domain_fingerprint", "verifying_key", "signature",
]
OPTIONAL = {"revoked_sets", "previous"}
OFFICIAL = ["id", "name", "role", "share_id", "share_fingerprint"]
REVOKED = ["set_id", "epoch", "revoked_at", "reason"]
TOKEN = ["serial", "label", "manufacturer", "model", "site", "enrolled"]
TOKEN_OPTIONAL = {"site"}
P256_POINT_LEN = 33


class Refused(Exception):
    """The first failure: what, and where (a chain position, when it is about one manifest)."""

    def __init__(self, what, position=None):
        super().__init__(what)
        self.position = position


def no_duplicates(pairs):
    names = [name for name, _ in pairs]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"member {name!r} appears twice")
    return dict(pairs)


def refuse_constant(name):
    raise ValueError(f"{name} is not a JSON number this format allows")


def read_manifest(path, position=None):
    """6.2: size, UTF-8 without BOM, JSON object, no duplicate member, no NaN or fraction."""
    where = f"{path}"
    try:
        size = os.path.getsize(path)
    except OSError as e:
        raise Refused(f"{where}: cannot read: {e.strerror}", position) from None
    if size > MAX_FILE:
        raise Refused(f"{where}: larger than {MAX_FILE} bytes", position)
    with open(path, "rb") as f:
        raw = f.read()
    if raw.startswith(b"\xef\xbb\xbf"):
        raise Refused(f"{where}: starts with a byte-order mark", position)
    try:
        value = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=no_duplicates,
            parse_constant=refuse_constant,
            parse_float=refuse_constant,
        )
    except (UnicodeDecodeError, ValueError) as e:
        raise Refused(f"{where}: not a manifest: {e}", position) from None
    if not isinstance(value, dict):
        raise Refused(f"{where}: the top-level value is not an object", position)
    return value


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def hex_of(v, digits=None):
    """Lower-case hex of whole bytes (6.2), of `digits` digits when given."""
    if not isinstance(v, str) or re.fullmatch(r"[0-9a-f]*", v) is None or len(v) % 2 != 0:
        return False
    return digits is None or len(v) == digits


def text_ok(v, most):
    """`name`, `role`, `reason`: 1..=most characters, not only white space, no control (Cc) or
    format (Cf) characters."""
    return (
        isinstance(v, str)
        and 1 <= len(v) <= most
        and v.strip() != ""
        and all(unicodedata.category(c) not in ("Cc", "Cf") for c in v)
    )


def time_ok(v):
    if not isinstance(v, str) or not CREATED.match(v):
        return False
    try:
        datetime.strptime(v, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return False
    return "1970" <= v[:4]


def verifier_set_ok(v, threshold):
    """4.5: version 1, t = threshold >= 2, t compressed P-256 points on the curve."""
    if not hex_of(v):
        return False
    raw = bytes.fromhex(v)
    if len(raw) < 2 or raw[0] != 1 or raw[1] < 2 or raw[1] != threshold:
        return False
    if len(raw) != 2 + P256_POINT_LEN * raw[1]:
        return False
    for j in range(raw[1]):
        point = raw[2 + P256_POINT_LEN * j : 2 + P256_POINT_LEN * (j + 1)]
        if point[0] not in (2, 3):
            return False
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        except ValueError:
            return False
    return True


def validate(m, position):
    """6.3 and 6.4: every member present (or absent) as the tables say, with its type and rule."""

    def bad(member, why):
        raise Refused(f"member {member}: {why}", position)

    for name in m:
        if name not in TOP:
            bad(name, "not a member of a version 4 manifest")
    for name in TOP:
        if name not in m and name not in OPTIONAL:
            bad(name, "missing")
    if m["format"] != "custody-manifest":
        bad("format", "not custody-manifest")
    if not is_int(m["version"]) or m["version"] != 4:
        bad("version", "not 4")
    if not isinstance(m["domain"], str) or not ID.match(m["domain"]) or len(m["domain"]) > 64:
        bad("domain", "not a domain id")
    if not is_int(m["epoch"]) or not 0 <= m["epoch"] <= 0xFFFFFFFF:
        bad("epoch", "not an epoch")
    if not hex_of(m["set_id"], 32):
        bad("set_id", "not 32 lower-case hex digits")
    officials = m["officials"]
    if not isinstance(officials, list) or not 2 <= len(officials) <= 255:
        bad("officials", "not 2 to 255 entries")
    for i, o in enumerate(officials):
        if not isinstance(o, dict) or set(o) != set(OFFICIAL):
            bad(f"officials[{i}]", f"not an object with exactly {OFFICIAL}")
        if not isinstance(o["id"], str) or not ID.match(o["id"]) or len(o["id"].encode()) > 32:
            bad(f"officials[{i}].id", "not an official id")
        for member in ("name", "role"):
            if not text_ok(o[member], 128):
                bad(f"officials[{i}].{member}", "not 1 to 128 printable characters")
        if not is_int(o["share_id"]) or not 1 <= o["share_id"] <= len(officials):
            bad(f"officials[{i}].share_id", "not in 1..=n")
        if not hex_of(o["share_fingerprint"], 64):
            bad(f"officials[{i}].share_fingerprint", "not 64 lower-case hex digits")
    if len({o["id"] for o in officials}) != len(officials):
        bad("officials", "two officials have the same id")
    if sorted(o["share_id"] for o in officials) != list(range(1, len(officials) + 1)):
        bad("officials", "the share ids are not a permutation of 1..=n")
    if not is_int(m["threshold"]) or not 2 <= m["threshold"] <= len(officials):
        bad("threshold", "not 2 <= t <= n")
    if not verifier_set_ok(m["verifier_set"], m["threshold"]):
        bad("verifier_set", "not a valid verifier set of the manifest's threshold")
    if not hex_of(m["key_id"], 64):
        bad("key_id", "not 64 lower-case hex digits")
    if not hex_of(m["kcv"], 6):
        bad("kcv", "not 6 lower-case hex digits")
    if not hex_of(m["wrap_check"], 80):
        bad("wrap_check", "not 80 lower-case hex digits")
    if not time_ok(m["created"]):
        bad("created", "not a time YYYY-MM-DDTHH:MM:SSZ")
    tool = m["tool_version"]
    printable = isinstance(tool, str) and all(0x21 <= ord(c) <= 0x7E for c in tool)
    if not printable or not 1 <= len(tool) <= 64:
        bad("tool_version", "not 1 to 64 printable ASCII characters")
    if "revoked_sets" in m:
        revoked = m["revoked_sets"]
        if not isinstance(revoked, list) or not revoked:
            bad("revoked_sets", "present but not a non-empty array")
        for i, r in enumerate(revoked):
            if not isinstance(r, dict) or set(r) != set(REVOKED):
                bad(f"revoked_sets[{i}]", f"not an object with exactly {REVOKED}")
            if not hex_of(r["set_id"], 32):
                bad(f"revoked_sets[{i}].set_id", "not 32 lower-case hex digits")
            if not is_int(r["epoch"]) or not 0 <= r["epoch"] <= m["epoch"]:
                bad(f"revoked_sets[{i}].epoch", "not 0 <= epoch <= the manifest's epoch")
            if not time_ok(r["revoked_at"]):
                bad(f"revoked_sets[{i}].revoked_at", "not a time YYYY-MM-DDTHH:MM:SSZ")
            if not text_ok(r["reason"], 256):
                bad(f"revoked_sets[{i}].reason", "not 1 to 256 printable characters")
        ids = [r["set_id"] for r in revoked]
        if len(set(ids)) != len(ids) or m["set_id"] in ids:
            bad("revoked_sets", "a set id repeats, or the set in use is revoked")
    tokens = m["tokens"]
    if not isinstance(tokens, list) or not 1 <= len(tokens) <= 64:
        bad("tokens", "not 1 to 64 entries")
    for i, t in enumerate(tokens):
        if not isinstance(t, dict) or not set(TOKEN) - TOKEN_OPTIONAL <= set(t) <= set(TOKEN):
            bad(f"tokens[{i}]", f"not an object with the members {TOKEN} ({TOKEN_OPTIONAL} optional)")
        for member in ("serial", "label", "manufacturer", "model", "site"):
            if member in t and not text_ok(t[member], 64):
                bad(f"tokens[{i}].{member}", "not 1 to 64 printable characters")
        if not time_ok(t["enrolled"]):
            bad(f"tokens[{i}].enrolled", "not a time YYYY-MM-DDTHH:MM:SSZ")
    if len({t["serial"] for t in tokens}) != len(tokens):
        bad("tokens", "two tokens have the same serial number")
    if not is_int(m["chain_position"]) or not 0 <= m["chain_position"] <= 2**53 - 1:
        bad("chain_position", "not 0 to 2^53 - 1")
    if (m["chain_position"] == 0) != ("previous" not in m):
        bad("previous", "must be absent exactly at chain position 0")
    if "previous" in m and not hex_of(m["previous"], 64):
        bad("previous", "not 64 lower-case hex digits")
    if not hex_of(m["domain_fingerprint"], 64):
        bad("domain_fingerprint", "not 64 lower-case hex digits")
    key = m["verifying_key"]
    if not hex_of(key, 2 * VERIFYING_KEY_LEN) or key[:2] != ALGORITHM.hex():
        bad("verifying_key", f"not a {VERIFYING_KEY_LEN}-byte verifying key of algorithm 1")
    if not hex_of(m["signature"], 2 * SIGNATURE_LEN) or m["signature"][:2] != ALGORITHM.hex():
        bad("signature", f"not a {SIGNATURE_LEN}-byte signature of algorithm 1")
    if m["chain_position"] == 0 and fingerprint(m) != m["domain_fingerprint"]:
        bad("domain_fingerprint", "at position 0 it is not the fingerprint of verifying_key")


def fingerprint(m):
    """10.4: SHA-256 of the encoded verifying key."""
    return hashlib.sha256(bytes.fromhex(m["verifying_key"])).hexdigest()


def canonical(m):
    """6.6: the signed content (no `signature`, no `share_fingerprint`) in RFC 8785 form. For a
    manifest (ASCII member names, integers only) Python's sorted, compact, non-ASCII-preserving
    encoding is exactly RFC 8785's."""
    content = {name: value for name, value in m.items() if name != "signature"}
    content["officials"] = [
        {name: value for name, value in o.items() if name != "share_fingerprint"} for o in m["officials"]
    ]
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest(m):
    return hashlib.sha256(canonical(m)).hexdigest()


def signed_by(m, signer):
    """6.8 rule 3: `m`'s signature verifies under `signer`'s verifying key, context `custody
    manifest v1`, message the 32 bytes of `m`'s digest."""
    return verifies_encoded(
        bytes.fromhex(signer["verifying_key"]),
        "manifest",
        bytes.fromhex(digest(m)),
        bytes.fromhex(m["signature"]),
    )


def check_genesis(m):
    if m["chain_position"] != 0:
        raise Refused("the chain does not start at position 0", 0)
    if fingerprint(m) != m["domain_fingerprint"]:
        raise Refused("the genesis manifest's domain_fingerprint is not its verifying key's", 0)
    if not signed_by(m, m):
        raise Refused("the genesis manifest's signature does not verify under its own key", 0)


def check_link(n, c):
    """6.8: does manifest `n` follow manifest `c`?"""
    position = n["chain_position"]

    def broken(why):
        raise Refused(
            f"the manifest at chain position {position} does not follow the one before it: {why}", position
        )

    if n["domain"] != c["domain"]:
        broken(f"domain {n['domain']}, not {c['domain']}")
    if n["domain_fingerprint"] != c["domain_fingerprint"]:
        broken("another domain fingerprint")
    if position != c["chain_position"] + 1:
        broken(f"position {position} after position {c['chain_position']}")
    if n.get("previous") != digest(c):
        broken(f"previous is {n.get('previous')}, but the manifest before it has digest {digest(c)}")
    if not signed_by(n, c):
        broken("its signature does not verify under the verifying key of the manifest before it")
    if n["epoch"] == c["epoch"] and n["set_id"] == c["set_id"]:
        kept = {"tokens", "chain_position", "previous", "signature", "tool_version"}
        changed = sorted(k for k in set(n) | set(c) if k not in kept and n.get(k) != c.get(k))
        if changed:
            broken(f"an enrolment (same set) that changes {changed}")
        if len(n["tokens"]) != len(c["tokens"]) + 1 or n["tokens"][:-1] != c["tokens"]:
            broken("an enrolment that does not append exactly one token")
        return "enrolment"
    if n["epoch"] == c["epoch"]:
        if n["key_id"] != c["key_id"] or n["verifying_key"] != c["verifying_key"]:
            broken("same epoch (a reshare) but another key id or verifying key")
        if c["set_id"] not in [r["set_id"] for r in n.get("revoked_sets", [])]:
            broken(f"a reshare that does not revoke the set before it ({c['set_id']})")
        if n["tokens"] != c["tokens"]:
            broken("a reshare that changes the enrolled tokens")
        return "reshare"
    if n["epoch"] == c["epoch"] + 1:
        if n["key_id"] == c["key_id"]:
            broken("a rotation (next epoch) that keeps the key id")
        before = {t["serial"] for t in c["tokens"]}
        if any(t["serial"] not in before for t in n["tokens"]):
            broken("a rotation that enrols a token the manifest before it did not")
        return "rotation"
    broken(f"epoch {n['epoch']} after epoch {c['epoch']}: neither a reshare nor a rotation")
    return None


def chain_files(chain_dir):
    """Positions of the files in chain/ named as 6.8 says (six or more digits, `.json`)."""
    found = {}
    if os.path.isdir(chain_dir):
        for name in sorted(os.listdir(chain_dir)):
            match = CHAIN_NAME.match(name)
            if match:
                found.setdefault(int(match.group(1)), []).append(os.path.join(chain_dir, name))
    return found


def verify_directory(directory, expected=None):
    """6.8 "Verifying a directory": returns ([(position, epoch, digest, how)], the domain
    fingerprint), or raises Refused naming the first failure."""
    in_force_path = os.path.join(directory, "manifest.json")
    in_force = read_manifest(in_force_path)
    p = in_force.get("chain_position")
    validate(in_force, p if is_int(p) else None)
    chain_dir = os.path.join(directory, "chain")
    files = chain_files(chain_dir)
    newer = sorted(q for q in files if q > p)
    if newer:
        raise Refused(
            f"{files[newer[0]][0]} is a manifest at chain position {newer[0]}, newer than manifest.json "
            f"(position {p}): manifest.json was rolled back",
            newer[0],
        )
    for q, paths in files.items():
        if len(paths) > 1:
            raise Refused(f"chain/ holds {len(paths)} files for position {q}: {paths}", q)
    manifests = []
    for q in range(p):
        path = os.path.join(chain_dir, f"{q:06d}.json")
        if q not in files:
            raise Refused(f"{path} is missing: manifest.json is at position {p}", q)
        m = read_manifest(files[q][0], q)
        validate(m, q)
        if m["chain_position"] != q:
            found = m["chain_position"]
            raise Refused(f"{files[q][0]} holds the manifest of chain position {found}, not {q}", q)
        manifests.append(m)
    manifests.append(in_force)
    if p in files:
        kept = read_manifest(files[p][0], p)
        validate(kept, p)
        if digest(kept) != digest(in_force):
            raise Refused(
                f"{files[p][0]} and manifest.json are different manifests at chain position {p} "
                f"(digests {digest(kept)} and {digest(in_force)})",
                p,
            )
    genesis = manifests[0]
    check_genesis(genesis)
    if expected is not None and genesis["domain_fingerprint"] != expected:
        raise Refused(
            f"the domain fingerprint is {genesis['domain_fingerprint']}, not the {expected} expected", 0
        )
    lines = [(0, genesis["epoch"], digest(genesis), "genesis")]
    for before, after in zip(manifests, manifests[1:]):
        how = check_link(after, before)
        lines.append((after["chain_position"], after["epoch"], digest(after), how))
    return lines, genesis["domain_fingerprint"]


def verify_transcript_signatures(directory, manifests):
    """FORMAT.md 9: every `<c>.signed` line directly follows `<c>.close`, its `prev` is the
    SHA-256 of the close line's bytes, and its `signature` verifies (context `custody transcript
    v1`, message those 32 bytes) under the verifying key of its `epoch` in the chain. Returns how
    many lines are signed; raises Refused (position None) naming the first that is not."""
    keys = {m["epoch"]: m["verifying_key"] for m in manifests}
    with open(os.path.join(directory, "transcript.jsonl"), "rb") as f:
        lines = f.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    signed = 0
    for number, line in enumerate(lines, start=1):
        entry = json.loads(line)
        ceremony, _, action = entry["step"].partition(".")
        if action != "signed":
            continue
        before = json.loads(lines[number - 2]) if number > 1 else {}
        if before.get("step") != f"{ceremony}.close":
            raise Refused(f"transcript line {number}: {entry['step']} does not follow its close", None)
        close_digest = hashlib.sha256(lines[number - 2]).digest()
        if entry["prev"] != close_digest.hex():
            raise Refused(f"transcript line {number}: prev is not the digest of the close line", None)
        epoch = int(entry["detail"]["epoch"])
        if epoch not in keys:
            raise Refused(f"transcript line {number}: no manifest of epoch {epoch} in the chain", None)
        if not verifies_encoded(
            bytes.fromhex(keys[epoch]),
            "transcript",
            close_digest,
            bytes.fromhex(entry["detail"]["signature"]),
        ):
            raise Refused(f"transcript line {number}: the {ceremony} signature does not verify", None)
        signed += 1
    return signed


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: python3 chain.py DOMAIN_DIR [EXPECTED_FINGERPRINT_HEX]")
    expected = None
    if len(sys.argv) == 3:
        expected = "".join(sys.argv[2].split()).lower()
        if not hex_of(expected, 64):
            sys.exit("the expected fingerprint is not 64 hex digits")
    try:
        lines, genesis_fingerprint = verify_directory(sys.argv[1], expected)
        manifests = [read_manifest(os.path.join(sys.argv[1], "manifest.json"))]
        chain_dir = os.path.join(sys.argv[1], "chain")
        manifests += [read_manifest(paths[0]) for paths in chain_files(chain_dir).values()]
        signed = verify_transcript_signatures(sys.argv[1], manifests)
    except Refused as refused:
        where = "" if refused.position is None else f"chain position {refused.position}: "
        sys.exit(f"second implementation refuses the chain: {where}{refused}")
    for position, epoch, manifest_digest, how in lines:
        print(f"position {position} epoch {epoch} digest {manifest_digest} ({how})")
    checked = "the one expected" if expected is not None else "no expectation given"
    summary = f"{len(lines)} manifests verified from genesis; domain fingerprint {genesis_fingerprint} ({checked})"
    print(summary)
    print(f"{signed} signed ceremonies in transcript.jsonl verified")


if __name__ == "__main__":
    main()
