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

/// Generate `builder`'s bindings as text, with bindgen's names for anonymous C enums removed.
///
/// The C headers declare some constants in anonymous `enum { ... }` blocks (instance family and
/// size). bindgen gives each such block a type alias `_bindgen_ty_N` whose number depends on the
/// order of declarations, so it is neither meaningful nor stable API. The constants are given
/// their underlying integer type instead and the aliases are dropped.
pub fn render(builder: bindgen::Builder) -> Result<String, bindgen::BindgenError> {
    Ok(inline_anonymous_enum_types(
        &builder.generate()?.to_string(),
    ))
}

fn inline_anonymous_enum_types(code: &str) -> String {
    let mut aliases = Vec::new();
    let mut kept = String::with_capacity(code.len());
    for line in code.lines() {
        let alias = line
            .strip_prefix("pub type _bindgen_ty_")
            .and_then(|rest| rest.strip_suffix(';'))
            .and_then(|rest| rest.split_once(" = "));
        match alias {
            Some((number, ty)) => {
                aliases.push((format!(": _bindgen_ty_{number} ="), format!(": {ty} =")))
            }
            None => {
                kept.push_str(line);
                kept.push('\n');
            }
        }
    }
    for (from, to) in aliases {
        kept = kept.replace(&from, &to);
    }
    kept
}
