//! NEFFs in the Neuron compiler's layout on the C emulator, through the safe API: the tensors the
//! emulator reports equal the Rust reader's (`neuron_neff::CompilerLayout`) on every fixture;
//! every malformed fixture the Rust reader rejects, the emulator rejects too (`NRT_INVALID`); the
//! C gzip decoder agrees with flate2 on payloads of every block type; execution is timed with
//! zeroed (or patterned) outputs, and a reference kernel computes `x @ y` equal to ndarray's.

use ndarray::{Array2, Ix2};
use neuron_neff::{CompilerNeffBuilder, DType, Neff};
use neuron_rt::{
    Backend, Device, DeviceBuilder, Error, Input, KernelIo, Lnc, LogLevel, OutputFill, f16,
};
use neuron_rt_sys::NRT_STATUS;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One Device per process at a time.
static LOCK: Mutex<()> = Mutex::new(());

fn builder(lnc: Lnc) -> DeviceBuilder {
    Device::builder()
        .backend(Backend::emulator("trn2.48xlarge"))
        .logical_nc_config(lnc)
        .log_level(LogLevel::Quiet)
        .emulator_lock_dir(
            std::env::temp_dir().join(format!("nrt-compiler-neff-{}", std::process::id())),
        )
}

fn reported(device: &Device, neff: &[u8]) -> Result<Vec<String>, Error> {
    let model = device.core_group_of_size(1)?.load(neff)?;
    Ok(model
        .inputs()
        .iter()
        .chain(model.outputs())
        .map(|t| format!("{:?} {} {:?} {}", t.usage, t.dtype, t.shape, t.size_bytes))
        .collect())
}

fn expected(neff: &[u8]) -> Result<Vec<String>, neuron_neff::NeffError> {
    let layout = Neff::parse(neff)?
        .compiler_layout()?
        .expect("a compiler NEFF");
    Ok(layout
        .tensors()
        .iter()
        .map(|t| {
            let usage = match t.kind {
                neuron_neff::IoKind::Input => "Input",
                neuron_neff::IoKind::Output => "Output",
            };
            let shape: Vec<usize> = t.shape.iter().map(|&d| d as usize).collect();
            format!("{usage} {} {shape:?} {}", t.dtype, t.size_bytes)
        })
        .collect())
}

fn xorshift(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// len bytes of compressible data with long and overlapping matches (see the caller).
fn structured(seed: &mut u64, len: usize) -> Vec<u8> {
    let mut d = Vec::with_capacity(len);
    while d.len() < len {
        let n = 1 + (xorshift(seed) % 300) as usize;
        match xorshift(seed) % 3 {
            0 if !d.is_empty() => {
                let back = 1 + (xorshift(seed) as usize) % d.len().min(32 << 10);
                for _ in 0..n {
                    d.push(d[d.len() - back]); // may overlap: back < n
                }
            }
            1 => {
                let b = xorshift(seed) as u8;
                d.extend(std::iter::repeat_n(b, n));
            }
            _ => {
                let alphabet = 2 + xorshift(seed) % 255;
                d.extend((0..n).map(|_| (xorshift(seed) % alphabet) as u8));
            }
        }
    }
    d.truncate(len);
    d
}

#[test]
fn emulator_and_rust_reader_agree_on_fixtures() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let mut valid = vec![
        CompilerNeffBuilder::matmul("file.neff", 128, 256, 128),
        CompilerNeffBuilder::matmul("file.neff", 3, 5, 7).compressed(false),
        CompilerNeffBuilder::matmul("file.neff", 4, 8, 2).without_attrs(),
        CompilerNeffBuilder::matmul("file.neff", 4, 8, 2)
            .without_attrs()
            .without_signature(),
        CompilerNeffBuilder::matmul("file.neff", 1, 1, 1).padding(0),
    ];
    let mut all = CompilerNeffBuilder::new("all").lnc(2);
    for d in DType::ALL {
        if !matches!(d, DType::Fp32r | DType::Fp8E3 | DType::Fp8E4 | DType::Fp8E5) {
            all = all.input(format!("in_{d}"), d, &[2, 3]);
        }
    }
    valid.push(all.output("out", DType::Bfloat16, &[]));
    // the C inflater against flate2: stored, fixed and dynamic blocks, large and tiny members
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for (level, len, alphabet) in [
        (0, 70_000, 256),
        (1, 5, 4),
        (6, 200_000, 3),
        (9, 100_000, 256),
        (6, 300_000, 40),
    ] {
        let data: Vec<u8> = (0..len)
            .map(|_| (xorshift(&mut seed) % alphabet) as u8)
            .collect();
        valid.push(
            CompilerNeffBuilder::matmul("file.neff", 2, 3, 4)
                .compression_level(level)
                .replace_member("sg00/blob.bin", data),
        );
    }
    // ... and on many random members: every level, sizes from 1 byte to 256 KiB, data mixing
    // literal runs of random alphabets, copies from up to 32 KiB back (overlapping ones too)
    // and single-byte runs, so every length/distance code and code-length shape gets decoded
    for _ in 0..40 {
        let level = (xorshift(&mut seed) % 10) as u32;
        let shift = xorshift(&mut seed) % 8; // small sizes as often as large ones
        let len = (1 + (xorshift(&mut seed) % (256 << 10)) as usize) >> shift;
        valid.push(
            CompilerNeffBuilder::matmul("file.neff", 2, 3, 4)
                .compression_level(level)
                .replace_member("sg00/blob.bin", structured(&mut seed, len)),
        );
    }
    let device = builder(Lnc::Two).open().unwrap();
    for (i, b) in valid.into_iter().enumerate() {
        let neff = b.build().unwrap();
        let want = expected(&neff).unwrap_or_else(|e| panic!("fixture {i}: {e}"));
        let got = reported(&device, &neff).unwrap_or_else(|e| panic!("fixture {i}: {e}"));
        assert_eq!(got, want, "fixture {i}");
    }
    let m = reported(
        &device,
        &CompilerNeffBuilder::matmul("file.neff", 128, 256, 128)
            .build()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        m,
        [
            "Input float16 [128, 256] 65536",
            "Input float16 [256, 128] 65536",
            "Output float16 [128, 128] 32768"
        ]
    );

    let base = || CompilerNeffBuilder::matmul("file.neff", 4, 8, 2);
    let malformed = vec![
        base().replace_member("neff.json", "{\"nodes\": [}"),
        base().replace_member("neff.json", "{\"a\":1,\"a\":2}"),
        base().replace_member("neff.json", "\"\\ud800\""),
        base().replace_member("sg01/def.json", "{\"var\": 3}"),
        base().replace_member("kelf-0.json", "{}"),
        base().remove_member("kelf-0.json"),
        base().remove_member("sg01/def.json"),
        base().def_size("x", 12),
        base().def_size("output0", 1),
        base().input_raw("z", "complex64", &[2]),
        base().input_raw("h", "float32", &[1 << 20, 1 << 20, 1 << 10]),
        base().input_raw("d", "float32", &[0]),
        base()
            .without_attrs()
            .without_signature()
            .without_tensor_map(),
        base().replace_member("neff.json", format!("{}{}", "[".repeat(65), "]".repeat(65))),
    ];
    for (i, b) in malformed.into_iter().enumerate() {
        let neff = b.build().unwrap();
        let rust = expected(&neff);
        assert!(
            rust.is_err(),
            "malformed fixture {i}: the Rust reader accepted it"
        );
        match reported(&device, &neff) {
            Err(Error::Runtime {
                call: "nrt_load",
                status,
                ..
            }) if status == NRT_STATUS::NRT_INVALID => {}
            other => panic!("malformed fixture {i}: the emulator gave {other:?}"),
        }
    }
    // gzip damage: truncated member, corrupt CRC, non-zero padding
    let good = CompilerNeffBuilder::matmul("file.neff", 4, 8, 2)
        .padding(64)
        .build()
        .unwrap();
    let gz_end = good.len() - 64;
    let mut variants = vec![];
    let mut t = good.clone();
    t[gz_end - 30..gz_end].fill(0);
    variants.push(t);
    let mut t = good.clone();
    t[gz_end - 8] ^= 1;
    variants.push(t);
    let mut t = good.clone();
    t[gz_end + 3] = 1;
    variants.push(t);
    for (i, neff) in variants.iter().enumerate() {
        assert!(expected(neff).is_err(), "gzip variant {i}");
        assert!(
            matches!(
                reported(&device, neff),
                Err(Error::Runtime { status, .. }) if status == NRT_STATUS::NRT_INVALID
            ),
            "gzip variant {i}"
        );
    }
    device.close().unwrap();
}

fn matmul_f16(x: &Array2<f16>, y: &Array2<f16>) -> Array2<f16> {
    x.mapv(f32::from)
        .dot(&y.mapv(f32::from))
        .mapv(f16::from_f32)
}

#[test]
fn reference_kernel_computes_x_at_y_and_fill_rules_apply_otherwise() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let neff = CompilerNeffBuilder::matmul("file.neff", 128, 256, 128)
        .build()
        .unwrap();
    let other = CompilerNeffBuilder::matmul("other.neff", 2, 2, 2)
        .build()
        .unwrap();
    let device = builder(Lnc::Two)
        .reference_kernel("file.neff", |io: &mut KernelIo<'_>| {
            let x = io
                .input_array::<f16>("x")?
                .into_dimensionality::<Ix2>()
                .map_err(|e| e.to_string())?
                .to_owned();
            let y = io
                .input_array::<f16>("y")?
                .into_dimensionality::<Ix2>()
                .map_err(|e| e.to_string())?
                .to_owned();
            io.output_array_mut::<f16>("output0")?
                .assign(&matmul_f16(&x, &y).into_dyn());
            Ok(())
        })
        .reference_kernel("bad.neff", |io: &mut KernelIo<'_>| {
            io.output_array_mut::<f32>("output0").map(drop) // wrong dtype: an error
        })
        .compiled_device_time("other.neff", Duration::from_millis(30))
        .compiled_output_fill(OutputFill::Pattern)
        .open()
        .unwrap();
    let model = device.core_group_of_size(1).unwrap().load(&neff).unwrap();
    let shown: Vec<String> = model
        .inputs()
        .iter()
        .chain(model.outputs())
        .map(|t| t.to_string())
        .collect();
    assert_eq!(
        shown,
        [
            "x: float16[128, 256]",
            "y: float16[256, 128]",
            "output0: float16[128, 128]"
        ]
    );
    let mut seed = 7u64;
    let mut r = || f16::from_f32((xorshift(&mut seed) % 2001) as f32 / 1000.0 - 1.0);
    let x = Array2::from_shape_simple_fn((128, 256), &mut r);
    let y = Array2::from_shape_simple_fn((256, 128), &mut r);
    let z = model
        .run(&[Input::new("x", &x), Input::new("y", &y)])
        .unwrap()
        .array::<f16>("output0")
        .unwrap();
    assert_eq!(z.into_dimensionality::<Ix2>().unwrap(), matmul_f16(&x, &y));

    // without a kernel: the pattern fill, after the configured device time
    let m2 = device.core_group_of_size(1).unwrap().load(&other).unwrap();
    let ones = Array2::from_elem((2, 2), f16::ONE);
    let t0 = Instant::now();
    let out = m2
        .run(&[Input::new("x", &ones), Input::new("y", &ones)])
        .unwrap();
    assert!(
        t0.elapsed() >= Duration::from_millis(30),
        "the device time is simulated"
    );
    let (_, bytes) = out.get("output0").unwrap();
    assert_eq!(bytes, &[0u8, 1, 2, 3, 4, 5, 6, 7][..]);

    // a kernel that fails fails the execution
    let bad = CompilerNeffBuilder::matmul("bad.neff", 2, 2, 2)
        .build()
        .unwrap();
    let m3 = device.core_group_of_size(1).unwrap().load(&bad).unwrap();
    let e = m3
        .run(&[Input::new("x", &ones), Input::new("y", &ones)])
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Runtime { call: "nrt_execute", status, .. } if status == NRT_STATUS::NRT_FAILURE
        ),
        "{e}"
    );
    drop((model, m2, m3));
    device.close().unwrap();

    // a new device without kernels: zeros (kernels and options do not leak between devices)
    let device = builder(Lnc::Two).open().unwrap();
    let model = device.core_group_of_size(1).unwrap().load(&neff).unwrap();
    let z = model
        .run(&[Input::new("x", &x), Input::new("y", &y)])
        .unwrap()
        .array::<f16>("output0")
        .unwrap();
    assert!(z.iter().all(|v| *v == f16::ZERO));
    drop(model);
    device.close().unwrap();
}

#[test]
fn lnc_mismatch_is_refused_before_loading() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let neff = CompilerNeffBuilder::matmul("file.neff", 2, 2, 2)
        .build()
        .unwrap(); // lnc_size 2
    let device = builder(Lnc::One).open().unwrap();
    let e = device
        .core_group_of_size(1)
        .unwrap()
        .load(&neff)
        .unwrap_err();
    assert!(matches!(e, Error::Neff { .. }), "{e}");
    assert!(e.to_string().contains("\"file.neff\""), "{e}");
    // the cause, with the fix, is the error's source
    let msg = std::error::Error::source(&e)
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(
        msg.contains("compiled for LNC 2 but the runtime uses LNC 1"),
        "{msg}"
    );
    assert!(msg.contains("NEURON_LOGICAL_NC_CONFIG=2"), "{msg}");
    device.close().unwrap();
}
