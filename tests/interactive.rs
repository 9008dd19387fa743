//! The ceremonies as officials meet them at the keyboard: the `custody` binary runs on a
//! pseudo-terminal of its own (its controlling terminal, where the no-echo prompts read), and the
//! test types as an official would, reading each prompt before answering it. Real SoftHSM tokens,
//! tiny argon2 costs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod room;

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{plant_key, TINY_KDF};
use room::{officials_toml, passphrase, Room};

/// How long a prompt may take to appear (a ceremony step on SoftHSM with tiny argon2 costs).
const PATIENCE: Duration = Duration::from_secs(60);

/// `custody` on a pseudo-terminal: what it shows, and a keyboard.
struct Terminal {
    child: Child,
    keyboard: File,
    screen: Arc<Mutex<Vec<u8>>>,
    /// How much of the screen the test has read.
    seen: usize,
}

impl Terminal {
    /// Runs `custody ARGS` in a session of its own whose controlling terminal is a new
    /// pseudo-terminal (`setsid --ctty`), so prompts read from it as from an official's keyboard.
    fn run(room: &Room, args: &[String]) -> Self {
        use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
            .expect("a pseudo-terminal");
        grantpt(&master).unwrap();
        unlockpt(&master).unwrap();
        let name = ptsname(&master, Vec::new()).unwrap();
        let terminal = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(name.to_str().unwrap())
            .unwrap();
        let child = Command::new("setsid")
            .arg("--ctty")
            .arg(env!("CARGO_BIN_EXE_custody"))
            .args(args)
            .env("SOFTHSM2_CONF", room.home.softhsm_conf())
            .stdin(Stdio::from(terminal.try_clone().unwrap()))
            .stdout(Stdio::from(terminal.try_clone().unwrap()))
            .stderr(Stdio::from(terminal))
            .spawn()
            .expect("setsid (util-linux) runs custody");
        let master = File::from(master);
        let keyboard = master.try_clone().unwrap();
        let screen = Arc::new(Mutex::new(Vec::new()));
        let shown = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut master = master;
            let mut buffer = [0u8; 4096];
            // The read fails (EIO) once the program has ended and closed the terminal.
            while let Ok(n @ 1..) = master.read(&mut buffer) {
                shown.lock().unwrap().extend_from_slice(&buffer[..n]);
            }
        });
        Self {
            child,
            keyboard,
            screen,
            seen: 0,
        }
    }

    /// Everything shown so far.
    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned()
    }

    /// Waits until `text` appears after what was read, and reads up to its end.
    fn expect(&mut self, text: &str) {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if let Some(at) = screen.get(self.seen..).and_then(|rest| rest.find(text)) {
                self.seen += at + text.len();
                return;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "`{text}` did not appear; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types `line` and Enter, once the prompt `prompt` is shown.
    fn answer(&mut self, prompt: &str, line: &str) {
        self.expect(prompt);
        self.keyboard
            .write_all(format!("{line}\n").as_bytes())
            .unwrap();
    }

    /// Waits for the program to end; its exit code and everything it showed.
    fn finish(mut self) -> (Option<i32>, String) {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "custody did not end; the screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        // What the program wrote last reaches the screen shortly after it ends.
        std::thread::sleep(Duration::from_millis(200));
        (status.code(), self.screen())
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const CHOOSE: &str = "choose your passphrase (at least 12 characters): ";
const AGAIN: &str = "type it again: ";
const TYPE: &str = "type your passphrase: ";

/// The arguments of an interactive genesis of `domain` into the room's domain directory, on the
/// home token.
fn genesis_args(room: &Room, domain: &str, officials: &Path, threshold: &str) -> Vec<String> {
    let mut args: Vec<String> = [
        "genesis",
        "--domain",
        domain,
        "--officials",
        officials.to_str().unwrap(),
        "--threshold",
        threshold,
        "--hsm",
        &room.home.uri.to_string(),
        "--out",
        room.dir().to_str().unwrap(),
    ]
    .map(String::from)
    .into();
    args.extend(TINY_KDF.map(String::from));
    args
}

/// Two officials, cio and justice, in an officials file of the room.
fn two_officials(room: &Room) -> std::path::PathBuf {
    let file = room.hsm.dir().join("two-officials.toml");
    std::fs::write(
        &file,
        officials_toml(&[
            ("cio", "Government CIO"),
            ("justice", "Minister of Justice"),
        ]),
    )
    .unwrap();
    file
}

#[test]
fn a_mistyped_proof_at_genesis_is_asked_again_and_the_genesis_completes() {
    let room = Room::new();
    let officials = two_officials(&room);
    let mut terminal = Terminal::run(
        &room,
        &genesis_args(&room, "ee-registries", &officials, "2"),
    );
    for id in ["cio", "justice"] {
        terminal.answer(CHOOSE, &passphrase(id));
        terminal.answer(AGAIN, &passphrase(id));
    }
    terminal.answer(TYPE, "amber cio lantern orbit seventy");
    terminal.expect("That passphrase does not open the share of cio");
    terminal.expect("2 tries left: cio, type it again.");
    terminal.answer(TYPE, &passphrase("cio"));
    terminal.expect("cio opened and verified their own share");
    terminal.answer(TYPE, &passphrase("justice"));
    let (code, screen) = terminal.finish();
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("Genesis complete"), "{screen}");
    let transcript = std::fs::read_to_string(room.dir().join("transcript.jsonl")).unwrap();
    let refused: Vec<&str> = transcript
        .lines()
        .filter(|line| line.contains("\"genesis.passphrase-refused\""))
        .collect();
    assert_eq!(refused.len(), 1, "{transcript}");
    assert!(refused[0].contains("\"1 of 3\""), "{transcript}");
    assert!(!transcript.contains("seventy"), "{transcript}");
    let audit = room.custody(&["audit", room.dir().to_str().unwrap()]);
    assert!(audit.ok, "{}{}", audit.stdout, audit.stderr);
}

#[test]
fn three_wrong_proofs_stop_the_genesis_and_withdraw_its_key() {
    let room = Room::new();
    let officials = two_officials(&room);
    let mut terminal = Terminal::run(
        &room,
        &genesis_args(&room, "ee-registries", &officials, "2"),
    );
    for id in ["cio", "justice"] {
        terminal.answer(CHOOSE, &passphrase(id));
        terminal.answer(AGAIN, &passphrase(id));
    }
    terminal.answer(TYPE, "amber cio lantern orbit seventy");
    terminal.answer(TYPE, "amber cio lantern orbit seventy-one");
    terminal.expect("1 try left: cio, type it again.");
    terminal.answer(TYPE, "amber cio lantern orbit seventy-two");
    let (code, screen) = terminal.finish();
    assert_eq!(code, Some(1), "{screen}");
    assert!(
        screen.contains(
            "official cio did not open their new share: 3 wrong passphrases; the genesis cannot \
             publish a share its official cannot open, so it stops here"
        ),
        "{screen}"
    );
    assert!(
        screen.contains("the domain key this genesis imported was destroyed on token"),
        "{screen}"
    );
    assert!(!screen.contains("justice opened"), "{screen}");
    assert!(!room.dir().exists());
    // No key of the domain stayed on the token: a genesis of the same domain, which refuses one,
    // goes through.
    room.genesis();
}

#[test]
fn an_official_who_mistypes_at_unlock_types_again_and_their_share_counts() {
    let room = Room::new();
    room.genesis();
    let args = vec![
        "unlock".to_owned(),
        "--manifest".into(),
        room.dir().join("manifest.json").display().to_string(),
        "--hsm".into(),
        room.embassy.uri.to_string(),
        room.share("cio"),
        room.share("justice"),
        room.share("ria"),
    ];
    let mut terminal = Terminal::run(&room, &args);
    terminal.answer(TYPE, "amber cio lantern orbit seventy");
    terminal.expect("2 tries left: cio, type it again.");
    terminal.answer(TYPE, &passphrase("cio"));
    terminal.expect("share of cio accepted: 1 of 3 accepted");
    terminal.answer(TYPE, &passphrase("justice"));
    terminal.answer(TYPE, &passphrase("ria"));
    let (code, screen) = terminal.finish();
    assert_eq!(code, Some(0), "{screen}");
    assert!(!screen.contains("REFUSED"), "{screen}");
    let transcript = std::fs::read_to_string(room.dir().join("transcript.jsonl")).unwrap();
    assert!(
        transcript.contains("\"unlock.passphrase-refused\""),
        "{transcript}"
    );
}

#[test]
fn an_official_who_mistypes_three_times_at_unlock_is_skipped_and_the_next_comes_forward() {
    let room = Room::new();
    room.genesis();
    let args = vec![
        "unlock".to_owned(),
        "--manifest".into(),
        room.dir().join("manifest.json").display().to_string(),
        "--hsm".into(),
        room.embassy.uri.to_string(),
        room.share("cio"),
        room.share("justice"),
        room.share("ria"),
        room.share("president-office"),
    ];
    let mut terminal = Terminal::run(&room, &args);
    for wrong in ["seventy", "seventy-one", "seventy-two"] {
        terminal.answer(TYPE, &format!("amber cio lantern orbit {wrong}"));
    }
    terminal.expect("REFUSED: share of cio");
    terminal.expect("3 wrong passphrases; this official is skipped");
    for id in ["justice", "ria", "president-office"] {
        terminal.answer(&format!("({id}): {TYPE}"), &passphrase(id));
    }
    let (code, screen) = terminal.finish();
    assert_eq!(code, Some(0), "{screen}");
    assert!(
        screen.contains("share of president-office accepted: 3 of 3"),
        "{screen}"
    );
    let transcript = std::fs::read_to_string(room.dir().join("transcript.jsonl")).unwrap();
    assert_eq!(
        transcript.matches("\"unlock.passphrase-refused\"").count(),
        3,
        "{transcript}"
    );
}

#[test]
fn a_short_passphrase_is_refused_before_its_confirmation_is_asked() {
    let room = Room::new();
    let officials = two_officials(&room);
    let mut terminal = Terminal::run(
        &room,
        &genesis_args(&room, "ee-registries", &officials, "2"),
    );
    terminal.answer(CHOOSE, "short");
    terminal.expect("shorter than 12 characters; choose a passphrase");
    terminal.expect(CHOOSE);
    let screen = terminal.screen();
    assert!(!screen.contains(AGAIN), "{screen}");
    assert!(!screen.contains(".."), "{screen}");
}

#[test]
fn a_short_new_passphrase_at_reseal_is_refused_before_its_confirmation_is_asked() {
    let room = Room::new();
    room.genesis();
    let args = vec![
        "share".to_owned(),
        "reseal".into(),
        "--manifest".into(),
        room.dir().join("manifest.json").display().to_string(),
        room.share("cio"),
    ];
    let before = std::fs::read(room.share("cio")).unwrap();
    let mut terminal = Terminal::run(&room, &args);
    terminal.answer("type your passphrase for ", &passphrase("cio"));
    terminal.answer("(at least 12 characters): ", "short");
    let (code, screen) = terminal.finish();
    assert_eq!(code, Some(1), "{screen}");
    assert!(
        screen.contains("error: the new passphrase is shorter than 12 characters"),
        "{screen}"
    );
    assert!(
        !screen.contains("type the new passphrase again"),
        "{screen}"
    );
    assert_eq!(std::fs::read(room.share("cio")).unwrap(), before);
}

/// Runs an interactive genesis that must be refused before any official is asked anything.
fn refused_before_anyone_types(room: &Room, args: &[String], reason: &str) -> String {
    let (code, screen) = Terminal::run(room, args).finish();
    assert_ne!(code, Some(0), "{screen}");
    assert!(screen.contains(reason), "{screen}");
    assert!(!screen.contains("passphrase"), "{screen}");
    assert!(!screen.contains("key generated"), "{screen}");
    screen
}

#[test]
fn a_threshold_above_the_officials_is_refused_before_the_plan_is_read() {
    let room = Room::new();
    let screen = refused_before_anyone_types(
        &room,
        &genesis_args(&room, "ee-registries", &room.officials, "6"),
        "a threshold of 6 does not fit 5 officials",
    );
    assert!(!screen.contains("will be needed"), "{screen}");
}

#[test]
fn an_invalid_domain_id_is_refused_before_anyone_types() {
    let room = Room::new();
    let screen = refused_before_anyone_types(
        &room,
        &genesis_args(&room, "EE_Bad", &room.officials, "3"),
        "the domain id `EE_Bad` has characters other than a-z, 0-9 and '-'",
    );
    assert!(!screen.contains("official cio"), "{screen}");
}

#[test]
fn a_key_of_the_domain_on_the_token_is_refused_before_anyone_types() {
    let room = Room::new();
    plant_key(&room.home, "custody:ee-registries:e1");
    refused_before_anyone_types(
        &room,
        &genesis_args(&room, "ee-registries", &room.officials, "3"),
        "already holds a key of domain ee-registries (epoch 1)",
    );
    assert!(!room.dir().exists());
}

/// A share sheet's words typed at a terminal: a line with two words swapped is named at once,
/// nothing is written, the line is asked for again, and the file is the original byte for byte.
#[test]
fn a_mistyped_line_of_a_share_sheet_is_named_at_once_and_typed_again() {
    let room = Room::new();
    let fixture = common::repo_root().join("tests/cmd/fixture/domain");
    let original = std::fs::read(fixture.join("shares/cio.share")).unwrap();
    let out = room.hsm.dir().join("cio.share");
    let args: Vec<String> = ["share", "import", "--words", "--manifest"]
        .iter()
        .map(|arg| (*arg).to_owned())
        .chain([
            fixture.join("manifest.json").display().to_string(),
            "--out".into(),
            out.display().to_string(),
        ])
        .collect();
    let mut terminal = Terminal::run(&room, &args);
    terminal.expect("Type the words of the share sheet");
    for (line, number) in custody::paper::words::lines(&original).iter().zip(1..) {
        let prompt = format!("line {number}: ");
        if number == 7 {
            let mut swapped: Vec<&str> = line.split(' ').collect();
            swapped.swap(0, 2);
            terminal.answer(&prompt, &swapped.join(" "));
            terminal.expect("error: line 7: its check words do not match its words");
            assert!(!out.exists());
        }
        terminal.answer(&prompt, line);
    }
    let (code, screen) = terminal.finish();
    assert_eq!(code, Some(0), "{screen}");
    assert!(
        screen.contains("It is byte for byte the share file"),
        "{screen}"
    );
    assert!(std::fs::read(&out).unwrap() == original);
}

#[test]
fn an_official_who_mistypes_when_contributing_types_again_and_the_contribution_is_written() {
    let room = Room::new();
    room.genesis();
    let request = room.hsm.dir().join("unlock.request");
    let issued = room.custody(&[
        "request",
        "--manifest",
        room.dir().join("manifest.json").to_str().unwrap(),
        "--hsm",
        &room.embassy.uri.to_string(),
        "--purpose",
        "unlock",
        "--out",
        request.to_str().unwrap(),
    ]);
    assert!(issued.ok, "{}{}", issued.stdout, issued.stderr);
    let out = room.hsm.dir().join("cio.contribution");
    let args = vec![
        "share".to_owned(),
        "contribute".into(),
        "--request".into(),
        request.display().to_string(),
        room.share("cio"),
        "--out".into(),
        out.display().to_string(),
    ];
    let mut terminal = Terminal::run(&room, &args);
    terminal.expect("Type your passphrase only if they all match.");
    let prompt = format!(
        "Official cio: type your passphrase for {}: ",
        room.share("cio")
    );
    terminal.answer(&prompt, "amber cio lantern orbit seventy");
    terminal.expect("That passphrase does not open this share. Type it again, please.");
    terminal.answer(&prompt, &passphrase("cio"));
    terminal.expect("Contribution written");
    let (code, screen) = terminal.finish();
    assert_eq!(code, Some(0), "{screen}");
    assert!(!screen.contains(&passphrase("cio")), "no echo: {screen}");
    assert!(out.is_file());
}
