//! `Program::decode` (the emulator's program format, `nrtemu/program.bin`) on arbitrary bytes.
//! Never panics; an accepted program re-encodes to bytes that decode to the same program, and
//! a small one evaluates on zero inputs without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neuron_neff::Program;

/// Evaluate only programs whose tensors total at most this many bytes, so a fuzzed matmul
/// cannot spend seconds per input (libFuzzer would report a timeout, not a bug).
const EVAL_BYTE_LIMIT: u64 = 256 * 1024;

fuzz_target!(|data: &[u8]| {
    let Ok(program) = Program::decode(data) else {
        return;
    };
    program.validate().expect("a decoded program is valid");
    let encoded = program.encode();
    let again = Program::decode(&encoded).expect("an encoded program must decode");
    assert_eq!(again, program, "encode/decode round trip");

    let total: u64 = program.tensors.iter().map(|t| t.size_bytes()).sum();
    if total <= EVAL_BYTE_LIMIT {
        let inputs: Vec<Vec<u8>> = program
            .inputs()
            .map(|t| vec![0u8; t.size_bytes() as usize])
            .collect();
        let refs: Vec<&[u8]> = inputs.iter().map(Vec::as_slice).collect();
        let outputs = program
            .evaluate(&refs)
            .expect("evaluate accepts correctly sized inputs");
        for (out, t) in outputs.iter().zip(program.outputs()) {
            assert_eq!(out.len() as u64, t.size_bytes(), "output '{}' size", t.name);
        }
    }
});
