//! Cross-process core exclusivity with real processes: this test binary re-executes itself as a
//! child that holds cores 0-1, and the parent checks that it cannot take them until the child is
//! killed with SIGKILL (the kernel then releases the child's locks).
#![cfg(feature = "emulator")]

use neuron_rt_sys::*;
use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "NRT_EMU_PROCESSES_TEST_CHILD_DIR";

fn set(api: &NrtApi, key: &CStr, value: &str) {
    let value = std::ffi::CString::new(value).unwrap();
    let f = api.nrt_emu_set_option.get().unwrap();
    // SAFETY: both are NUL-terminated strings alive for the call.
    assert_eq!(
        // SAFETY: both are NUL-terminated strings alive for the call.
        unsafe { f(key.as_ptr(), value.as_ptr()) },
        NRT_STATUS::NRT_SUCCESS
    );
}

fn init(api: &NrtApi, lock_dir: &Path) -> NRT_STATUS {
    set(api, c"instance", "inf2.24xlarge");
    set(api, c"visible_cores", "0-1");
    set(api, c"lock_dir", lock_dir.to_str().unwrap());
    set(api, c"log_level", "QUIET");
    // SAFETY: valid C strings.
    unsafe { (api.nrt_init)(NRT_FRAMEWORK_TYPE_NO_FW, c"".as_ptr(), c"".as_ptr()) }
}

/// The child's half: runs only when re-executed by `second_process_cannot_take_held_cores`.
#[test]
fn child_holds_cores() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return; // run directly: nothing to do
    };
    let dir = PathBuf::from(dir);
    let api = NrtApi::emulator();
    let st = init(&api, &dir.join("locks"));
    std::fs::write(dir.join("ready"), format!("{}", st.0)).unwrap();
    // Hold the cores until killed (bounded, so an orphan never lingers).
    std::thread::sleep(Duration::from_secs(60));
}

fn wait_for(path: &Path, timeout: Duration) -> Option<String> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Ok(s) = std::fs::read_to_string(path) {
            if !s.is_empty() {
                return Some(s);
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

#[test]
fn second_process_cannot_take_held_cores() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return; // we are the child
    }
    let dir = std::env::temp_dir().join(format!("nrt-emu-proc-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("locks")).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_holds_cores",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let ready = wait_for(&dir.join("ready"), Duration::from_secs(20));
    if ready.is_none() {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the child never signalled readiness");
    }
    assert_eq!(
        ready.as_deref(),
        Some(&*NRT_STATUS::NRT_SUCCESS.0.to_string()),
        "the child's nrt_init failed"
    );

    let api = NrtApi::emulator();
    let st = init(&api, &dir.join("locks"));
    assert_eq!(
        st,
        NRT_STATUS::NRT_FAILURE,
        "cores 0-1 are held by the child"
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "the child is still alive"
    );

    child.kill().unwrap(); // SIGKILL: no cleanup in the child, the kernel drops its locks
    let status = child.wait().unwrap();
    assert!(!status.success());

    // The kernel releases the locks when the process dies; poll briefly.
    let start = Instant::now();
    let mut st = init(&api, &dir.join("locks"));
    while st != NRT_STATUS::NRT_SUCCESS && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
        st = init(&api, &dir.join("locks"));
    }
    assert_eq!(
        st,
        NRT_STATUS::NRT_SUCCESS,
        "init after the holder was killed"
    );
    let mut visible = 0;
    // SAFETY: valid out-pointer.
    assert_eq!(
        // SAFETY: valid out-pointer.
        unsafe { (api.nrt_get_visible_nc_count)(&mut visible) },
        NRT_STATUS::NRT_SUCCESS
    );
    assert_eq!(visible, 2);
    // SAFETY: no arguments.
    unsafe { (api.nrt_close)() };
    let _ = std::fs::remove_dir_all(&dir);
}
