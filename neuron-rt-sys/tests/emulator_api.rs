//! The emulator through the raw function table: lifecycle, core counts, instance presets,
//! visible cores, NEFF load statuses, tensors and tensor sets.
//!
//! The emulator is process-global, so every test holds `LOCK`; the first holder records what the
//! runtime answers before any `nrt_init` in this process.
#![cfg(feature = "emulator")]

use neuron_rt_sys::*;
use std::ffi::{CStr, c_char, c_void};
use std::path::PathBuf;
use std::ptr;
use std::sync::{Mutex, MutexGuard, OnceLock};

static LOCK: Mutex<()> = Mutex::new(());

/// Statuses answered before the first `nrt_init` of this process.
#[derive(Debug)]
struct BeforeInit {
    load: NRT_STATUS,
    tensor_allocate: NRT_STATUS,
    unload: NRT_STATUS,
    total: (NRT_STATUS, u32),
    visible: (NRT_STATUS, u32),
    version: NRT_STATUS,
}

static BEFORE_INIT: OnceLock<BeforeInit> = OnceLock::new();

fn api() -> &'static NrtApi {
    static API: OnceLock<NrtApi> = OnceLock::new();
    API.get_or_init(NrtApi::emulator)
}

fn lock_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nrt-emu-api-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn set(key: &CStr, value: Option<&str>) -> NRT_STATUS {
    let f = api().nrt_emu_set_option.get().unwrap();
    let value = value.map(|v| std::ffi::CString::new(v).unwrap());
    // SAFETY: both pointers are NULL or NUL-terminated strings alive for the call.
    unsafe {
        f(
            key.as_ptr(),
            value.as_ref().map_or(ptr::null(), |v| v.as_ptr()),
        )
    }
}

fn init() -> NRT_STATUS {
    // SAFETY: the version strings are valid C strings.
    unsafe { (api().nrt_init)(NRT_FRAMEWORK_TYPE_NO_FW, c"".as_ptr(), c"".as_ptr()) }
}

fn close() {
    // SAFETY: nrt_close takes no arguments and is valid in any state.
    unsafe { (api().nrt_close)() }
}

fn counts() -> (NRT_STATUS, u32, NRT_STATUS, u32) {
    let (mut t, mut v) = (0u32, 0u32);
    // SAFETY: valid out-pointers.
    let st = unsafe { (api().nrt_get_total_nc_count)(&mut t) };
    // SAFETY: valid out-pointer.
    let sv = unsafe { (api().nrt_get_visible_nc_count)(&mut v) };
    (st, t, sv, v)
}

/// Take the process lock, make sure the runtime is closed and every option is at its default
/// (with this binary's own lock dir and quiet logs).
fn guard() -> MutexGuard<'static, ()> {
    let g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    BEFORE_INIT.get_or_init(|| {
        let neff = neff_v2("early", 1);
        let mut model: *mut nrt_model_t = ptr::null_mut();
        let mut tensor: *mut nrt_tensor_t = ptr::null_mut();
        let (st, t, sv, v) = counts();
        let mut ver = std::mem::MaybeUninit::<nrt_version_t>::zeroed();
        BeforeInit {
            // SAFETY: valid buffer and out-pointer.
            load: unsafe { (api().nrt_load)(neff.as_ptr().cast(), neff.len(), -1, -1, &mut model) },
            // SAFETY: valid out-pointer.
            tensor_allocate: unsafe {
                (api().nrt_tensor_allocate)(
                    NRT_TENSOR_PLACEMENT_DEVICE,
                    0,
                    16,
                    c"t".as_ptr(),
                    &mut tensor,
                )
            },
            // SAFETY: the emulator checks handles; NULL is reported, not dereferenced.
            unload: unsafe { (api().nrt_unload)(ptr::null_mut()) },
            total: (st, t),
            visible: (sv, v),
            // SAFETY: `ver` is a writable nrt_version_t of the given size.
            version: unsafe {
                (api().nrt_get_version)(ver.as_mut_ptr(), size_of::<nrt_version_t>())
            },
        }
    });
    close();
    for key in [c"instance", c"lnc", c"visible_cores", c"num_cores"] {
        assert_eq!(set(key, None), NRT_STATUS::NRT_SUCCESS);
    }
    let dir = lock_dir();
    assert_eq!(
        set(c"lock_dir", Some(dir.to_str().unwrap())),
        NRT_STATUS::NRT_SUCCESS
    );
    assert_eq!(set(c"log_level", Some("QUIET")), NRT_STATUS::NRT_SUCCESS);
    g
}

/// A NEFF header (`pkg_version` 2, gzip payload) that loads without an emulator program.
fn neff_v2(name: &str, cores: u32) -> Vec<u8> {
    // A complete, empty gzip member (header, an empty fixed-Huffman block, CRC-32 0, ISIZE 0): the
    // emulator decodes pkg_version 2 payloads, and an empty archive is a metadata-only model.
    let payload = [
        0x1fu8, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let mut b = vec![0u8; 1024];
    b[0..8].copy_from_slice(&2u64.to_le_bytes());
    b[8..16].copy_from_slice(&1024u64.to_le_bytes());
    b[0x10..0x18].copy_from_slice(&(payload.len() as u64).to_le_bytes());
    b[0x18..0x20].copy_from_slice(&2u64.to_le_bytes());
    b[0xA8..0xAC].copy_from_slice(&cores.to_le_bytes());
    b[0xDC..0xDC + name.len()].copy_from_slice(name.as_bytes());
    b[0x1DC..0x1E0].copy_from_slice(&cores.to_le_bytes());
    b[0x228..0x22C].copy_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&payload);
    b
}

fn load(neff: &[u8], vnc: i32) -> (NRT_STATUS, *mut nrt_model_t) {
    let mut model: *mut nrt_model_t = ptr::null_mut();
    // SAFETY: valid buffer of the given length and a valid out-pointer.
    let st = unsafe { (api().nrt_load)(neff.as_ptr().cast(), neff.len(), vnc, -1, &mut model) };
    (st, model)
}

fn unload(model: *mut nrt_model_t) -> NRT_STATUS {
    // SAFETY: `model` came from nrt_load (the emulator validates handles).
    unsafe { (api().nrt_unload)(model) }
}

fn alloc(vnc: i32, size: usize) -> (NRT_STATUS, *mut nrt_tensor_t) {
    let mut t: *mut nrt_tensor_t = ptr::null_mut();
    // SAFETY: valid name and out-pointer.
    let st = unsafe {
        (api().nrt_tensor_allocate)(
            NRT_TENSOR_PLACEMENT_DEVICE,
            vnc,
            size,
            c"t".as_ptr(),
            &mut t,
        )
    };
    (st, t)
}

fn free(mut t: *mut nrt_tensor_t) {
    // SAFETY: `t` came from an allocate call and is freed once.
    unsafe { (api().nrt_tensor_free)(&mut t) };
    assert!(t.is_null(), "nrt_tensor_free must clear the pointer");
}

/// A static C string returned by the runtime, as `&str` (`None` for NULL or invalid UTF-8).
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string that lives for the rest of the process.
unsafe fn c_str(ptr: *const c_char) -> Option<&'static str> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: non-null, NUL-terminated and static per this function's contract.
    unsafe { CStr::from_ptr(ptr) }.to_str().ok()
}

fn status_str(s: NRT_STATUS) -> String {
    let f = api().nrt_get_status_as_str.get().unwrap();
    // SAFETY: the emulator returns a static string, never NULL.
    unsafe { c_str(f(s)) }.unwrap().to_owned()
}

#[test]
fn calls_before_the_first_init_are_uninitialized() {
    let _g = guard();
    let b = BEFORE_INIT.get().unwrap();
    assert_eq!(b.load, NRT_STATUS::NRT_UNINITIALIZED, "{b:?}");
    assert_eq!(b.tensor_allocate, NRT_STATUS::NRT_UNINITIALIZED, "{b:?}");
    assert_eq!(b.unload, NRT_STATUS::NRT_UNINITIALIZED, "{b:?}");
    // Counts are answered before init: what nrt_init would use (default inf2.xlarge: 2 cores).
    assert_eq!(b.total, (NRT_STATUS::NRT_SUCCESS, 2), "{b:?}");
    assert_eq!(b.visible, (NRT_STATUS::NRT_SUCCESS, 2), "{b:?}");
    assert_eq!(b.version, NRT_STATUS::NRT_SUCCESS);
}

#[test]
fn init_is_idempotent_close_gives_closed_and_reinit_works() {
    let _g = guard();
    assert_eq!(init(), NRT_STATUS::NRT_SUCCESS);
    assert_eq!(
        init(),
        NRT_STATUS::NRT_SUCCESS,
        "init while initialised is a no-op"
    );
    // Options cannot change while initialised.
    assert_eq!(
        set(c"instance", Some("inf2.48xlarge")),
        NRT_STATUS::NRT_FAILURE
    );
    let (st, m) = load(&neff_v2("m", 1), 0);
    assert_eq!(st, NRT_STATUS::NRT_SUCCESS);
    let (st, t) = alloc(0, 64);
    assert_eq!(st, NRT_STATUS::NRT_SUCCESS);
    let mut set_ptr: *mut nrt_tensor_set_t = ptr::null_mut();
    // SAFETY: valid out-pointer.
    assert_eq!(
        // SAFETY: valid out-pointer.
        unsafe { (api().nrt_allocate_tensor_set)(&mut set_ptr) },
        NRT_STATUS::NRT_SUCCESS
    );
    close();
    // Everything from the closed session answers NRT_CLOSED.
    assert_eq!(load(&neff_v2("m", 1), 0).0, NRT_STATUS::NRT_CLOSED);
    assert_eq!(alloc(0, 64).0, NRT_STATUS::NRT_CLOSED);
    assert_eq!(unload(m), NRT_STATUS::NRT_CLOSED);
    let mut buf = [0u8; 4];
    // SAFETY: `t` is still a live (closed-session) tensor; buf is 4 bytes.
    let st = unsafe { (api().nrt_tensor_read)(t, buf.as_mut_ptr().cast(), 0, 4) };
    assert_eq!(st, NRT_STATUS::NRT_CLOSED);
    // SAFETY: live set, valid name and tensor.
    let st = unsafe { (api().nrt_add_tensor_to_tensor_set)(set_ptr, c"x".as_ptr(), t) };
    assert_eq!(st, NRT_STATUS::NRT_CLOSED);
    free(t);
    // SAFETY: the set is destroyed once.
    unsafe { (api().nrt_destroy_tensor_set)(&mut set_ptr) };
    // Re-init after close: a fresh session.
    assert_eq!(init(), NRT_STATUS::NRT_SUCCESS);
    let (st, m) = load(&neff_v2("m", 1), 0);
    assert_eq!(st, NRT_STATUS::NRT_SUCCESS);
    assert_eq!(unload(m), NRT_STATUS::NRT_SUCCESS);
    assert_eq!(unload(m), NRT_STATUS::NRT_INVALID_HANDLE, "double unload");
    close();
}

#[test]
fn instance_presets_and_lnc() {
    let _g = guard();
    let cases: &[(&str, Option<&str>, u32, u32, u32)] = &[
        (
            "inf1.24xlarge",
            None,
            64,
            NRT_INSTANCE_INF1,
            NRT_INSTANCE_SIZE_24XL,
        ),
        (
            "inf2.48xlarge",
            None,
            24,
            NRT_INSTANCE_INF2,
            NRT_INSTANCE_SIZE_48XL,
        ),
        (
            "inf2.xlarge",
            None,
            2,
            NRT_INSTANCE_INF2,
            NRT_INSTANCE_SIZE_1XL,
        ),
        (
            "trn1.32xlarge",
            None,
            32,
            NRT_INSTANCE_TRN1,
            NRT_INSTANCE_SIZE_32XL,
        ),
        (
            "trn2.48xlarge",
            None,
            64,
            NRT_INSTANCE_TRN2,
            NRT_INSTANCE_SIZE_48XL,
        ),
        (
            "trn2.48xlarge",
            Some("2"),
            64,
            NRT_INSTANCE_TRN2,
            NRT_INSTANCE_SIZE_48XL,
        ),
        (
            "trn2.48xlarge",
            Some("1"),
            128,
            NRT_INSTANCE_TRN2,
            NRT_INSTANCE_SIZE_48XL,
        ),
    ];
    for &(inst, lnc, cores, family, size) in cases {
        assert_eq!(set(c"instance", Some(inst)), NRT_STATUS::NRT_SUCCESS);
        assert_eq!(set(c"lnc", lnc), NRT_STATUS::NRT_SUCCESS);
        // Before init: what init would use.
        let (st, t, sv, v) = counts();
        assert_eq!(
            (st, t, sv, v),
            (
                NRT_STATUS::NRT_SUCCESS,
                cores,
                NRT_STATUS::NRT_SUCCESS,
                cores
            ),
            "{inst} {lnc:?}"
        );
        assert_eq!(init(), NRT_STATUS::NRT_SUCCESS, "{inst}");
        let (st, t, sv, v) = counts();
        assert_eq!(
            (st, t, sv, v),
            (
                NRT_STATUS::NRT_SUCCESS,
                cores,
                NRT_STATUS::NRT_SUCCESS,
                cores
            ),
            "{inst} {lnc:?}"
        );
        let (mut t2, mut v2) = (0, 0);
        // SAFETY: valid out-pointers.
        unsafe {
            assert_eq!(
                (api().nrt_get_total_vnc_count.get().unwrap())(&mut t2),
                NRT_STATUS::NRT_SUCCESS
            );
            assert_eq!(
                (api().nrt_get_visible_vnc_count.get().unwrap())(&mut v2),
                NRT_STATUS::NRT_SUCCESS
            );
        }
        assert_eq!((t2, v2), (cores, cores));
        let mut info = std::mem::MaybeUninit::<nrt_instance_info_t>::zeroed();
        let f = api().nrt_get_instance_info.get().unwrap();
        // SAFETY: `info` is a writable nrt_instance_info_t of the given size.
        let st = unsafe { f(info.as_mut_ptr(), size_of::<nrt_instance_info_t>()) };
        assert_eq!(st, NRT_STATUS::NRT_SUCCESS);
        // SAFETY: initialised by the successful call (and zeroed before).
        let info = unsafe { info.assume_init() };
        assert_eq!((info.family, info.size), (family, size), "{inst}");
        close();
    }
    // LNC 2 is trn2-only: accepted as an option, refused at init on inf2.
    assert_eq!(
        set(c"instance", Some("inf2.xlarge")),
        NRT_STATUS::NRT_SUCCESS
    );
    assert_eq!(set(c"lnc", Some("2")), NRT_STATUS::NRT_SUCCESS);
    assert_eq!(init(), NRT_STATUS::NRT_INVALID);
    assert_eq!(set(c"lnc", Some("3")), NRT_STATUS::NRT_INVALID);
    assert_eq!(set(c"instance", Some("inf9.huge")), NRT_STATUS::NRT_INVALID);
    assert_eq!(set(c"bogus_key", Some("1")), NRT_STATUS::NRT_INVALID);
    assert_eq!(set(c"log_level", Some("LOUD")), NRT_STATUS::NRT_INVALID);
}

#[test]
fn visible_cores_and_num_cores() {
    let _g = guard();
    assert_eq!(
        set(c"instance", Some("inf2.24xlarge")),
        NRT_STATUS::NRT_SUCCESS
    ); // 12 cores
    let ok: &[(&str, u32)] = &[
        ("5", 1),
        ("2-5", 4),
        ("3,4,5", 3),
        ("6-7,8", 3),
        (" 0 - 11 ", 12),
    ];
    for &(vis, n) in ok {
        assert_eq!(
            set(c"visible_cores", Some(vis)),
            NRT_STATUS::NRT_SUCCESS,
            "{vis}"
        );
        assert_eq!(counts().3, n, "{vis} before init");
        assert_eq!(init(), NRT_STATUS::NRT_SUCCESS, "{vis}");
        let (st, t, sv, v) = counts();
        assert_eq!(
            (st, t, sv, v),
            (NRT_STATUS::NRT_SUCCESS, 12, NRT_STATUS::NRT_SUCCESS, n),
            "{vis}"
        );
        close();
    }
    // Well-formed but refused at init (and by the count query).
    for vis in ["1,3", "0-1,4-5", "12", "10-12", "1-3,2"] {
        assert_eq!(
            set(c"visible_cores", Some(vis)),
            NRT_STATUS::NRT_SUCCESS,
            "{vis}"
        );
        assert_eq!(init(), NRT_STATUS::NRT_INVALID, "{vis}");
        assert_eq!(counts().2, NRT_STATUS::NRT_INVALID, "{vis}");
    }
    // Malformed: refused by the option itself.
    for vis in ["a", "3-1", "1,", "-2"] {
        assert_eq!(
            set(c"visible_cores", Some(vis)),
            NRT_STATUS::NRT_INVALID,
            "{vis}"
        );
    }
    assert_eq!(set(c"visible_cores", None), NRT_STATUS::NRT_SUCCESS);
    // num_cores
    assert_eq!(set(c"num_cores", Some("3")), NRT_STATUS::NRT_SUCCESS);
    assert_eq!(init(), NRT_STATUS::NRT_SUCCESS);
    assert_eq!(counts().3, 3);
    close();
    assert_eq!(set(c"num_cores", Some("13")), NRT_STATUS::NRT_SUCCESS);
    assert_eq!(
        init(),
        NRT_STATUS::NRT_INVALID,
        "more cores than the instance has"
    );
    assert_eq!(set(c"num_cores", Some("x")), NRT_STATUS::NRT_INVALID);
    // Visible cores take precedence over num_cores.
    assert_eq!(set(c"num_cores", Some("3")), NRT_STATUS::NRT_SUCCESS);
    assert_eq!(set(c"visible_cores", Some("4-5")), NRT_STATUS::NRT_SUCCESS);
    assert_eq!(init(), NRT_STATUS::NRT_SUCCESS);
    assert_eq!(counts().3, 2);
    close();
}

#[test]
fn load_statuses() {
    let _g = guard();
    assert_eq!(init(), NRT_STATUS::NRT_SUCCESS); // inf2.xlarge: 2 cores
    let good = neff_v2("good", 1);
    assert_eq!(
        load(&good[..500], 0).0,
        NRT_STATUS::NRT_INVALID,
        "truncated header"
    );
    assert_eq!(
        load(&good[..1030], 0).0,
        NRT_STATUS::NRT_INVALID,
        "truncated payload"
    );
    let mut bad = good.clone();
    bad[0x18..0x20].copy_from_slice(&3u64.to_le_bytes());
    assert_eq!(
        load(&bad, 0).0,
        NRT_STATUS::NRT_UNSUPPORTED_NEFF_VERSION,
        "NEFF major 3"
    );
    let mut bad = good.clone();
    bad[0x220..0x228].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert_eq!(
        load(&bad, 0).0,
        NRT_STATUS::NRT_UNSUPPORTED_NEFF_VERSION,
        "feature bits"
    );
    let mut bad = good.clone();
    bad[0..8].copy_from_slice(&7u64.to_le_bytes());
    assert_eq!(load(&bad, 0).0, NRT_STATUS::NRT_INVALID, "pkg_version 7");
    let mut bad = good.clone();
    bad[0x228..0x22C].copy_from_slice(&2u32.to_le_bytes());
    assert_eq!(
        load(&bad, 0).0,
        NRT_STATUS::NRT_INVALID,
        "LNC 2 NEFF on an LNC 1 runtime"
    );
    let mut bad = good.clone();
    bad[1024] = 0;
    assert_eq!(
        load(&bad, 0).0,
        NRT_STATUS::NRT_INVALID,
        "v2 payload not gzip"
    );
    // Cores
    assert_eq!(
        load(&neff_v2("big", 3), -1).0,
        NRT_STATUS::NRT_LOAD_NOT_ENOUGH_NC
    );
    assert_eq!(
        load(&neff_v2("two", 2), 1).0,
        NRT_STATUS::NRT_LOAD_NOT_ENOUGH_NC
    );
    assert_eq!(
        load(&good, 2).0,
        NRT_STATUS::NRT_INVALID,
        "vnc out of range"
    );
    assert_eq!(load(&good, -2).0, NRT_STATUS::NRT_INVALID, "vnc -2");
    let mut model: *mut nrt_model_t = ptr::null_mut();
    // SAFETY: valid buffer; vnc_count 1 is smaller than the model's 2 cores.
    let st = unsafe { (api().nrt_load)(good.as_ptr().cast(), good.len(), 0, 0, &mut model) };
    assert_eq!(
        st,
        NRT_STATUS::NRT_LOAD_NOT_ENOUGH_NC,
        "vnc_count below the model's cores"
    );
    // Success and counts
    let (st, m) = load(&neff_v2("two", 2), 0);
    assert_eq!(st, NRT_STATUS::NRT_SUCCESS);
    let mut k = 0;
    // SAFETY: live model, valid out-pointer.
    assert_eq!(
        // SAFETY: live model, valid out-pointer.
        unsafe { (api().nrt_get_model_nc_count)(m, &mut k) },
        NRT_STATUS::NRT_SUCCESS
    );
    assert_eq!(k, 2);
    let mut k2 = 0;
    // SAFETY: as above.
    assert_eq!(
        // SAFETY: as above.
        unsafe { (api().nrt_get_model_vnc_count.get().unwrap())(m, &mut k2) },
        NRT_STATUS::NRT_SUCCESS
    );
    assert_eq!(k2, 2);
    // A compressed NEFF has no tensors.
    let mut info: *mut nrt_tensor_info_array_t = ptr::null_mut();
    // SAFETY: live model and valid out-pointer.
    assert_eq!(
        // SAFETY: live model and valid out-pointer.
        unsafe { (api().nrt_get_model_tensor_info)(m, &mut info) },
        NRT_STATUS::NRT_SUCCESS
    );
    // SAFETY: returned by the call above.
    assert_eq!(unsafe { (*info).tensor_count }, 0);
    // SAFETY: freed once.
    assert_eq!(
        // SAFETY: freed once.
        unsafe { (api().nrt_free_model_tensor_info)(info) },
        NRT_STATUS::NRT_SUCCESS
    );
    assert_eq!(unload(m), NRT_STATUS::NRT_SUCCESS);
    close();
}

#[test]
fn tensors_bounds_and_errors() {
    let _g = guard();
    assert_eq!(init(), NRT_STATUS::NRT_SUCCESS);
    let a = api();
    assert_eq!(alloc(0, 0).0, NRT_STATUS::NRT_INVALID, "size 0");
    assert_eq!(
        alloc(2, 16).0,
        NRT_STATUS::NRT_INVALID,
        "vnc past the visible cores"
    );
    assert_eq!(alloc(-1, 16).0, NRT_STATUS::NRT_INVALID, "negative vnc");
    let mut v: *mut nrt_tensor_t = ptr::null_mut();
    // SAFETY: valid name and out-pointer.
    let st = unsafe {
        (a.nrt_tensor_allocate)(NRT_TENSOR_PLACEMENT_VIRTUAL, 0, 16, c"v".as_ptr(), &mut v)
    };
    assert_eq!(
        st,
        NRT_STATUS::NRT_SUCCESS,
        "virtual placement: accepted as host memory, as by the 2.29 runtime the emulator reports"
    );
    assert!(!v.is_null());
    // SAFETY: `v` was just allocated and is freed once.
    unsafe { (a.nrt_tensor_free)(&mut v) };
    assert!(v.is_null());
    let (st, t) = alloc(0, 16);
    assert_eq!(st, NRT_STATUS::NRT_SUCCESS);
    // SAFETY: every tensor below is live, and every buffer is at least `size` bytes.
    unsafe {
        assert_eq!((a.nrt_tensor_get_size)(t), 16);
        let mut buf = [0xAAu8; 16];
        assert_eq!(
            (a.nrt_tensor_read)(t, buf.as_mut_ptr().cast(), 0, 16),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(buf, [0; 16], "device tensors start zeroed");
        let data: Vec<u8> = (1..=16).collect();
        assert_eq!(
            (a.nrt_tensor_write)(t, data.as_ptr().cast(), 0, 16),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(
            (a.nrt_tensor_write)(t, data.as_ptr().cast(), 8, 9),
            NRT_STATUS::NRT_INVALID
        );
        assert_eq!(
            (a.nrt_tensor_read)(t, buf.as_mut_ptr().cast(), 17, 0),
            NRT_STATUS::NRT_INVALID
        );
        assert_eq!(
            (a.nrt_tensor_read)(t, buf.as_mut_ptr().cast(), 16, 0),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(
            (a.nrt_tensor_read)(t, buf.as_mut_ptr().cast(), usize::MAX, 2),
            NRT_STATUS::NRT_INVALID
        );
        assert_eq!(
            (a.nrt_tensor_read)(t, ptr::null_mut(), 0, 4),
            NRT_STATUS::NRT_INVALID
        );
        assert_eq!(
            (a.nrt_tensor_read)(ptr::null(), buf.as_mut_ptr().cast(), 0, 4),
            NRT_STATUS::NRT_INVALID
        );
        // memset
        let memset = a.nrt_tensor_memset.get().unwrap();
        assert_eq!(memset(t, 4, 0x7F, 4), NRT_STATUS::NRT_SUCCESS);
        assert_eq!(memset(t, 14, 0, 4), NRT_STATUS::NRT_INVALID);
        assert_eq!(
            (a.nrt_tensor_read)(t, buf.as_mut_ptr().cast(), 0, 16),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(&buf[..8], &[1, 2, 3, 4, 0x7F, 0x7F, 0x7F, 0x7F]);
        // get_va: the tensor's bytes
        let va = a.nrt_tensor_get_va.get().unwrap()(t).cast::<u8>();
        assert!(!va.is_null());
        assert_eq!(*va.add(8), 9);
        assert!(a.nrt_tensor_get_va.get().unwrap()(ptr::null()).is_null());
        // slice shares storage
        let slice_fn = a.nrt_tensor_allocate_slice.get().unwrap();
        let mut s: *mut nrt_tensor_t = ptr::null_mut();
        assert_eq!(
            slice_fn(t, 8, 8, c"s".as_ptr(), &mut s),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!((a.nrt_tensor_get_size)(s), 8);
        let mut sb = [0u8; 8];
        assert_eq!(
            (a.nrt_tensor_read)(s, sb.as_mut_ptr().cast(), 0, 8),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(sb, [9, 10, 11, 12, 13, 14, 15, 16]);
        let mut s2: *mut nrt_tensor_t = ptr::null_mut();
        assert_eq!(
            slice_fn(t, 8, 9, c"s2".as_ptr(), &mut s2),
            NRT_STATUS::NRT_INVALID
        );
        assert_eq!(
            slice_fn(t, 0, 0, c"s2".as_ptr(), &mut s2),
            NRT_STATUS::NRT_INVALID
        );
        assert_eq!(
            slice_fn(t, 0, 4, c"s2".as_ptr(), ptr::null_mut()),
            NRT_STATUS::NRT_INVALID
        );
        // The slice outlives its source.
        free(t);
        assert_eq!(
            (a.nrt_tensor_read)(s, sb.as_mut_ptr().cast(), 0, 8),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(sb[0], 9);
        // copy
        let copy = a.nrt_tensor_copy.get().unwrap();
        let (st, d) = alloc(0, 8);
        assert_eq!(st, NRT_STATUS::NRT_SUCCESS);
        assert_eq!(copy(s, 2, d, 0, 6), NRT_STATUS::NRT_SUCCESS);
        assert_eq!(copy(s, 2, d, 0, 7), NRT_STATUS::NRT_INVALID, "source range");
        assert_eq!(
            copy(s, 0, d, 4, 5),
            NRT_STATUS::NRT_INVALID,
            "destination range"
        );
        assert_eq!(
            (a.nrt_tensor_read)(d, sb.as_mut_ptr().cast(), 0, 8),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(&sb[..6], &[11, 12, 13, 14, 15, 16]);
        let (st, other_core) = alloc(1, 8);
        assert_eq!(st, NRT_STATUS::NRT_SUCCESS);
        assert_eq!(
            copy(d, 0, other_core, 0, 8),
            NRT_STATUS::NRT_INVALID,
            "cross-core copy"
        );
        free(other_core);
        free(d);
        free(s);
        // empty + attach_buffer
        let empty = a.nrt_tensor_allocate_empty.get().unwrap();
        let attach = a.nrt_tensor_attach_buffer.get().unwrap();
        let mut e: *mut nrt_tensor_t = ptr::null_mut();
        assert_eq!(empty(c"e".as_ptr(), &mut e), NRT_STATUS::NRT_SUCCESS);
        assert_eq!(
            (a.nrt_tensor_read)(e, sb.as_mut_ptr().cast(), 0, 1),
            NRT_STATUS::NRT_INVALID,
            "no storage"
        );
        let mut host = [5u8; 4];
        assert_eq!(attach(e, ptr::null_mut(), 4), NRT_STATUS::NRT_INVALID);
        assert_eq!(
            attach(e, host.as_mut_ptr().cast::<c_void>(), 0),
            NRT_STATUS::NRT_INVALID
        );
        assert_eq!(
            attach(e, host.as_mut_ptr().cast::<c_void>(), 4),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!((a.nrt_tensor_get_size)(e), 4);
        assert_eq!(
            a.nrt_tensor_get_va.get().unwrap()(e),
            host.as_mut_ptr().cast::<c_void>()
        );
        let w = [1u8, 2, 3, 4];
        assert_eq!(
            (a.nrt_tensor_write)(e, w.as_ptr().cast(), 0, 4),
            NRT_STATUS::NRT_SUCCESS
        );
        free(e);
        assert_eq!(
            host,
            [1, 2, 3, 4],
            "writes go to the attached buffer, which survives free"
        );
    }
    close();
}

#[test]
fn device_memory_exhaustion_is_resource() {
    let _g = guard();
    assert_eq!(init(), NRT_STATUS::NRT_SUCCESS); // inf2.xlarge: 32 GiB on its one chip
    let gib = 1usize << 30;
    // Reserve most of the chip with slices-free accounting: one 20 GiB tensor would need real
    // host memory, so charge with several tensors and free them. The emulator backs device
    // tensors with calloc, so stay small: check the limit with one allocation past it.
    let (st, _) = alloc(0, 33 * gib);
    assert_eq!(st, NRT_STATUS::NRT_RESOURCE, "more than the chip's 32 GiB");
    let mut h: *mut nrt_tensor_t = ptr::null_mut();
    // SAFETY: valid name and out-pointer.
    let st = unsafe {
        (api().nrt_tensor_allocate)(NRT_TENSOR_PLACEMENT_HOST, 0, 5 << 20, c"h".as_ptr(), &mut h)
    };
    assert_eq!(
        st,
        NRT_STATUS::NRT_RESOURCE,
        "host tensors are limited to 4 MiB"
    );
    let (st, t) = alloc(0, 16);
    assert_eq!(
        st,
        NRT_STATUS::NRT_SUCCESS,
        "a failed allocation charges nothing"
    );
    free(t);
    close();
}

#[test]
fn tensor_sets() {
    let _g = guard();
    assert_eq!(init(), NRT_STATUS::NRT_SUCCESS);
    let a = api();
    let (_, t1) = alloc(0, 4);
    let (_, t2) = alloc(0, 4);
    let mut s: *mut nrt_tensor_set_t = ptr::null_mut();
    // SAFETY: live set and tensors, valid names and out-pointers.
    unsafe {
        assert_eq!((a.nrt_allocate_tensor_set)(&mut s), NRT_STATUS::NRT_SUCCESS);
        assert_eq!(
            (a.nrt_allocate_tensor_set)(ptr::null_mut()),
            NRT_STATUS::NRT_INVALID
        );
        let mut got: *mut nrt_tensor_t = ptr::null_mut();
        assert_eq!(
            (a.nrt_get_tensor_from_tensor_set)(s, c"x".as_ptr(), &mut got),
            NRT_STATUS::NRT_FAILURE,
            "missing name"
        );
        assert_eq!(
            (a.nrt_add_tensor_to_tensor_set)(s, c"x".as_ptr(), t1),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(
            (a.nrt_get_tensor_from_tensor_set)(s, c"x".as_ptr(), &mut got),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(got, t1);
        assert_eq!(
            (a.nrt_add_tensor_to_tensor_set)(s, c"x".as_ptr(), t2),
            NRT_STATUS::NRT_SUCCESS,
            "replace"
        );
        assert_eq!(
            (a.nrt_get_tensor_from_tensor_set)(s, c"x".as_ptr(), &mut got),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(got, t2);
        assert_eq!(
            (a.nrt_add_tensor_to_tensor_set)(s, ptr::null(), t2),
            NRT_STATUS::NRT_INVALID
        );
        assert_eq!(
            (a.nrt_add_tensor_to_tensor_set)(s, c"y".as_ptr(), ptr::null_mut()),
            NRT_STATUS::NRT_INVALID
        );
        // Many names (grows past the initial capacity).
        let names: Vec<std::ffi::CString> = (0..20)
            .map(|i| std::ffi::CString::new(format!("n{i}")).unwrap())
            .collect();
        for n in &names {
            assert_eq!(
                (a.nrt_add_tensor_to_tensor_set)(s, n.as_ptr(), t1),
                NRT_STATUS::NRT_SUCCESS
            );
        }
        for n in &names {
            assert_eq!(
                (a.nrt_get_tensor_from_tensor_set)(s, n.as_ptr(), &mut got),
                NRT_STATUS::NRT_SUCCESS
            );
            assert_eq!(got, t1);
        }
        (a.nrt_destroy_tensor_set)(&mut s);
        assert!(s.is_null());
        // Executing a NULL model handle is refused.
        let mut s2: *mut nrt_tensor_set_t = ptr::null_mut();
        assert_eq!(
            (a.nrt_allocate_tensor_set)(&mut s2),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(
            (a.nrt_execute)(ptr::null_mut(), s2, s2),
            NRT_STATUS::NRT_INVALID_HANDLE
        );
        (a.nrt_destroy_tensor_set)(&mut s2);
    }
    free(t1);
    free(t2);
    close();
}

#[test]
fn version_and_status_names() {
    let _g = guard();
    assert!(api().is_emulator());
    let v = api().version();
    assert!(v.detail.contains("emulator"), "{v}");
    assert_eq!((v.major, v.minor, v.patch), (2, 29, 40));
    let mut raw = std::mem::MaybeUninit::<nrt_version_t>::zeroed();
    // SAFETY: writable and of the given size.
    assert_eq!(
        // SAFETY: writable and of the given size.
        unsafe { (api().nrt_get_version)(raw.as_mut_ptr(), size_of::<nrt_version_t>()) },
        NRT_STATUS::NRT_SUCCESS
    );
    // SAFETY: NULL is reported, not written.
    assert_eq!(
        // SAFETY: NULL is reported, not written.
        unsafe { (api().nrt_get_version)(ptr::null_mut(), 0) },
        NRT_STATUS::NRT_INVALID
    );
    // SAFETY: initialised by the call above.
    let raw = unsafe { raw.assume_init() };
    assert!(c_chars_to_string(&raw.rt_detail).contains("inf2.xlarge"));
    for (s, name) in [
        (NRT_STATUS::NRT_SUCCESS, "NRT_SUCCESS"),
        (NRT_STATUS::NRT_FAILURE, "NRT_FAILURE"),
        (NRT_STATUS::NRT_INVALID, "NRT_INVALID"),
        (NRT_STATUS::NRT_RESOURCE, "NRT_RESOURCE"),
        (NRT_STATUS::NRT_LOAD_NOT_ENOUGH_NC, "NRT_LOAD_NOT_ENOUGH_NC"),
        (
            NRT_STATUS::NRT_UNSUPPORTED_NEFF_VERSION,
            "NRT_UNSUPPORTED_NEFF_VERSION",
        ),
        (NRT_STATUS::NRT_UNINITIALIZED, "NRT_UNINITIALIZED"),
        (NRT_STATUS::NRT_CLOSED, "NRT_CLOSED"),
    ] {
        assert_eq!(status_str(s), name);
        assert_eq!(s.name(), Some(name));
    }
    // SAFETY: takes any status value.
    let unknown: *const c_char =
        // SAFETY: takes any status value.
        unsafe { api().nrt_get_status_as_str.get().unwrap()(NRT_STATUS(987_654)) };
    // SAFETY: never NULL, static.
    assert_eq!(unsafe { c_str(unknown) }, Some("NRT_UNKNOWN_STATUS"));
    // Count queries reject NULL.
    // SAFETY: NULL is reported, not written.
    assert_eq!(
        // SAFETY: NULL is reported, not written.
        unsafe { (api().nrt_get_total_nc_count)(ptr::null_mut()) },
        NRT_STATUS::NRT_INVALID
    );
}
