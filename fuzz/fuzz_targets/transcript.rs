//! Fuzz target: the transcript reader (docs/FORMAT.md section 9): `transcript::audit` (a finished
//! transcript) and `Transcript::open` (one a ceremony appends to) over a scratch file. A
//! transcript that passes the audit must also open; one that opens must take one more entry and
//! open again at that entry, and still pass the audit if it did before.
#![no_main]

use custody::ceremony::transcript::{audit, IfMissing, Record, Transcript};
use custody_fuzz::scratch_file;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = scratch_file(data);
    let audited = audit(path);
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
