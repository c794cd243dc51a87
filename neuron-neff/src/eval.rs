//! The reference CPU interpreter behind [`Program::evaluate`](crate::Program::evaluate); the
//! same arithmetic as the emulator's `nrtemu_program_run`.

use crate::program::{Op, OpKind, Program, Tensor};

fn f32s(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Element strides of `t` along each axis of an `nd`-dim output (0 where broadcast).
fn broadcast_strides(t: &Tensor, nd: usize) -> Vec<usize> {
    let mut strides = vec![0; nd];
    let mut stride = 1usize;
    for k in 0..nd {
        let d = if k < t.dims.len() {
            t.dims[t.dims.len() - 1 - k] as usize
        } else {
            1
        };
        strides[nd - 1 - k] = if d == 1 { 0 } else { stride };
        stride *= d;
    }
    strides
}

/// Runs one (validated) op and returns the output tensor's bytes.
pub(crate) fn run_op(p: &Program, op: &Op, store: &[Vec<u8>]) -> Vec<u8> {
    let ta = &p.tensors[op.inputs[0] as usize];
    let to = &p.tensors[op.output as usize];
    let a = &store[op.inputs[0] as usize];
    match op.kind {
        OpKind::Identity => a.clone(),
        OpKind::Relu => bytes(
            &f32s(a)
                .iter()
                .map(|&x| if x > 0.0 { x } else { 0.0 })
                .collect::<Vec<_>>(),
        ),
        OpKind::Add | OpKind::Mul => {
            let tb = &p.tensors[op.inputs[1] as usize];
            let (xa, xb) = (f32s(a), f32s(&store[op.inputs[1] as usize]));
            let nd = to.dims.len();
            let (sa, sb) = (broadcast_strides(ta, nd), broadcast_strides(tb, nd));
            let n = to.element_count() as usize;
            let mut out = Vec::with_capacity(n);
            let mut idx = vec![0usize; nd];
            let (mut ia, mut ib) = (0usize, 0usize);
            for _ in 0..n {
                let (x, y) = (xa[ia], xb[ib]);
                out.push(if op.kind == OpKind::Add { x + y } else { x * y });
                for k in (0..nd).rev() {
                    idx[k] += 1;
                    ia += sa[k];
                    ib += sb[k];
                    if idx[k] < to.dims[k] as usize {
                        break;
                    }
                    ia -= sa[k] * idx[k];
                    ib -= sb[k] * idx[k];
                    idx[k] = 0;
                }
            }
            bytes(&out)
        }
        OpKind::MatMul => {
            let tb = &p.tensors[op.inputs[1] as usize];
            let (xa, xb) = (f32s(a), f32s(&store[op.inputs[1] as usize]));
            let nd = ta.dims.len();
            let (m, k) = (ta.dims[nd - 2] as usize, ta.dims[nd - 1] as usize);
            let n = tb.dims[tb.dims.len() - 1] as usize;
            let batch = xa.len() / (m * k);
            let shared = tb.dims.len() == 2;
            let mut out = vec![0f32; batch * m * n];
            for bi in 0..batch {
                let (a0, b0, o0) = (bi * m * k, if shared { 0 } else { bi * k * n }, bi * m * n);
                for i in 0..m {
                    for j in 0..n {
                        let mut acc = 0f64;
                        for kk in 0..k {
                            acc += f64::from(xa[a0 + i * k + kk]) * f64::from(xb[b0 + kk * n + j]);
                        }
                        out[o0 + i * n + j] = acc as f32;
                    }
                }
            }
            bytes(&out)
        }
        OpKind::Softmax => {
            let x = f32s(a);
            let row = ta.dims.last().map_or(1, |&d| d as usize);
            let mut out = vec![0f32; x.len()];
            for (xr, or) in x.chunks(row).zip(out.chunks_mut(row)) {
                let mut mx = xr[0];
                for &v in &xr[1..] {
                    if v > mx {
                        mx = v;
                    }
                }
                let mut sum = 0f64;
                for (o, &v) in or.iter_mut().zip(xr) {
                    *o = (v - mx).exp();
                    sum += f64::from(*o);
                }
                for o in or.iter_mut() {
                    *o = (f64::from(*o) / sum) as f32;
                }
            }
            bytes(&out)
        }
    }
}
