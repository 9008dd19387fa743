#!/usr/bin/env python3
"""Writes the committed seed corpora, fuzz/seeds/TARGET/*, from the worked examples of
docs/FORMAT.md and ceremonies/officials.example.toml (docs/FUZZING.md). Run from anywhere; it
rewrites every seed. Needs only the Python 3 standard library."""

import hashlib
import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEEDS = ROOT / "fuzz" / "seeds"
FORMAT = (ROOT / "docs" / "FORMAT.md").read_text()


def section(title):
    """The text of the FORMAT.md section whose heading starts with `title`."""
    start = FORMAT.index(title)
    end = FORMAT.find("\n## ", start + 1)
    return FORMAT[start:end]


def hex_value(text, name):
    """The hex value under `name:` in a worked example (indented lines below it)."""
    match = re.search(rf"^{name}:\n((?:  [0-9a-f]+\n)+)", text, re.M)
    return bytes.fromhex("".join(match.group(1).split()))


def write(target, name, data):
    folder = SEEDS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data.encode() if isinstance(data, str) else data)


def transcript(steps):
    lines, prev = [], "0" * 64
    for seq, (step, detail) in enumerate(steps, 1):
        signed = step.endswith(".signed")
        entry = {"seq": seq, "time": "2026-11-26T20:40:05Z", "step": step,
                 "actors": [] if signed else ["cio"], "inputs": {},
                 "outputs": {} if signed else {"manifest.json": "ab" * 32}, "detail": detail,
                 "prev": prev}
        line = json.dumps(entry, separators=(",", ":"))
        prev = hashlib.sha256(line.encode()).hexdigest()
        lines.append(line + "\n")
    return "".join(lines)


share_file = hex_value(section("## 5."), "file")
write("sealed_share", "worked-example", b"\x00" + share_file)
write("sealed_share", "worked-example-body", b"\x01" + share_file[:-32])

manifest_text = re.search(r"```json\n(.*?)```", section("## 6."), re.S).group(1)
write("manifest", "worked-example.json", manifest_text)
manifest = json.loads(manifest_text)
manifest["revoked_sets"] = [{"set_id": "00" * 16, "epoch": 1, "revoked_at":
                             "2026-11-27T09:00:00Z", "reason": "a share was lost"}]
write("manifest", "revoked.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")

verifier_set = bytes.fromhex(manifest["verifier_set"])
share = bytes([1, 2]) + bytes(range(1, 33)) + bytes(range(33, 65))
write("shares", "share", share)
write("shares", "verifier-set", verifier_set)
write("shares", "share-and-set", share + verifier_set)

archive = hex_value(section("## 7."), "archive")
write("archive_header", "worked-example", archive)
# archive_stream: mode 1 seals `plaintext` and alters it (op, position), mode 0 opens raw bytes.
write("archive_stream", "one-chunk", b"\x01\x00\x00\x07" + b"abcdefghijklmnopqrstuvwxyz")
write("archive_stream", "two-chunks-sized", b"\x03\x01\x10\x00" + b"x" * 4100)
write("archive_stream", "raw", b"\x00" + bytes(range(48)))

write("transcript", "genesis.jsonl", transcript([
    ("genesis.begin", {"threshold": "2"}), ("genesis.share-sealed", {}),
    ("genesis.close", {"outcome": "done"})]))
write("transcript", "nested.jsonl", transcript([
    ("drill.begin", {}), ("unlock.begin", {}), ("unlock.close", {}), ("drill.close", {})]))
# A signature line in its place and form (FORMAT.md 9); the signature itself does not verify.
write("transcript", "signed.jsonl", transcript([
    ("genesis.begin", {"threshold": "2"}), ("genesis.close", {}),
    ("genesis.signed", {"epoch": "1", "signature": "01" + "00" * 3373})]))

# signature: mode 0 parses the rest as a key and as a signature; mode 1 XORs (pos_hi, pos_lo,
# byte) triples into the worked example's key and signature and verifies them.
write("signature", "verifying-key", b"\x00" + hex_value(section("## 10."), "verifying-key"))
write("signature", "example-unaltered", b"\x01")
write("signature", "example-one-byte", b"\x01\x08\x00\x01")

write("pkcs11_uri", "token", "pkcs11:token=embassy-hsm-1")
write("pkcs11_uri", "full", "pkcs11:token=a%20b;manufacturer=SoftHSM%20project;serial=1234;"
      "model=SoftHSM%20v2;slot-id=7;object=custody:ee-registries:e1;id=%01%ab;type=secret-key"
      "?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:///run/pin")
write("pkcs11_uri", "fd", "pkcs11:object=k?pin-source=fd:3")

write("officials_toml", "example.toml", (ROOT / "ceremonies" / "officials.example.toml").read_text())
write("officials_toml", "two.toml", '[[official]]\nid = "a"\nname = "A"\nrole = "R"\n\n'
      '[[official]]\nid = "b"\nname = "B"\nrole = "R"\n')

write("kit_sums", "fixture", "".join(f"{d}  {p}\n" for d, p in [
    ("504c769f45f26e956d45faaadce02473fd28d5f63e77d7125560e26847ab02ab", "RECOVER.md"),
    ("1c7568faf63e3c5d28abdea2aac9afcee57da0328106c75da6a01c1197873567", "custody"),
    ("0ca2bd7c216ed9525900004f5d992d652df7e18b42a15af7d937a0b4e72746a4", "domain/chain/000000.json"),
    ("0ca2bd7c216ed9525900004f5d992d652df7e18b42a15af7d937a0b4e72746a4", "domain/manifest.json"),
]))

sheet = section("## 12.")
blocks = re.findall(r"```text\n(.*?)```", sheet, re.S)
payload = "".join(blocks[1].split())
words = "".join(line.strip().split("  ", 1)[1] + "\n" for line in blocks[2].splitlines())
write("share_sheet", "words", b"\x00" + words.encode())
write("share_sheet", "payload", b"\x01" + payload.encode())

# catalog: mode 0 reads the rest as batch 1, mode 1 as a proof file (section 16.8).
catalog = section("## 16.")
batches = re.findall(r"```text\n(\{\"catalog\".*?)```", catalog, re.S)
write("catalog", "batch-1", b"\x00" + batches[0].encode())
write("catalog", "proof", b"\x01" + re.search(r"```json\n(.*?)```", catalog, re.S).group(1).encode())
