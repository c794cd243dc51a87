//! Helpers shared by the root package's integration tests.

/// A small deterministic generator (Marsaglia's xorshift64, shifts 13/7/17) for test inputs and
/// random timings: the same seed gives the same sequence on every machine.
pub struct Rng(u64);

impl Rng {
    /// A generator with this seed (0 is replaced, since xorshift stays at 0).
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A float in [-1, 1) from the top 24 bits.
    #[allow(dead_code)] // not every test binary uses it
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
    }
}
