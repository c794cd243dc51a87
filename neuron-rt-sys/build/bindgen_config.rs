// The one bindgen configuration of neuron-rt-sys.
//
// Shared (through `#[path]`) by the build script's opt-in `bindgen` feature and by
// `cargo run -p xtask -- bindings`, which regenerates the checked-in files, so both always
// produce the same output for the same headers.

use std::path::Path;

/// Headers the bindings cover, in the order a C program would include them.
pub const HEADERS: &[&str] = &[
    "nrt/nrt.h",
    "nrt/nrt_status.h",
    "nrt/nrt_version.h",
    "nrt/nrt_experimental.h",
    "nrt/nrt_profile.h",
    "nrt/nrt_async.h",
];

/// The crate's `rust-version`: generated code must compile there.
const RUST_TARGET_MINOR: u64 = 85;

fn base(include_dir: &Path) -> bindgen::Builder {
    let target =
        bindgen::RustTarget::stable(RUST_TARGET_MINOR, 0).unwrap_or(bindgen::LATEST_STABLE_RUST);
    let wrapper: String = HEADERS
        .iter()
        .map(|h| format!("#include <{h}>\n"))
        .collect();
    bindgen::Builder::default()
        .header_contents("neuron_rt_sys_wrapper.h", &wrapper)
        .clang_arg(format!("-I{}", include_dir.display()))
        .rust_target(target)
        .rust_edition(bindgen::RustEdition::Edition2024)
        .layout_tests(true)
        .derive_default(true)
        .derive_debug(true)
        .derive_copy(true)
        .generate_comments(true)
        .sort_semantically(true)
        .merge_extern_blocks(true)
        .translate_enum_integer_types(true)
        .default_enum_style(bindgen::EnumVariation::Consts)
        .prepend_enum_name(false)
        .newtype_enum("NRT_STATUS")
        .must_use_type("NRT_STATUS")
}

/// Types, constants and enum values (`bindings.rs`): everything but the functions.
pub fn types(include_dir: &Path) -> bindgen::Builder {
    base(include_dir)
        .allowlist_type("nrta?_.*|NRTA?_.*")
        .allowlist_var("NRTA?_.*|RT_VERSION_DETAIL_LEN|GIT_HASH_LEN")
        .blocklist_function(".*")
}

/// Function declarations only (`declarations.rs`), used to check at compile time that the
/// function table's signatures are exactly the headers'.
pub fn functions(include_dir: &Path) -> bindgen::Builder {
    base(include_dir)
        .allowlist_function("nrta?_.*")
        .blocklist_type(".*")
        .blocklist_var(".*")
        .raw_line("#[allow(unused_imports)]")
        .raw_line("use crate::bindings::*;")
}
