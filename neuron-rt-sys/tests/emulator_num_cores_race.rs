//! Processes started together with `NEURON_RT_NUM_CORES` never refuse each other while enough
//! cores are free, on the statically linked emulator (the C test `reservation_race_test.c` does
//! the same for the drop-in library). Each round re-executes this test binary as 4 children on
//! trn1.32xlarge (32 cores) asking for 8 cores each; they wait for a start file, call `nrt_init`
//! together and report; all 4 must succeed with disjoint cores.
//!
//! Rounds: `NRT_EMU_RACE_ROUNDS` (default 3, i.e. 12 process starts; the long run is
//! `NRT_EMU_RACE_ROUNDS=50 cargo test -p neuron-rt-sys --test emulator_num_cores_race`, 200 starts).
#![cfg(feature = "emulator")]

use neuron_rt_sys::*;
use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "NRT_EMU_RACE_CHILD_DIR";
const PROCS: usize = 4;
const CORES: u32 = 8;

fn wait_for(path: &Path, timeout: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if path.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    false
}

/// The child's half: runs only when re-executed by the race test.
#[test]
fn race_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return; // run directly: nothing to do
    };
    let dir = PathBuf::from(dir);
    let id = std::env::var("NRT_EMU_RACE_CHILD_ID").unwrap();
    let api = NrtApi::emulator();
    let set = api.nrt_emu_set_option.get().unwrap();
    let locks = CString::new(dir.join("locks").to_str().unwrap()).unwrap();
    let cores = CString::new(CORES.to_string()).unwrap();
    let options = [
        (c"instance", c"trn1.32xlarge"),
        (c"num_cores", cores.as_c_str()),
        (c"lock_dir", locks.as_c_str()),
        (c"log_level", c"QUIET"),
    ];
    for (key, value) in options {
        // SAFETY: NUL-terminated strings alive for the call.
        let st = unsafe { set(key.as_ptr(), value.as_ptr()) };
        assert_eq!(st, NRT_STATUS::NRT_SUCCESS, "option {key:?}");
    }
    std::fs::write(dir.join(format!("ready-{id}")), "").unwrap();
    assert!(wait_for(&dir.join("go"), Duration::from_secs(30)));
    // SAFETY: valid C strings.
    let st = unsafe { (api.nrt_init)(NRT_FRAMEWORK_TYPE_NO_FW, c"".as_ptr(), c"".as_ptr()) };
    let mut visible = 0;
    // SAFETY: valid out-pointer.
    let _ = unsafe { (api.nrt_get_visible_vnc_count.get().unwrap())(&mut visible) };
    // written then renamed, so the parent never reads a partial file
    let tmp = dir.join(format!("partial-{id}"));
    std::fs::write(&tmp, format!("{} {visible}", st.0)).unwrap();
    std::fs::rename(&tmp, dir.join(format!("result-{id}"))).unwrap();
    // Hold the cores until every child has answered.
    wait_for(&dir.join("done"), Duration::from_secs(30));
    // SAFETY: no arguments.
    unsafe { (api.nrt_close)() };
}

#[test]
fn simultaneous_num_cores_processes_never_refuse_each_other() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return; // we are a child
    }
    let rounds: usize = std::env::var("NRT_EMU_RACE_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let base = std::env::temp_dir().join(format!("nrt-emu-race-{}", std::process::id()));
    let mut refusals = Vec::new();
    for round in 0..rounds {
        let dir = base.join(round.to_string());
        std::fs::create_dir_all(dir.join("locks")).unwrap();
        let mut children: Vec<_> = (0..PROCS)
            .map(|i| {
                Command::new(std::env::current_exe().unwrap())
                    .args(["--exact", "race_child", "--test-threads=1"])
                    .env(CHILD_ENV, &dir)
                    .env("NRT_EMU_RACE_CHILD_ID", i.to_string())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for i in 0..PROCS {
            assert!(
                wait_for(&dir.join(format!("ready-{i}")), Duration::from_secs(60)),
                "child {i} never got ready"
            );
        }
        std::fs::write(dir.join("go"), "").unwrap(); // all start together
        for i in 0..PROCS {
            assert!(
                wait_for(&dir.join(format!("result-{i}")), Duration::from_secs(60)),
                "child {i} never answered"
            );
            let text = std::fs::read_to_string(dir.join(format!("result-{i}"))).unwrap();
            if text != format!("{} {CORES}", NRT_STATUS::NRT_SUCCESS.0) {
                refusals.push(format!("round {round} child {i}: {text}"));
            }
        }
        std::fs::write(dir.join("done"), "").unwrap();
        for child in &mut children {
            assert!(child.wait().unwrap().success());
        }
    }
    let _ = std::fs::remove_dir_all(&base);
    assert!(
        refusals.is_empty(),
        "{} of {} process starts refused (status, visible cores): {refusals:?}",
        refusals.len(),
        rounds * PROCS
    );
}
