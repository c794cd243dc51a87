//! Loading the real runtime: missing files, libraries lacking symbols, optional symbols and the
//! version read after loading. The fake libraries are compiled on the fly with the system C
//! compiler (`$CC`, default `cc`).

use neuron_rt_sys::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every entry point a library must export to load (see `NrtApi`).
const REQUIRED: &[&str] = &[
    "nrt_init",
    "nrt_close",
    "nrt_get_version",
    "nrt_get_total_nc_count",
    "nrt_get_visible_nc_count",
    "nrt_load",
    "nrt_load_collectives",
    "nrt_unload",
    "nrt_get_model_nc_count",
    "nrt_get_model_tensor_info",
    "nrt_free_model_tensor_info",
    "nrt_allocate_tensor_set",
    "nrt_destroy_tensor_set",
    "nrt_add_tensor_to_tensor_set",
    "nrt_get_tensor_from_tensor_set",
    "nrt_tensor_allocate",
    "nrt_tensor_free",
    "nrt_tensor_read",
    "nrt_tensor_write",
    "nrt_tensor_get_size",
    "nrt_execute",
];

fn scratch_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("neuron-rt-sys-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Compile `source` into `dir/libnrt.so.1` and return its path.
fn build_library(dir: &Path, source: &str) -> PathBuf {
    let c = dir.join("fake_nrt.c");
    let so = dir.join("libnrt.so.1");
    std::fs::write(&c, source).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = Command::new(&cc)
        .args(["-shared", "-fPIC", "-o"])
        .arg(&so)
        .arg(&c)
        .output()
        .unwrap_or_else(|e| panic!("running {cc}: {e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    so
}

/// Stubs for `names` (never called: only the symbols matter) plus a real `nrt_get_version`
/// returning `version_status`.
fn fake_runtime(names: &[&str], version_status: u32) -> String {
    let mut src = String::from("#include <string.h>\n#include <stdint.h>\n");
    for name in names.iter().filter(|n| **n != "nrt_get_version") {
        src.push_str(&format!("int {name}(void) {{ return 1; }}\n"));
    }
    if names.contains(&"nrt_get_version") {
        src.push_str(&format!(
            "typedef struct {{ uint64_t a, b, c, d; char detail[128]; char hash[64]; }} v_t;\n\
             int nrt_get_version(v_t *v, size_t size) {{\n\
               if ({version_status} != 0) return {version_status};\n\
               if (size < sizeof(v_t)) return 2;\n\
               memset(v, 0, sizeof *v); v->a = 2; v->b = 29; v->c = 40; v->d = 0;\n\
               strcpy(v->detail, \"fake runtime for loader tests\"); strcpy(v->hash, \"abc123\");\n\
               return 0; }}\n"
        ));
    }
    src
}

#[test]
fn a_missing_explicit_path_lists_what_was_tried() {
    let err = NrtApi::load(Some(Path::new("/nonexistent/dir/libnrt.so.1"))).unwrap_err();
    let LoadError::NotFound { attempts } = &err else {
        panic!("unexpected error: {err}")
    };
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].origin, LibraryOrigin::Explicit);
    assert_eq!(attempts[0].path, Path::new("/nonexistent/dir/libnrt.so.1"));
    assert_eq!(attempts[0].reason, "no such file");
    let text = err.to_string();
    assert!(
        text.contains("/nonexistent/dir/libnrt.so.1 (explicit path): no such file"),
        "{text}"
    );
    assert!(
        text.contains("NEURON_RT_LIB_PATH"),
        "the error names the fix: {text}"
    );
}

#[test]
fn a_file_that_is_not_a_library_reports_the_loader_reason() {
    let dir = scratch_dir("notlib");
    let path = dir.join("libnrt.so.1");
    std::fs::write(&path, b"this is not an ELF file").unwrap();
    let err = NrtApi::load(Some(&path)).unwrap_err();
    let LoadError::NotFound { attempts } = &err else {
        panic!("unexpected error: {err}")
    };
    assert_eq!(attempts[0].path, path);
    assert_ne!(attempts[0].reason, "no such file");
    assert!(!attempts[0].reason.is_empty());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_library_lacking_required_symbols_names_every_missing_one() {
    let dir = scratch_dir("missing");
    let present = ["nrt_init", "nrt_close", "nrt_get_version", "nrt_execute"];
    let so = build_library(&dir, &fake_runtime(&present, 0));
    let err = NrtApi::load(Some(&so)).unwrap_err();
    let LoadError::MissingSymbols { path, missing } = &err else {
        panic!("unexpected: {err}")
    };
    assert_eq!(path, &so);
    let expected: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|n| !present.contains(n))
        .collect();
    assert_eq!(missing, &expected);
    assert!(err.to_string().contains("nrt_tensor_allocate"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_complete_library_loads_reports_its_version_and_tolerates_missing_optional_symbols() {
    let dir = scratch_dir("complete");
    let so = build_library(&dir, &fake_runtime(REQUIRED, 0));
    let api = NrtApi::load(Some(&so)).unwrap();
    assert_eq!(
        api.source(),
        &ApiSource::Library {
            path: so.clone(),
            origin: LibraryOrigin::Explicit
        }
    );
    assert!(!api.is_emulator());
    let v = api.version();
    assert_eq!((v.major, v.minor, v.patch, v.maintenance), (2, 29, 40, 0));
    assert_eq!(v.detail, "fake runtime for loader tests");
    assert_eq!(v.git_hash, "abc123");
    assert_eq!(v.to_string(), "2.29.40.0 (fake runtime for loader tests)");
    // Optional entry points this fake does not export fail only their own call.
    assert!(!api.nrt_tensor_copy.is_present());
    let missing = api.nrt_tensor_copy.get().unwrap_err();
    assert_eq!(missing.name, "nrt_tensor_copy");
    assert!(
        missing
            .to_string()
            .contains("does not export `nrt_tensor_copy`")
    );
    assert!(
        api.nrt_emu_set_option.get().is_err(),
        "only the emulator has nrt_emu_set_option"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_failing_version_query_is_a_typed_error() {
    let dir = scratch_dir("version");
    let so = build_library(&dir, &fake_runtime(REQUIRED, 2));
    let err = NrtApi::load(Some(&so)).unwrap_err();
    assert_eq!(
        err,
        LoadError::VersionQuery {
            path: so,
            status: NRT_STATUS::NRT_INVALID
        }
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// Whether `path` is mapped into this process (`/proc/self/maps` names every mapped file).
fn is_mapped(path: &Path) -> bool {
    let canonical = std::fs::canonicalize(path).unwrap();
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .any(|line| line.ends_with(canonical.to_str().unwrap()))
}

#[test]
fn a_library_stays_loaded_for_the_process_and_a_second_load_reuses_it() {
    let dir = scratch_dir("registry");
    let so = build_library(&dir, &fake_runtime(REQUIRED, 0));
    let first = NrtApi::load(Some(&so)).unwrap();
    let init = first.nrt_init as usize;
    drop(first);
    // Dropping every table does not dlclose: the runtime's threads and exit handlers need it.
    assert!(is_mapped(&so), "{} was unloaded", so.display());
    // The same file through another spelling of its path: the same library, not a second copy.
    let roundabout = dir.join(".").join("libnrt.so.1");
    let second = NrtApi::load(Some(&roundabout)).unwrap();
    assert_eq!(second.nrt_init as usize, init);
    // The registry is keyed by path: a different file there later still gets the loaded library.
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(&so, b"not a library").unwrap();
    let third = NrtApi::load(Some(&so)).unwrap();
    assert_eq!(third.nrt_init as usize, init);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_required_function_list_is_the_tables() {
    assert_eq!(NrtApi::REQUIRED_FUNCTIONS, REQUIRED);
}
