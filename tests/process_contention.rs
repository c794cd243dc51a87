//! Stress: two processes contend for the same emulated cores while one of them is SIGKILLed at
//! a random moment (before, during or after it reserves them); then a third process must get
//! the cores. Catches a lock that survives its owner (a leaked core), two owners at once, and
//! both contenders refusing while nobody holds the cores (a spurious refusal).
//!
//! The child processes are this test binary, re-executed with `NEURON_RT_CONTENTION_CHILD` set
//! (see [`child_process_entry_point`]). CI runs 50 rounds; for a long run:
//!
//! ```text
//! NEURON_RT_STRESS_SCALE=20 cargo test --release --test process_contention -- --nocapture
//! ```
//!
//! (rounds = 50 × scale). `NEURON_RT_STRESS_SEED=<n>` replays the kill timings of a run (the
//! seed is printed).

mod common;

use common::Rng;
use neuron_neff::ModelBuilder;
use neuron_rt::{Backend, CoreRange, Device, Input};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Set in a child: the emulator lock directory to use.
const CHILD_ENV: &str = "NEURON_RT_CONTENTION_CHILD";
const INSTANCE: &str = "inf2.xlarge";
/// Every process asks for both cores of the instance (a multi-core reservation, so a
/// half-taken set is possible).
const CORES: (u32, u32) = (0, 2);
const ROUNDS: usize = 50;
/// How long a child may take to report; generous because the machine may be loaded.
const REPORT_TIMEOUT: Duration = Duration::from_secs(60);

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name}={v:?}: expected a non-negative integer"))
    })
}

/// The child side: reserve the cores, report, use them, then hold them until told to exit on
/// stdin (or killed). Exits with 0 after a clean close, 3 when refused, 1 on any other error.
fn child(lock_dir: &Path) -> ! {
    let say = |line: &str| {
        let mut out = std::io::stdout().lock();
        writeln!(out, "CHILD {line}").unwrap();
        out.flush().unwrap();
    };
    let opened = Device::builder()
        .backend(Backend::emulator(INSTANCE))
        .emulator_lock_dir(lock_dir)
        .visible_cores(CoreRange::new(CORES.0, CORES.1).unwrap())
        .open();
    let device = match opened {
        Ok(d) => d,
        Err(e) => {
            say(&format!("REFUSED {e}"));
            std::process::exit(3);
        }
    };
    say("GOT");
    let run = || -> Result<(), Box<dyn std::error::Error>> {
        let neff = ModelBuilder::mlp("contend", &[4, 8, 3], 2, 3)
            .cores(CORES.1)
            .build()?;
        let model = device.core_group_of_size(CORES.1)?.load(&neff)?;
        let x = ndarray::Array2::from_elem((2, 4), 0.5f32);
        model.run(&[Input::new("input", &x)])?;
        say("RAN");
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        drop(model);
        device.close()?;
        Ok(())
    };
    match run() {
        Ok(()) => {
            say("CLOSED");
            std::process::exit(0)
        }
        Err(e) => {
            say(&format!("ERROR {e}"));
            std::process::exit(1)
        }
    }
}

/// Entry point of the child processes; does nothing in a normal test run.
#[test]
fn child_process_entry_point() {
    if let Some(dir) = std::env::var_os(CHILD_ENV) {
        child(Path::new(&dir));
    }
}

/// A child process and what it has said so far.
struct Proc {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<(String, Instant)>,
    said: Vec<(String, Instant)>,
    stderr: std::thread::JoinHandle<String>,
}

impl Proc {
    fn spawn(name: &str, lock_dir: &Path) -> Proc {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child_process_entry_point",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, lock_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // libtest's "test child_process_entry_point ... " may precede it on the line.
                if let Some(at) = line.find("CHILD ") {
                    let _ = tx.send((line[at + "CHILD ".len()..].to_string(), Instant::now()));
                }
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        Proc {
            name: name.to_string(),
            stdin: child.stdin.take(),
            child,
            lines,
            said: Vec::new(),
            stderr,
        }
    }

    /// Waits for the next line; `None` when the process ended without saying more.
    fn next(&mut self) -> Option<(String, Instant)> {
        match self.lines.recv_timeout(REPORT_TIMEOUT) {
            Ok(l) => {
                self.said.push(l.clone());
                Some(l)
            }
            Err(RecvTimeoutError::Disconnected) => None,
            Err(RecvTimeoutError::Timeout) => {
                panic!(
                    "{}: no report in {REPORT_TIMEOUT:?} ({:?})",
                    self.name, self.said
                )
            }
        }
    }

    /// The first report: `GOT` or `REFUSED ...`.
    fn outcome(&mut self) -> Option<(String, Instant)> {
        self.said.first().cloned().or_else(|| self.next())
    }

    fn got_at(&self) -> Option<Instant> {
        self.said.iter().find(|(l, _)| l == "GOT").map(|&(_, t)| t)
    }

    fn refused(&self) -> bool {
        self.said.iter().any(|(l, _)| l.starts_with("REFUSED"))
    }

    fn kill(&mut self) {
        let _ = self.child.kill(); // SIGKILL; an error only means it has already exited
    }

    /// Reaps the process and collects everything it said. Returns (exit code, stderr).
    fn finish(mut self) -> (Option<i32>, String, Vec<(String, Instant)>) {
        drop(self.stdin.take());
        let status = self.child.wait().unwrap();
        while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(10)) {
            self.said.push(l);
        }
        (status.code(), self.stderr.join().unwrap(), self.said)
    }

    /// Asks a process holding the cores to close and exit; checks it did so cleanly.
    fn close(mut self) {
        let name = self.name.clone();
        writeln!(self.stdin.as_mut().unwrap(), "exit").unwrap();
        let (code, stderr, said) = self.finish();
        assert_eq!(
            code,
            Some(0),
            "{name} did not close cleanly: said {said:?}, stderr:\n{stderr}"
        );
        assert!(said.iter().any(|(l, _)| l == "CLOSED"), "{name}: {said:?}");
    }
}

#[test]
fn two_processes_contend_with_random_sigkill() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return; // a child runs only the entry point
    }
    let rounds = ROUNDS * env_number("NEURON_RT_STRESS_SCALE").unwrap_or(1).max(1) as usize;
    let seed = env_number("NEURON_RT_STRESS_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
    });
    eprintln!("process contention: {rounds} rounds, NEURON_RT_STRESS_SEED={seed}");
    let mut rng = Rng::new(seed);
    let lock_dir =
        std::env::temp_dir().join(format!("neuron-rt-contention-{}", std::process::id()));
    std::fs::create_dir_all(&lock_dir).unwrap();

    // How long a process takes from spawn to holding the cores; kills land in [0, 2x that).
    let mut startup = Duration::from_millis(20);
    let (mut killed_before_got, mut killed_holding, mut b_refused) = (0, 0, 0);
    for round in 0..rounds {
        let ctx = format!("round {round} (NEURON_RT_STRESS_SEED={seed})");
        let mut a = Proc::spawn("A", &lock_dir);
        let mut b = Proc::spawn("B", &lock_dir);
        let delay = Duration::from_micros(rng.next_u64() % (2 * startup.as_micros() as u64 + 1));
        std::thread::sleep(delay);
        let killed_at = Instant::now();
        a.kill();
        let (_, a_stderr, a_said) = a.finish();
        let a_got = a_said.iter().find(|(l, _)| l == "GOT").map(|&(_, t)| t);
        let a_refused = a_said.iter().any(|(l, _)| l.starts_with("REFUSED"));
        if a_got.is_some() {
            killed_holding += 1;
        } else {
            killed_before_got += 1;
        }

        let b_outcome = b.outcome();
        assert!(
            b_outcome.is_some(),
            "{ctx}: B exited without a report; stderr:\n{}",
            b.finish().1
        );
        // Two owners at once: B reported the cores before A was killed, and A held them too.
        if let (Some(_), Some(b_got)) = (a_got, b.got_at()) {
            assert!(
                b_got >= killed_at,
                "{ctx}: A and B both held cores {CORES:?} before A was killed"
            );
        }
        // Both refused: nobody held the cores, yet both were turned away.
        assert!(
            !(a_refused && b.refused()),
            "{ctx}: A and B were both refused while neither held the cores\nA: {a_said:?}\n\
             A stderr:\n{a_stderr}\nB: {:?}",
            b.said
        );
        if b.refused() {
            b_refused += 1;
            let (code, stderr, said) = b.finish();
            assert_eq!(code, Some(3), "{ctx}: B: {said:?}\n{stderr}");
            assert!(
                stderr.contains("not available"),
                "{ctx}: B was refused for another reason than a busy core: {said:?}\n{stderr}"
            );
        } else {
            // B holds the cores: kill it too at a random moment, or let it close cleanly.
            if rng.next_u64() % 2 == 0 {
                std::thread::sleep(Duration::from_micros(rng.next_u64() % 5000));
                b.kill();
                b.finish();
            } else {
                assert_eq!(b.next().map(|l| l.0), Some("RAN".to_string()), "{ctx}: B");
                b.close();
            }
        }

        // Everyone is gone: the next process must get the cores (nothing leaked) and use them.
        let spawned = Instant::now();
        let mut c = Proc::spawn("C", &lock_dir);
        let outcome = c.outcome();
        let Some(("GOT", at)) = outcome.as_ref().map(|(l, t)| (l.as_str(), *t)) else {
            let (_, c_stderr, c_said) = c.finish();
            panic!(
                "{ctx}: C did not get the cores although every other process had exited (a \
                 leaked core?)\nC said {c_said:?}, C stderr:\n{c_stderr}\nA said {a_said:?}, \
                 A stderr:\n{a_stderr}"
            );
        };
        startup = (startup + at.duration_since(spawned)) / 2;
        assert_eq!(c.next().map(|l| l.0), Some("RAN".to_string()), "{ctx}: C");
        c.close();
    }
    eprintln!(
        "process contention: A killed before holding the cores {killed_before_got}x, while \
         holding them {killed_holding}x; B refused {b_refused}x; startup ~{startup:?}"
    );
    let _ = std::fs::remove_dir_all(&lock_dir);
}
