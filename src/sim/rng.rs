//! The simulator's own random numbers: xoshiro256** seeded through SplitMix64.
//!
//! A published algorithm in a few lines instead of a crate, so that a seed gives the same calls,
//! talk times and results on every machine and with every version of the dependencies. That is
//! what lets a test pin a seed and a bug report quote one.

/// SplitMix64 (Steele, Lea and Flood 2014): turns one 64-bit seed into well-mixed state words.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// xoshiro256** (Blackman and Vigna 2018): fast, 256 bits of state, good enough for queueing
/// simulation by a wide margin.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Rng {
    state: [u64; 4],
}

impl Rng {
    /// The generator for one purpose (one stream) of one seeded run. Each queue's arrivals, talk
    /// times and patience draw from their own stream, so adding an agent does not change which
    /// calls arrive or how long they last (common random numbers: staffing variants of one seed
    /// are compared on the same calls).
    pub fn stream(seed: u64, stream: u64) -> Rng {
        let mut mixer = SplitMix64(stream);
        let mut seeder = SplitMix64(seed ^ mixer.next_u64());
        Rng::from_state([
            seeder.next_u64(),
            seeder.next_u64(),
            seeder.next_u64(),
            seeder.next_u64(),
        ])
    }

    fn from_state(state: [u64; 4]) -> Rng {
        // The all-zero state is the one state xoshiro never leaves; SplitMix64 cannot produce
        // four zeros in a row, but guard anyway.
        let state = if state == [0; 4] { [1, 0, 0, 0] } else { state };
        Rng { state }
    }

    /// The next 64 random bits; every other draw is built on it.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1), with the 53 bits an `f64` holds.
    pub fn next_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// An exponential sample with the given mean, by inversion: -mean ln(1 - U). `1 - U` lies in
    /// (0, 1], so the logarithm is always finite.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.next_unit()).ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference_implementation() {
        // Outputs of the reference C code (splitmix64.c) for seed 1234567.
        let mut rng = SplitMix64(1_234_567);
        let out: Vec<u64> = (0..5).map(|_| rng.next_u64()).collect();
        assert_eq!(
            out,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423,
                4_593_380_528_125_082_431,
                16_408_922_859_458_223_821,
            ]
        );
    }

    #[test]
    fn xoshiro256_star_star_matches_the_reference_implementation() {
        // Outputs of the reference C code (xoshiro256starstar.c) from the state [1, 2, 3, 4].
        let mut rng = Rng::from_state([1, 2, 3, 4]);
        let out: Vec<u64> = (0..5).map(|_| rng.next_u64()).collect();
        assert_eq!(
            out,
            [
                11_520,
                0,
                1_509_978_240,
                1_215_971_899_390_074_240,
                1_216_172_134_540_287_360,
            ]
        );
    }

    #[test]
    fn streams_of_one_seed_differ_and_repeat() {
        let first: Vec<u64> = (0..4).map(|s| Rng::stream(7, s).next_u64()).collect();
        let again: Vec<u64> = (0..4).map(|s| Rng::stream(7, s).next_u64()).collect();
        assert_eq!(first, again);
        let mut distinct = first.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 4);
    }

    #[test]
    fn exponential_samples_have_the_requested_mean() {
        let mut rng = Rng::stream(42, 0);
        let n = 200_000;
        let mean = (0..n).map(|_| rng.exponential(240.0)).sum::<f64>() / n as f64;
        // The standard error of the mean is 240 / sqrt(n), about 0.54 s; allow 5 of them.
        assert!((mean - 240.0).abs() < 2.7, "mean {mean}");
    }
}
