//! Fuzz target: the transcript reader (docs/FORMAT.md section 9): `transcript::audit` (a finished
//! transcript) and `Transcript::open` (one a ceremony appends to) over a scratch file, and the
//! check of its signed ceremonies (`check_signed_ceremonies`) without keys and with the worked
//! example's verifying key of section 10.5 for every epoch. A transcript that passes the audit
//! must also open; one that opens must take one more entry and open again at that entry, and
//! still pass the audit if it did before.
#![no_main]

use custody::ceremony::transcript::{audit, read_closed, IfMissing, Record, Transcript};
use custody::ceremony::transcript_signature::check_signed_ceremonies;
use custody_fuzz::{scratch_file, verifying_key};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = scratch_file(data);
    let audited = audit(path);
    if let Ok(checked) = read_closed(path) {
        // With no key every signature line is refused; with the worked example's key only a
        // line in its place and form that verifies passes. Either answers, never panics.
        let _ = check_signed_ceremonies(&checked.entries, &|_| None);
        let _ = check_signed_ceremonies(&checked.entries, &|_| Some(verifying_key().clone()));
    }
    let Ok(mut transcript) = Transcript::open(path, IfMissing::Refuse) else {
        assert!(
            audited.is_err(),
            "a transcript passes the audit but does not open"
        );
        return;
    };
    let head = transcript
        .append(Record {
            step: "fuzz.close".into(),
            ..Record::default()
        })
        .unwrap();
    let reopened = Transcript::open(path, IfMissing::Refuse).unwrap();
    assert_eq!(reopened.head(), transcript.head());
    assert_eq!(
        transcript.head(),
        head.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    if let Ok(before) = audited {
        assert_eq!(audit(path).unwrap().entries, before.entries + 1);
    }
});
