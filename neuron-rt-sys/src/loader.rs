//! Finding and loading the real `libnrt.so.1` at run time.
//!
//! Search order:
//! 1. the path given to [`NrtApi::load`] (used alone when given);
//! 2. otherwise the environment variable [`LIB_PATH_ENV`] (`NEURON_RT_LIB_PATH`, used alone when
//!    set);
//! 3. otherwise [`SDK_DEFAULT_PATH`] (`/opt/aws/neuron/lib/libnrt.so.1`, where the
//!    `aws-neuronx-runtime-lib` package installs it);
//! 4. then the system loader's `libnrt.so.1` (`LD_LIBRARY_PATH`, `ld.so.cache`).
//!
//! A path you configure is used alone: asking for one file and silently getting another would
//! hide the misconfiguration. Every failure is a [`LoadError`] that lists each path tried and why
//! it failed; nothing here panics.
//!
//! A library, once loaded, stays loaded for the life of the process: the real runtime starts
//! threads and registers exit handlers that must not outlive its code, so `dlclose` is never
//! called (as cudarc and ort do for the CUDA and ONNX Runtime libraries). A process-wide registry
//! keyed by path hands every later [`NrtApi::load`] of the same file the same library.

use crate::api::{ApiSource, NrtApi};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Every library loaded by this process, by the key of [`registry_key`]; never unloaded.
static LOADED: Mutex<Vec<(PathBuf, &'static libloading::Library)>> = Mutex::new(Vec::new());

/// The registry key of `path`: the canonical path of a file (so `./lib/libnrt.so.1` and its
/// absolute path are one entry), the bare name for the system loader.
fn registry_key(origin: LibraryOrigin, path: &Path) -> PathBuf {
    match origin {
        LibraryOrigin::SystemLoader => path.to_path_buf(),
        _ => std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
    }
}

/// The library at `path`, loaded once per process and kept loaded.
fn open_shared(
    origin: LibraryOrigin,
    path: &Path,
) -> Result<&'static libloading::Library, libloading::Error> {
    let key = registry_key(origin, path);
    // A poisoned registry is still consistent: entries are only ever pushed whole.
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, library)) = loaded.iter().find(|(k, _)| *k == key) {
        return Ok(library);
    }
    // SAFETY: loading a shared library runs its initialisers. We only load files that are, by
    // configuration or by the SDK's install layout, the Neuron runtime, whose initialisers are
    // safe to run in any process.
    let library = unsafe { libloading::Library::new(path) }?;
    // Leaked on purpose: the library stays mapped for the life of the process.
    let library: &'static libloading::Library = Box::leak(Box::new(library));
    loaded.push((key, library));
    Ok(library)
}

/// How many registry entries have this key (test support: at most one).
#[cfg(test)]
fn registry_entries(key: &Path) -> usize {
    let loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    loaded.iter().filter(|(k, _)| k == key).count()
}

/// Environment variable naming the libnrt file to load.
pub const LIB_PATH_ENV: &str = "NEURON_RT_LIB_PATH";
/// Where the Neuron SDK installs the runtime library.
pub const SDK_DEFAULT_PATH: &str = "/opt/aws/neuron/lib/libnrt.so.1";
/// The runtime's SONAME, resolved by the system loader as the last resort.
pub const SONAME: &str = "libnrt.so.1";

/// Which step of the search order a path came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LibraryOrigin {
    /// The path passed to [`NrtApi::load`].
    Explicit,
    /// The [`LIB_PATH_ENV`] environment variable.
    EnvVar,
    /// [`SDK_DEFAULT_PATH`].
    SdkDefault,
    /// The system loader's search for [`SONAME`].
    SystemLoader,
}

impl fmt::Display for LibraryOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LibraryOrigin::Explicit => "explicit path",
            LibraryOrigin::EnvVar => "NEURON_RT_LIB_PATH",
            LibraryOrigin::SdkDefault => "Neuron SDK default",
            LibraryOrigin::SystemLoader => "system loader",
        })
    }
}

/// One path that was tried and why it did not load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadAttempt {
    /// Where the path came from.
    pub origin: LibraryOrigin,
    /// The path (a bare file name for the system loader).
    pub path: PathBuf,
    /// The loader's reason.
    pub reason: String,
}

/// Why the real runtime could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadError {
    /// No candidate could be opened.
    NotFound {
        /// Every path tried, in order, with the reason it failed.
        attempts: Vec<LoadAttempt>,
    },
    /// A library was opened but lacks entry points the SDK requires.
    MissingSymbols {
        /// The library that was opened.
        path: PathBuf,
        /// The required functions it does not export.
        missing: Vec<&'static str>,
    },
    /// The library loaded but `nrt_get_version` failed.
    VersionQuery {
        /// The library that was opened.
        path: PathBuf,
        /// What `nrt_get_version` returned.
        status: crate::NRT_STATUS,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::NotFound { attempts } => {
                write!(f, "could not load the Neuron runtime (libnrt); tried:")?;
                for a in attempts {
                    write!(f, "\n  - {} ({}): {}", a.path.display(), a.origin, a.reason)?;
                }
                write!(
                    f,
                    "\ninstall aws-neuronx-runtime-lib, or set {LIB_PATH_ENV} to the path of \
                     libnrt.so.1 (or use the emulator on machines without Neuron hardware)"
                )
            }
            LoadError::MissingSymbols { path, missing } => write!(
                f,
                "{} is not a usable libnrt: it lacks the required function(s) {}; \
                 it is probably not libnrt, or a runtime older than 2.x — point {LIB_PATH_ENV} \
                 at the libnrt.so.1 of aws-neuronx-runtime-lib",
                path.display(),
                missing.join(", ")
            ),
            LoadError::VersionQuery { path, status } => write!(
                f,
                "{} loaded, but nrt_get_version failed with {status}",
                path.display()
            ),
        }
    }
}

impl std::error::Error for LoadError {}

/// The paths [`NrtApi::load`] would try, in order, for this explicit path and environment.
fn search_order(explicit: Option<&Path>) -> Vec<(LibraryOrigin, PathBuf)> {
    search_order_with(explicit, std::env::var_os(LIB_PATH_ENV).map(PathBuf::from))
}

fn search_order_with(
    explicit: Option<&Path>,
    env: Option<PathBuf>,
) -> Vec<(LibraryOrigin, PathBuf)> {
    if let Some(path) = explicit {
        return vec![(LibraryOrigin::Explicit, path.to_path_buf())];
    }
    match env.filter(|p| !p.as_os_str().is_empty()) {
        Some(path) => vec![(LibraryOrigin::EnvVar, path)],
        None => vec![
            (LibraryOrigin::SdkDefault, PathBuf::from(SDK_DEFAULT_PATH)),
            (LibraryOrigin::SystemLoader, PathBuf::from(SONAME)),
        ],
    }
}

impl NrtApi {
    /// Load the real runtime, following the search order of the [crate docs](crate), and read
    /// its version.
    ///
    /// The library is loaded once per process and never unloaded: a second `load` of the same
    /// file returns a table over the same library, and dropping every table leaves it mapped
    /// (the runtime's threads and exit handlers need its code until the process ends).
    ///
    /// ```
    /// use neuron_rt_sys::{LoadError, NrtApi};
    /// let err = NrtApi::load(Some("/nonexistent/libnrt.so.1".as_ref())).unwrap_err();
    /// let LoadError::NotFound { attempts } = &err else { panic!("{err}") };
    /// assert_eq!(attempts[0].path.to_str(), Some("/nonexistent/libnrt.so.1"));
    /// ```
    pub fn load(explicit: Option<&Path>) -> Result<NrtApi, LoadError> {
        let mut attempts = Vec::new();
        for (origin, path) in search_order(explicit) {
            // A path given as a file that does not exist fails fast with a clear reason; a bare
            // file name goes to the system loader.
            if origin != LibraryOrigin::SystemLoader && !path.exists() {
                attempts.push(LoadAttempt {
                    origin,
                    path,
                    reason: "no such file".into(),
                });
                continue;
            }
            let library = match open_shared(origin, &path) {
                Ok(library) => library,
                Err(e) => {
                    attempts.push(LoadAttempt {
                        origin,
                        path,
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            let source = ApiSource::Library {
                path: path.clone(),
                origin,
            };
            let mut api = NrtApi::from_library(library, source).map_err(|missing| {
                LoadError::MissingSymbols {
                    path: path.clone(),
                    missing,
                }
            })?;
            let version = api
                .query_version()
                .map_err(|status| LoadError::VersionQuery { path, status })?;
            api.set_version(version);
            return Ok(api);
        }
        Err(LoadError::NotFound { attempts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_path_is_used_alone() {
        let order = search_order_with(Some(Path::new("/x/libnrt.so.1")), Some("/env".into()));
        assert_eq!(
            order,
            vec![(LibraryOrigin::Explicit, PathBuf::from("/x/libnrt.so.1"))]
        );
    }

    #[test]
    fn env_var_is_used_alone_when_no_explicit_path() {
        let order = search_order_with(None, Some("/env/libnrt.so.1".into()));
        assert_eq!(
            order,
            vec![(LibraryOrigin::EnvVar, PathBuf::from("/env/libnrt.so.1"))]
        );
    }

    #[test]
    fn the_registry_keys_files_by_canonical_path() {
        let dir = std::env::temp_dir().join(format!("neuron-rt-sys-key-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("libnrt.so.1"), b"").unwrap();
        let direct = registry_key(LibraryOrigin::Explicit, &dir.join("libnrt.so.1"));
        let roundabout = registry_key(LibraryOrigin::EnvVar, &dir.join("sub/../libnrt.so.1"));
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(direct, roundabout);
        assert_eq!(
            registry_key(LibraryOrigin::SystemLoader, Path::new(SONAME)),
            PathBuf::from(SONAME)
        );
    }

    #[test]
    fn a_second_open_of_the_same_path_reuses_the_library() {
        // libc is loaded in every process: a real library this test can open without building one.
        let first = open_shared(LibraryOrigin::SystemLoader, Path::new("libc.so.6")).unwrap();
        let second = open_shared(LibraryOrigin::SystemLoader, Path::new("libc.so.6")).unwrap();
        assert!(std::ptr::eq(first, second));
        assert_eq!(registry_entries(Path::new("libc.so.6")), 1);
    }

    #[test]
    fn defaults_are_sdk_path_then_system_loader() {
        for env in [None, Some(PathBuf::new())] {
            let order = search_order_with(None, env);
            assert_eq!(
                order,
                vec![
                    (LibraryOrigin::SdkDefault, PathBuf::from(SDK_DEFAULT_PATH)),
                    (LibraryOrigin::SystemLoader, PathBuf::from(SONAME)),
                ]
            );
        }
    }
}
