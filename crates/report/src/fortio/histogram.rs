//! fortio's latency histogram and percentiles.
//!
//! fortio files each call's duration into fixed buckets (upper bounds 1, 2, … 11, 12, 14, …
//! 100000 ms, intervals open on the left: `]prev, bound]`) and estimates a percentile by
//! **linear interpolation inside the bucket** that holds it, taking the first bucket to start
//! at the minimum and the last to end at the maximum, and the minimum to stand for the first
//! `100/count` percent. This reproduces fortio's `# target` lines exactly (fortio ≥ 1.3, e.g.
//! `# target 50% 0.00263636` in the Istio circuit-breaking walkthrough); it is not nearest-rank.

use meshtwin_model::calls::{go_seconds, Latencies, Moments};

/// Bucket upper bounds in units of the histogram's divider (fortio's `histogramBucketValues`;
/// fortio divides seconds by 0.001, so these are milliseconds).
const BOUNDS: [f64; 57] = [
    0.0,
    1.0,
    2.0,
    3.0,
    4.0,
    5.0,
    6.0,
    7.0,
    8.0,
    9.0,
    10.0,
    11.0,
    12.0,
    14.0,
    16.0,
    18.0,
    20.0,
    25.0,
    30.0,
    35.0,
    40.0,
    45.0,
    50.0,
    60.0,
    70.0,
    80.0,
    90.0,
    100.0,
    120.0,
    140.0,
    160.0,
    180.0,
    200.0,
    250.0,
    300.0,
    350.0,
    400.0,
    450.0,
    500.0,
    600.0,
    700.0,
    800.0,
    900.0,
    1000.0,
    2000.0,
    3000.0,
    4000.0,
    5000.0,
    7500.0,
    10000.0,
    20000.0,
    30000.0,
    40000.0,
    50000.0,
    75000.0,
    100000.0,
    f64::INFINITY,
];

/// The unit a histogram of [`Latencies`] is in: milliseconds, or seconds as fortio's JSON and
/// text have them ([`go_seconds`], bucket bounds divided by 1000).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Ms,
    Seconds,
}

/// Index of the last real bound; the bucket after it holds everything above 100 s.
const OVERFLOW: usize = BOUNDS.len() - 1;

/// One non-empty bucket as fortio exports it, in the samples' unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// Lower end (exclusive, except for the first bucket, which starts at the minimum).
    pub start: f64,
    /// Upper end (inclusive; the last bucket ends at the maximum).
    pub end: f64,
    /// Percentage of all samples at or below this bucket.
    pub cumulative_percent: f64,
    /// Samples in this bucket.
    pub count: u64,
}

/// Count, min, max, sum, standard deviation and the non-empty buckets of a set of durations,
/// all in the samples' unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    pub count: u64,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
    /// Population standard deviation, computed as fortio does (from the sum of squares).
    pub stddev: f64,
    /// Non-empty buckets in increasing order; empty when there are no samples.
    pub buckets: Vec<Bucket>,
}

impl Histogram {
    /// Files `samples` (in recording order, which fixes the float sums) into buckets whose
    /// bounds are fortio's values times `divider`: 1.0 for samples in milliseconds, 0.001 (as
    /// fortio does) for samples in seconds.
    pub fn from_samples(samples: &[f64], divider: f64) -> Histogram {
        let mut counts = [0u64; BOUNDS.len()];
        let (mut min, mut max, mut sum, mut sum_sq) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        for (i, &v) in samples.iter().enumerate() {
            if i == 0 {
                (min, max) = (v, v);
            } else {
                min = min.min(v);
                max = max.max(v);
            }
            sum += v;
            sum_sq += v * v;
            counts[bucket_index(v / divider)] += 1;
        }
        let count = samples.len() as u64;
        Self::assemble(&counts, count, (min, max), Moments { sum, sum_sq }, divider)
    }

    /// The histogram of latencies `l` in `unit`: the same as [`Histogram::from_samples`] of
    /// every sample in the order it was added (bounds, counts, minimum and maximum depend on the
    /// values alone; the sums were added in that order).
    pub fn of_latencies(l: &Latencies, unit: Unit) -> Histogram {
        let (divider, moments) = match unit {
            Unit::Ms => (1.0, l.ms),
            Unit::Seconds => (0.001, l.seconds),
        };
        let value = |ms: f64| match unit {
            Unit::Ms => ms,
            Unit::Seconds => go_seconds(ms),
        };
        let mut counts = [0u64; BOUNDS.len()];
        for (ms, n) in l.values_ms() {
            counts[bucket_index(value(ms) / divider)] += n;
        }
        let min = l.values_ms().next().map_or(0.0, |(v, _)| value(v));
        let max = l.values_ms().next_back().map_or(0.0, |(v, _)| value(v));
        Self::assemble(&counts, l.count(), (min, max), moments, divider)
    }

    fn assemble(
        counts: &[u64],
        count: u64,
        (min, max): (f64, f64),
        Moments { sum, sum_sq }: Moments,
        divider: f64,
    ) -> Histogram {
        let stddev = if count == 0 {
            0.0
        } else {
            let n = count as f64;
            ((sum_sq - sum * sum / n) / n).max(0.0).sqrt()
        };
        Histogram {
            count,
            min,
            max,
            sum,
            stddev,
            buckets: export(counts, count, min, max, divider),
        }
    }

    /// Mean, or 0 with no samples.
    pub fn avg(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum / self.count as f64
        }
    }

    /// fortio's estimate of the value under which `percent` % of the samples lie
    /// (`None` with no samples).
    pub fn percentile(&self, percent: f64) -> Option<f64> {
        if self.buckets.is_empty() {
            return None;
        }
        if percent >= 100.0 {
            return Some(self.max);
        }
        let mut prev_percent = 100.0 / self.count as f64;
        if percent <= prev_percent {
            return Some(self.min);
        }
        for b in &self.buckets {
            if percent <= b.cumulative_percent {
                let fraction = (percent - prev_percent) / (b.cumulative_percent - prev_percent);
                return Some(b.start + fraction * (b.end - b.start));
            }
            prev_percent = b.cumulative_percent;
        }
        Some(self.max)
    }
}

/// fortio's bucket for a scaled value: intervals are `]prev, bound]`, so a value on a bound
/// (within 1e-12) belongs to the bucket below it.
fn bucket_index(scaled: f64) -> usize {
    if scaled.is_nan() || scaled <= BOUNDS[0] {
        return 0;
    }
    if scaled > BOUNDS[OVERFLOW - 1] {
        return OVERFLOW;
    }
    let mut whole = scaled.trunc();
    if scaled - whole < 1e-12 {
        whole -= 1.0;
    }
    BOUNDS
        .iter()
        .position(|&bound| bound > whole)
        .unwrap_or(OVERFLOW)
}

fn export(counts: &[u64], total: u64, min: f64, max: f64, divider: f64) -> Vec<Bucket> {
    let mut out: Vec<Bucket> = Vec::new();
    let bound = |i: usize| divider * BOUNDS[i];
    let mut prev = bound(0);
    let mut cumulative = 0u64;
    for (i, &count) in counts.iter().enumerate() {
        if count == 0 {
            if i < OVERFLOW {
                prev = bound(i);
            }
            continue;
        }
        cumulative += count;
        let (start, end) = if i == OVERFLOW {
            (prev, max)
        } else if out.is_empty() {
            (min, bound(i))
        } else {
            (prev, bound(i))
        };
        if i < OVERFLOW {
            prev = bound(i);
        }
        out.push(Bucket {
            start,
            end,
            cumulative_percent: 100.0 * cumulative as f64 / total as f64,
            count,
        });
    }
    if let Some(last) = out.last_mut() {
        last.end = max;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_on_a_bound_falls_in_the_bucket_below() {
        assert_eq!(bucket_index(0.0), 0);
        assert_eq!(bucket_index(0.5), 1);
        assert_eq!(bucket_index(1.0), 1);
        assert_eq!(bucket_index(1.000_001), 2);
        assert_eq!(bucket_index(13.0), 13); // ]12, 14]
        assert_eq!(bucket_index(100_000.0), OVERFLOW - 1);
        assert_eq!(bucket_index(100_000.5), OVERFLOW);
    }

    #[test]
    fn three_points_interpolate_between_neighbours_as_fortio_documents() {
        // fortio: "with 3 data points 10, 20, 30; p0-p33.33 == 10, p66.666 = 20, p100 = 30,
        // p50 = 15" — when each point ends a bucket, as 1, 2 and 3 ms do.
        let h = Histogram::from_samples(&[1.0, 2.0, 3.0], 1.0);
        assert_eq!(h.percentile(10.0), Some(1.0));
        assert_eq!(h.percentile(100.0), Some(3.0));
        let p50 = h.percentile(50.0).unwrap();
        assert!((p50 - 1.5).abs() < 1e-9, "p50 {p50}");
        let p66 = h.percentile(200.0 / 3.0).unwrap();
        assert!((p66 - 2.0).abs() < 1e-9, "p66 {p66}");
    }

    #[test]
    fn seconds_with_fortios_divider_bucket_like_milliseconds() {
        let ms = Histogram::from_samples(&[0.4, 2.0, 2.5], 1.0);
        let s = Histogram::from_samples(&[0.0004, 0.002, 0.0025], 0.001);
        let counts = |h: &Histogram| h.buckets.iter().map(|b| b.count).collect::<Vec<_>>();
        assert_eq!(counts(&ms), [1, 1, 1]);
        assert_eq!(counts(&s), counts(&ms));
        assert_eq!(s.buckets[1].end, 0.002);
    }

    #[test]
    fn first_bucket_starts_at_min_and_last_ends_at_max() {
        let h = Histogram::from_samples(&[0.4, 2.5, 2.6, 150_000.0], 1.0);
        let spans: Vec<(f64, f64, u64)> = h
            .buckets
            .iter()
            .map(|b| (b.start, b.end, b.count))
            .collect();
        assert_eq!(
            spans,
            vec![(0.4, 1.0, 1), (2.0, 3.0, 2), (100_000.0, 150_000.0, 1)]
        );
        assert_eq!(h.buckets[2].cumulative_percent, 100.0);
    }

    #[test]
    fn no_samples_have_no_percentiles() {
        let h = Histogram::from_samples(&[], 1.0);
        assert_eq!(h.count, 0);
        assert_eq!(h.percentile(50.0), None);
        assert_eq!(h.avg(), 0.0);
    }
}
