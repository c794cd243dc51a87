//! Helpers for the async API's sequence ids (`nrt_async.h`): the function-like macros
//! `NRTA_SEQ_GET_SEQ_NUM` / `NRTA_SEQ_GET_XU_ID`, which bindgen cannot translate, written once
//! from the header's constants.

use crate::bindings::{NRTA_SEQ_NUM_MASK, nrta_seq_t, nrta_xu_id_t};

/// Bits 47..0 of a sequence id: the request's number on its execution unit
/// (`NRTA_SEQ_GET_SEQ_NUM`).
#[inline]
pub const fn seq_num(seq: nrta_seq_t) -> u64 {
    seq & NRTA_SEQ_NUM_MASK
}

/// Bits 63..48 of a sequence id: the execution unit (queue) it was scheduled on
/// (`NRTA_SEQ_GET_XU_ID`).
#[inline]
pub const fn seq_xu_id(seq: nrta_seq_t) -> nrta_xu_id_t {
    (seq >> 48) as nrta_xu_id_t
}

/// The sequence id of request `num` on execution unit `xu_id` (`num` is masked to 48 bits).
#[inline]
pub const fn make_seq(xu_id: nrta_xu_id_t, num: u64) -> nrta_seq_t {
    ((xu_id as u64) << 48) | (num & NRTA_SEQ_NUM_MASK)
}
