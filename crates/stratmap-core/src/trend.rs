//! The Mann–Kendall trend test (Mann 1945; Kendall 1975), as
//! pymannkendall's `original_test` computes it: S = Σᵢ<ⱼ sign(xⱼ − xᵢ), its
//! variance with the tie correction, Var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)]
//! / 18 over groups of t tied values, the continuity-corrected
//! Z = (S − sign S)/√Var(S) (0 when S = 0), a two-sided normal p, and
//! Kendall's τ = S / (n(n−1)/2).
//!
//! ```
//! use stratmap_core::{mann_kendall, Trend};
//! let mk = mann_kendall(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 0.05).unwrap();
//! assert_eq!((mk.s, mk.tau), (15, 1.0));
//! // Var(S) = 6·5·17/18 = 28.33…, Z = 14/√28.33 = 2.630
//! assert!((mk.z - 14.0 / (6.0f64 * 5.0 * 17.0 / 18.0).sqrt()).abs() < 1e-12);
//! assert_eq!(mk.trend, Trend::Increasing);
//! ```

use crate::hotspot::two_sided_p;

/// The direction of a trend, when significant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    /// Rising, significantly.
    Increasing,
    /// Falling, significantly.
    Decreasing,
    /// No significant trend.
    None,
}

impl Trend {
    /// `increasing`, `decreasing` or `no trend`.
    pub fn as_str(self) -> &'static str {
        match self {
            Trend::Increasing => "increasing",
            Trend::Decreasing => "decreasing",
            Trend::None => "no trend",
        }
    }
}

/// A Mann–Kendall test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannKendall {
    /// S.
    pub s: i64,
    /// Var(S), tie-corrected.
    pub var_s: f64,
    /// The continuity-corrected normal score.
    pub z: f64,
    /// Two-sided p of z.
    pub p: f64,
    /// Kendall's τ = S / (n(n − 1)/2).
    pub tau: f64,
    /// Increasing or decreasing when p < alpha, else none.
    pub trend: Trend,
}

/// The test of a series in time order; `None` for fewer than two values
/// (no pair to compare) or a value that is not a number.
pub fn mann_kendall(x: &[f64], alpha: f64) -> Option<MannKendall> {
    let n = x.len();
    if n < 2 || x.iter().any(|v| v.is_nan()) {
        return None;
    }
    let mut s: i64 = 0;
    for i in 0..n {
        for j in i + 1..n {
            s += match x[j].partial_cmp(&x[i]) {
                Some(std::cmp::Ordering::Greater) => 1,
                Some(std::cmp::Ordering::Less) => -1,
                _ => 0,
            };
        }
    }
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut ties = 0.0;
    let mut k = 0;
    while k < n {
        let mut e = k;
        while e < n && sorted[e] == sorted[k] {
            e += 1;
        }
        let t = (e - k) as f64;
        ties += t * (t - 1.0) * (2.0 * t + 5.0);
        k = e;
    }
    let nf = n as f64;
    let var_s = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - ties) / 18.0;
    let z = match s.signum() {
        0 => 0.0,
        sign if var_s > 0.0 => (s - sign) as f64 / var_s.sqrt(),
        _ => 0.0,
    };
    let p = two_sided_p(z);
    let trend = if p < alpha && z > 0.0 {
        Trend::Increasing
    } else if p < alpha && z < 0.0 {
        Trend::Decreasing
    } else {
        Trend::None
    };
    Some(MannKendall {
        s,
        var_s,
        z,
        p,
        tau: s as f64 / (nf * (nf - 1.0) / 2.0),
        trend,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_shorten_the_variance() {
        // 1, 1, 2: S = 2 (two pairs up, one tie); ties: one group of 2
        let mk = mann_kendall(&[1.0, 1.0, 2.0], 0.05).unwrap();
        assert_eq!(mk.s, 2);
        assert!((mk.var_s - (3.0 * 2.0 * 11.0 - 2.0 * 9.0) / 18.0).abs() < 1e-12);
        assert!((mk.z - 1.0 / mk.var_s.sqrt()).abs() < 1e-12);
        // all equal: S = 0, z = 0, p = 1
        let flat = mann_kendall(&[3.0; 5], 0.05).unwrap();
        assert_eq!(
            (flat.s, flat.z, flat.p, flat.trend),
            (0, 0.0, 1.0, Trend::None)
        );
        assert!(mann_kendall(&[1.0], 0.05).is_none());
    }
}
