// names.t: a Rust program (std only) whose two hot functions are a
// generic method and a function in a module; built once with the legacy
// symbol mangling and once with v0. argv[1]: seconds of CPU time, about
// 80% in checksum and 20% in spin.
mod engine {
    pub struct Grid<T> {
        pub cells: Vec<T>,
    }
    impl<T: Copy + Into<u64>> Grid<T> {
        #[inline(never)]
        pub fn checksum(&self, rounds: u32) -> u64 {
            let mut h: u64 = 1469598103934665603;
            for _ in 0..rounds {
                for &c in &self.cells {
                    h = (h ^ c.into()).wrapping_mul(1099511628211);
                }
            }
            h
        }
    }
    #[inline(never)]
    pub fn spin(n: u64) -> f64 {
        let mut a = 0.0f64;
        for i in 0..n {
            a = a * 1.0000001 + (i as f64) * 0.5;
        }
        a
    }
}

fn main() {
    let secs: f64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let g = engine::Grid { cells: vec![7u32; 10000] };
    let (mut out, mut f) = (0u64, 0.0f64);
    let t0 = std::time::Instant::now();
    while t0.elapsed().as_secs_f64() < secs {
        out ^= g.checksum(std::hint::black_box(400));
        f += engine::spin(std::hint::black_box(600_000));
    }
    println!("{} {}", out, f);
}
