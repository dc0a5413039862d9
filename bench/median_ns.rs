// Included (`include!`) by the native timing programs that live in different workspaces
// (core/examples/rsa_round.rs, bench/rsa-digits): the same measurement as bench/pyjwt_sign.py's
// `median_ns` and bench/node_peers.mjs's `medianNs`.

/// Median of 30 per-batch means (ns per call), each batch sized to about `seconds / 30`, after
/// `seconds / 3` of calls unmeasured: the first RSA signatures of a process ran ~40 % slower here (the
/// CPU's clock ramping up, a key's Montgomery contexts built on first use).
fn median_ns(seconds: f64, f: impl Fn()) -> f64 {
    let warm = std::time::Instant::now();
    while warm.elapsed().as_secs_f64() < seconds / 3.0 {
        f();
    }
    let mut batch = 1u32;
    loop {
        let start = std::time::Instant::now();
        (0..batch).for_each(|_| f());
        if start.elapsed().as_secs_f64() > seconds / 30.0 {
            break;
        }
        batch *= 2;
    }
    let mut samples: Vec<f64> = (0..30)
        .map(|_| {
            let start = std::time::Instant::now();
            (0..batch).for_each(|_| f());
            start.elapsed().as_nanos() as f64 / f64::from(batch)
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[15]
}
