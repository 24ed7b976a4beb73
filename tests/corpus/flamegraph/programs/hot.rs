use std::time::{Duration, Instant};
mod work {
    pub struct Task<T> { pub n: T }
    impl<T: Copy + Into<f64>> Task<T> {
        #[inline(never)]
        pub fn run(&self, end: std::time::Instant) -> f64 {
            let mut s = 0.0;
            while std::time::Instant::now() < end { for i in 0..1000 { s += (i as f64).sqrt() * self.n.into(); } }
            s
        }
    }
}
#[inline(never)]
fn drive(secs: f64) -> f64 {
    let t = work::Task { n: 3u32 };
    let c = || t.run(Instant::now() + Duration::from_secs_f64(secs));
    c()
}
fn main() {
    let secs: f64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(0.5);
    println!("{}", drive(secs) > 0.0);
}
