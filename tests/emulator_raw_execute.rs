//! The emulator's raw `nrt_execute` and tensor info with a NEFF written by `neuron-neff`: the
//! statuses for a missing or wrongly sized input, and the tensor-info layout.

use neuron_neff::ModelBuilder;
use neuron_rt_sys::*;
use std::ffi::CStr;
use std::ptr;
use std::sync::Mutex;

static LOCK: Mutex<()> = Mutex::new(());

fn set(api: &NrtApi, key: &CStr, value: &str) {
    let value = std::ffi::CString::new(value).unwrap();
    let f = api.nrt_emu_set_option.get().unwrap();
    // SAFETY: NUL-terminated strings alive for the call.
    assert_eq!(
        // SAFETY: NUL-terminated strings alive for the call.
        unsafe { f(key.as_ptr(), value.as_ptr()) },
        NRT_STATUS::NRT_SUCCESS
    );
}

fn alloc(api: &NrtApi, size: usize) -> *mut nrt_tensor_t {
    let mut t = ptr::null_mut();
    // SAFETY: valid name and out-pointer.
    let st = unsafe {
        (api.nrt_tensor_allocate)(NRT_TENSOR_PLACEMENT_DEVICE, 0, size, c"t".as_ptr(), &mut t)
    };
    assert_eq!(st, NRT_STATUS::NRT_SUCCESS);
    t
}

#[test]
fn execute_statuses_and_tensor_info() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let api = NrtApi::emulator();
    let dir = std::env::temp_dir().join(format!("nrt-emu-raw-exec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    set(&api, c"lock_dir", dir.to_str().unwrap());
    set(&api, c"instance", "inf2.xlarge");
    set(&api, c"log_level", "QUIET");
    // SAFETY: valid C strings.
    let st = unsafe { (api.nrt_init)(NRT_FRAMEWORK_TYPE_NO_FW, c"".as_ptr(), c"".as_ptr()) };
    assert_eq!(st, NRT_STATUS::NRT_SUCCESS);

    let neff = ModelBuilder::mlp("raw", &[4, 8, 3], 2, 11).build().unwrap();
    let mut model = ptr::null_mut();
    // SAFETY: valid buffer and out-pointer.
    let st = unsafe { (api.nrt_load)(neff.as_ptr().cast(), neff.len(), 0, -1, &mut model) };
    assert_eq!(st, NRT_STATUS::NRT_SUCCESS);

    // Tensor info: input [2,4] f32 (32 bytes), output probs [2,3] f32 (24 bytes).
    let mut info: *mut nrt_tensor_info_array_t = ptr::null_mut();
    // SAFETY: live model, valid out-pointer.
    assert_eq!(
        // SAFETY: live model, valid out-pointer.
        unsafe { (api.nrt_get_model_tensor_info)(model, &mut info) },
        NRT_STATUS::NRT_SUCCESS
    );
    // SAFETY: the runtime returned an array of `tensor_count` entries.
    let entries = unsafe {
        std::slice::from_raw_parts((*info).tensor_array.as_ptr(), (*info).tensor_count as usize)
    };
    assert_eq!(entries.len(), 2);
    let describe = |e: &nrt_tensor_info_t| {
        // SAFETY: `shape` points to `ndim` dims owned by the info array.
        let shape = unsafe { std::slice::from_raw_parts(e.shape, e.ndim as usize) }.to_vec();
        (c_chars_to_string(&e.name), e.usage, e.size, shape)
    };
    assert_eq!(
        describe(&entries[0]),
        ("input".to_string(), NRT_TENSOR_USAGE_INPUT, 32, vec![2, 4])
    );
    assert_eq!(
        describe(&entries[1]),
        ("probs".to_string(), NRT_TENSOR_USAGE_OUTPUT, 24, vec![2, 3])
    );
    // SAFETY: freed once.
    assert_eq!(
        // SAFETY: freed once.
        unsafe { (api.nrt_free_model_tensor_info)(info) },
        NRT_STATUS::NRT_SUCCESS
    );

    let input = alloc(&api, 32);
    let wrong = alloc(&api, 16);
    let output = alloc(&api, 24);
    let (mut ins, mut outs) = (ptr::null_mut(), ptr::null_mut());
    // SAFETY: live sets, tensors and model; every buffer matches its size.
    unsafe {
        assert_eq!(
            (api.nrt_allocate_tensor_set)(&mut ins),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(
            (api.nrt_allocate_tensor_set)(&mut outs),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(
            (api.nrt_add_tensor_to_tensor_set)(outs, c"probs".as_ptr(), output),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(
            (api.nrt_execute)(model, ins, outs),
            NRT_STATUS::NRT_INVALID,
            "missing input"
        );
        assert_eq!(
            (api.nrt_add_tensor_to_tensor_set)(ins, c"input".as_ptr(), wrong),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(
            (api.nrt_execute)(model, ins, outs),
            NRT_STATUS::NRT_INVALID,
            "wrong size"
        );
        assert_eq!(
            (api.nrt_add_tensor_to_tensor_set)(ins, c"input".as_ptr(), input),
            NRT_STATUS::NRT_SUCCESS
        );
        let x = [0.5f32; 8];
        assert_eq!(
            (api.nrt_tensor_write)(input, x.as_ptr().cast(), 0, 32),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!((api.nrt_execute)(model, ins, outs), NRT_STATUS::NRT_SUCCESS);
        let mut probs = [0f32; 6];
        assert_eq!(
            (api.nrt_tensor_read)(output, probs.as_mut_ptr().cast(), 0, 24),
            NRT_STATUS::NRT_SUCCESS
        );
        for row in probs.chunks(3) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{probs:?}");
        }
        let repeat = api.nrt_execute_repeat.get().unwrap();
        // Repeat feeds outputs back as inputs: refused for a model whose outputs do not match
        // its inputs, and for a count below 1.
        assert_eq!(repeat(model, ins, outs, 3), NRT_STATUS::NRT_INVALID);
        assert_eq!(repeat(model, ins, outs, 0), NRT_STATUS::NRT_INVALID);
        (api.nrt_destroy_tensor_set)(&mut ins);
        (api.nrt_destroy_tensor_set)(&mut outs);
        for mut t in [input, wrong, output] {
            (api.nrt_tensor_free)(&mut t);
        }
        assert_eq!((api.nrt_unload)(model), NRT_STATUS::NRT_SUCCESS);
        (api.nrt_close)();
    }
}
