//! Means and 95 % confidence intervals over seeds, with Student's t for small samples: a sweep
//! or a paired comparison of 20 seeds is not a normal distribution's 1.96.

use serde::{Deserialize, Serialize};

/// Two-sided 97.5 % quantiles of Student's t for 1 to 30 degrees of freedom.
const T_975: [f64; 30] = [
    12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157,
    2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922,
    2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831,
    2.048407, 2.045230, 2.042272,
];

/// Student's t 97.5 % quantile for `df` degrees of freedom (the half-width factor of a 95 %
/// interval): exact to six digits up to 30, then the Cornish–Fisher expansion around the
/// normal quantile, whose error there is below 1e-5.
pub fn t_975(df: usize) -> f64 {
    if df == 0 {
        return f64::INFINITY;
    }
    if df <= T_975.len() {
        return T_975[df - 1];
    }
    let z: f64 = 1.959964;
    let n = df as f64;
    z + (z.powi(3) + z) / (4.0 * n)
        + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * n * n)
        + (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z) / (384.0 * n.powi(3))
}

/// A sample's mean with its 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// How many values.
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (n − 1); 0 for a single value.
    pub sd: f64,
    /// The interval's ends: both the mean when n > 1 values are all the same; unbounded for a
    /// single value, which says nothing about spread.
    #[serde(with = "interval_serde")]
    pub ci95: [f64; 2],
    pub min: f64,
    pub max: f64,
}

impl Estimate {
    /// The estimate of `xs`, or `None` when there is no value.
    pub fn of(xs: &[f64]) -> Option<Self> {
        let n = xs.len();
        if n == 0 {
            return None;
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = if n > 1 {
            xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        let sd = var.sqrt();
        let half = if n == 1 {
            f64::INFINITY
        } else if sd == 0.0 {
            0.0
        } else {
            t_975(n - 1) * sd / (n as f64).sqrt()
        };
        Some(Estimate {
            n,
            mean,
            sd,
            ci95: [mean - half, mean + half],
            min: xs.iter().copied().fold(f64::INFINITY, f64::min),
            max: xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        })
    }

    /// Half the interval's width.
    pub fn half_width(&self) -> f64 {
        (self.ci95[1] - self.ci95[0]) / 2.0
    }

    /// Whether the interval excludes `x` (a paired difference's interval excluding 0 is a
    /// significant change).
    pub fn excludes(&self, x: f64) -> bool {
        x < self.ci95[0] || x > self.ci95[1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_the_tables_and_approach_the_normal() {
        assert!((t_975(1) - 12.706).abs() < 1e-3);
        assert!((t_975(19) - 2.093).abs() < 1e-3);
        // Beyond the table: t(40) = 2.021075, t(120) = 1.979930.
        assert!((t_975(40) - 2.021075).abs() < 1e-4);
        assert!((t_975(120) - 1.979930).abs() < 1e-4);
        assert!(t_975(100_000) > 1.9599 && t_975(100_000) < 1.9601);
    }

    #[test]
    fn an_estimate_of_twenty_values_uses_students_t() {
        let xs: Vec<f64> = (1..=20).map(f64::from).collect();
        let e = Estimate::of(&xs).unwrap();
        assert_eq!(e.mean, 10.5);
        let sd = (35.0f64).sqrt(); // variance of 1..=20 with n − 1
        assert!((e.sd - sd).abs() < 1e-12);
        let half = 2.093024 * sd / 20f64.sqrt();
        assert!((e.half_width() - half).abs() < 1e-9);
        assert!(e.excludes(0.0) && !e.excludes(10.0));
    }

    #[test]
    fn identical_values_give_a_zero_width_interval_and_no_value_gives_none() {
        let e = Estimate::of(&[0.0; 5]).unwrap();
        assert_eq!(e.ci95, [0.0, 0.0]);
        assert!(!e.excludes(0.0));
        assert!(Estimate::of(&[]).is_none());
        let one = Estimate::of(&[3.0]).unwrap();
        assert_eq!(one.ci95, [f64::NEG_INFINITY, f64::INFINITY]);
        assert!(!one.excludes(0.0));
    }
}

/// Serde for an interval `[lo, hi]` whose ends may be unbounded: JSON has no infinity, so an
/// unbounded end is written `null` and read back as −∞ (low end) or +∞ (high end).
pub mod interval_serde {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &[f64; 2], s: S) -> Result<S::Ok, S::Error> {
        let end = |x: f64| x.is_finite().then_some(x);
        [end(v[0]), end(v[1])].serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[f64; 2], D::Error> {
        let [lo, hi] = <[Option<f64>; 2]>::deserialize(d)?;
        Ok([lo.unwrap_or(f64::NEG_INFINITY), hi.unwrap_or(f64::INFINITY)])
    }
}
