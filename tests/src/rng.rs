//! A small deterministic generator (splitmix64) for test inputs: the same seed gives the same
//! repositories and the same fuzz cases on every machine.

/// splitmix64: the same bytes on every run.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// `n` incompressible bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(n + 8);
        while v.len() < n {
            v.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        v.truncate(n);
        v
    }

    /// `n` bytes of printable text, with newlines.
    pub fn text(&mut self, n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| {
                if i % 61 == 60 {
                    b'\n'
                } else {
                    b' ' + (self.below(95) as u8)
                }
            })
            .collect()
    }
}
