//! Small descriptive statistics shared by the methods, each with the exact
//! convention the specification names.

/// Mean and population standard deviation (divide by n) of the values, or
/// `None` when there are none. Summation runs in slice order, so the result
/// depends only on the order the caller gives.
///
/// The sd is exactly 0 when the values are all the same up to rounding: when
/// it is below 10⁻¹² of the values' magnitude (their largest absolute
/// value). Three cells of 0.1 have a computed sd of about 10⁻¹⁷, not 0, and
/// dividing by it would turn rounding noise into z = ±1.
///
/// ```
/// let (m, sd) = stratmap_core::mean_sd_population([0.1, 0.1, 0.1]).unwrap();
/// assert_eq!(sd, 0.0);
/// # let _ = m;
/// ```
///
/// ```
/// let (m, sd) = stratmap_core::mean_sd_population([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
/// assert_eq!((m, sd), (5.0, 2.0));
/// ```
pub fn mean_sd_population(values: impl IntoIterator<Item = f64> + Clone) -> Option<(f64, f64)> {
    let (n, sum) = values
        .clone()
        .into_iter()
        .fold((0usize, 0.0), |(n, s), v| (n + 1, s + v));
    if n == 0 {
        return None;
    }
    let mean = sum / n as f64;
    let (ss, scale) = values.into_iter().fold((0.0, 0.0f64), |(ss, m), v| {
        (ss + (v - mean) * (v - mean), m.max(v.abs()))
    });
    let sd = (ss / n as f64).sqrt();
    Some((mean, if sd <= SD_ZERO * scale { 0.0 } else { sd }))
}

/// Relative size below which a standard deviation is rounding noise.
pub const SD_ZERO: f64 = 1e-12;

/// The `p`-th percentile (0–100) of ascending-sorted values with linear
/// interpolation between closest ranks: numpy's default (`method="linear"`),
/// position h = (n − 1)·p/100.
///
/// ```
/// use stratmap_core::percentile_linear;
/// assert_eq!(percentile_linear(&[1.0, 2.0, 3.0, 4.0], 20.0), Some(1.6));
/// ```
pub fn percentile_linear(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * p / 100.0;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let frac = h - lo as f64;
    Some(sorted[lo] + frac * (sorted[hi] - sorted[lo]))
}

/// The Benjamini–Hochberg threshold for a false-discovery rate `alpha`
/// over `p` values (in any order): the largest p₍ₖ₎ with p₍ₖ₎ ≤ k/m·α, so a
/// test is significant when its p is at most the threshold. `None` when no
/// p passes (nothing is significant).
///
/// ```
/// use stratmap_core::bh_threshold;
/// // sorted: 0.001, 0.02, 0.03, 0.5 → thresholds 0.0125, 0.025, 0.0375, 0.05
/// assert_eq!(bh_threshold(&[0.5, 0.03, 0.001, 0.02], 0.05), Some(0.03));
/// assert_eq!(bh_threshold(&[0.2, 0.9], 0.05), None);
/// ```
pub fn bh_threshold(p: &[f64], alpha: f64) -> Option<f64> {
    let mut ps = p.to_vec();
    ps.sort_by(f64::total_cmp);
    let m = ps.len() as f64;
    ps.iter()
        .enumerate()
        .filter(|(k, p)| **p <= (*k as f64 + 1.0) / m * alpha)
        .map(|(_, p)| *p)
        .next_back()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_values_have_sd_exactly_zero() {
        for v in [0.1, 0.7, 1e-9, 123_456.789, -0.3] {
            let vals = [v; 7];
            let (m, sd) = mean_sd_population(vals.iter().copied()).unwrap();
            assert_eq!(sd, 0.0, "{v}");
            assert!((m - v).abs() <= 1e-15 * v.abs());
        }
        // a real spread, however small against the values, stays
        let (_, sd) = mean_sd_population([1e6, 1e6 + 0.01]).unwrap();
        assert!((sd - 0.005).abs() < 1e-9);
    }

    #[test]
    fn percentiles_match_numpy_linear() {
        // numpy.percentile([1, 2, 3, 4, 10], [20, 40, 60, 80]) = [1.8, 2.6, 3.4, 5.2]
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        let got: Vec<f64> = [20.0, 40.0, 60.0, 80.0]
            .iter()
            .map(|&p| percentile_linear(&v, p).unwrap())
            .collect();
        let want = [1.8, 2.6, 3.4, 5.2];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{got:?}");
        }
        assert_eq!(percentile_linear(&v, 0.0), Some(1.0));
        assert_eq!(percentile_linear(&v, 100.0), Some(10.0));
        assert_eq!(percentile_linear(&[7.0], 80.0), Some(7.0));
        assert_eq!(percentile_linear(&[], 50.0), None);
    }

    #[test]
    fn population_sd_divides_by_n() {
        let (m, sd) = mean_sd_population([1.0, 3.0]).unwrap();
        assert_eq!((m, sd), (2.0, 1.0));
        assert_eq!(mean_sd_population(Vec::<f64>::new()), None);
    }
}
