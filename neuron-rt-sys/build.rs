//! Build script of neuron-rt-sys.
//!
//! - feature `emulator` (default): compile the C emulator with every exported symbol prefixed
//!   `neuron_rt_emu_` so it can never clash with a real libnrt in the same process;
//! - feature `bindgen`: generate the bindings from the installed Neuron SDK headers
//!   (`$NEURON_RT_SDK_INCLUDE`, default `/opt/aws/neuron/include`);
//! - always: export our header directory to dependents as `DEP_NRT_INCLUDE`.

use std::path::{Path, PathBuf};

#[cfg(feature = "bindgen")]
#[path = "build/bindgen_config.rs"]
mod bindgen_config;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=include");
    println!("cargo:include={}", manifest.join("include").display());

    if std::env::var_os("CARGO_FEATURE_EMULATOR").is_some() {
        build_emulator(&manifest);
    }
    #[cfg(feature = "bindgen")]
    generate_bindings();
}

fn build_emulator(manifest: &Path) {
    let src = manifest.join("emulator/src");
    println!("cargo:rerun-if-changed={}", src.display());
    println!(
        "cargo:rerun-if-changed={}",
        manifest.join("emulator/include").display()
    );
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&src)
        .unwrap_or_else(|e| panic!("neuron-rt-sys: cannot read {}: {e}", src.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "c"))
        .collect();
    sources.sort();
    for source in &sources {
        println!("cargo:rerun-if-changed={}", source.display());
    }
    cc::Build::new()
        .files(&sources)
        .include(manifest.join("include"))
        .include(manifest.join("emulator/include"))
        .include(&src)
        .define("NRT_EMU_PREFIX_SYMBOLS", "1")
        .define("_GNU_SOURCE", None)
        .flag("-std=c11")
        .flag("-pthread")
        // The emulator's hot path is benchmarked against C: always optimise it.
        .opt_level(2)
        .warnings(true)
        .compile("neuron_rt_emulator");
    println!("cargo:rustc-link-lib=pthread");
}

#[cfg(feature = "bindgen")]
fn generate_bindings() {
    println!("cargo:rerun-if-env-changed=NEURON_RT_SDK_INCLUDE");
    let include = std::env::var_os("NEURON_RT_SDK_INCLUDE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/aws/neuron/include"));
    if !include.join("nrt/nrt.h").exists() {
        panic!(
            "neuron-rt-sys: feature `bindgen` needs the Neuron SDK headers, but {} does not \
             exist; install aws-neuronx-runtime-lib or set NEURON_RT_SDK_INCLUDE to the \
             directory that contains nrt/nrt.h (or drop the feature to use the checked-in bindings)",
            include.join("nrt/nrt.h").display()
        );
    }
    println!("cargo:rerun-if-changed={}", include.display());
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    for (file, builder) in [
        ("bindings.rs", bindgen_config::types(&include)),
        ("declarations.rs", bindgen_config::functions(&include)),
    ] {
        let text = bindgen_config::render(builder).unwrap_or_else(|e| {
            panic!(
                "neuron-rt-sys: bindgen failed on {}: {e}",
                include.display()
            )
        });
        std::fs::write(out.join(file), text)
            .unwrap_or_else(|e| panic!("neuron-rt-sys: writing {file}: {e}"));
    }
}
