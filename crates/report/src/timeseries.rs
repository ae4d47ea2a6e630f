//! Time series over virtual time: named `(t_ms, value)` points, and event counts per bucket
//! (with 1000 ms buckets, events per second).

use serde::{Deserialize, Serialize};

/// Most buckets [`bucket_counts`] will make (a day of 1 s buckets is 86 400).
pub const MAX_BUCKETS: usize = 1_000_000;

/// A named series of `(t_ms, value)` points in increasing time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub name: String,
    /// `(virtual milliseconds since the run started, value)`.
    pub points: Vec<(f64, f64)>,
}

/// Counts `events_t_ms` in consecutive buckets `[from + i·bucket_ms, from + (i+1)·bucket_ms)`
/// covering `[from, to]`, and returns `(bucket start t_ms, count)` per bucket, empty buckets
/// included. An event exactly at `to` counts in the last bucket; events outside `[from, to]`
/// (and NaN) are ignored. The last bucket may extend past `to` when the span is not a whole
/// number of buckets. Empty when `to <= from`.
///
/// # Panics
/// When `bucket_ms` is not a positive finite number or the span needs more than
/// [`MAX_BUCKETS`] buckets: both are caller bugs.
pub fn bucket_counts(events_t_ms: &[f64], bucket_ms: f64, from: f64, to: f64) -> Vec<(f64, f64)> {
    assert!(
        bucket_ms.is_finite() && bucket_ms > 0.0,
        "bucket_counts: bucket_ms must be positive, got {bucket_ms}"
    );
    if to.partial_cmp(&from) != Some(std::cmp::Ordering::Greater) {
        return Vec::new();
    }
    let buckets = ((to - from) / bucket_ms).ceil();
    assert!(
        buckets <= MAX_BUCKETS as f64,
        "bucket_counts: {buckets} buckets of {bucket_ms} ms over [{from}, {to}] exceed {MAX_BUCKETS}"
    );
    let buckets = (buckets as usize).max(1);
    let mut counts = vec![0u64; buckets];
    for &t in events_t_ms {
        if !(from..=to).contains(&t) {
            continue;
        }
        let i = ((t - from) / bucket_ms).floor() as usize;
        counts[i.min(buckets - 1)] += 1;
    }
    counts
        .into_iter()
        .enumerate()
        .map(|(i, n)| (from + i as f64 * bucket_ms, n as f64))
        .collect()
}

/// A bucket width for counting events over `span_ms`: the smallest of 1, 2 and 5 × 10^k ms
/// (1 ms at least) that covers the span in at most `max_buckets` buckets — so any span,
/// however long, gets a width [`bucket_counts`] accepts when `max_buckets` ≤ [`MAX_BUCKETS`].
pub fn nice_bucket_ms(span_ms: f64, max_buckets: usize) -> f64 {
    let need = if span_ms.is_finite() && span_ms > 0.0 {
        span_ms / max_buckets.max(1) as f64
    } else {
        0.0
    };
    let mut decade = 1.0;
    loop {
        for m in [1.0, 2.0, 5.0] {
            if m * decade >= need {
                return m * decade;
            }
        }
        decade *= 10.0;
    }
}

/// Scales per-bucket counts from [`bucket_counts`] to events per second.
pub fn per_second(counts: &[(f64, f64)], bucket_ms: f64) -> Vec<(f64, f64)> {
    counts
        .iter()
        .map(|&(t, n)| (t, n * 1000.0 / bucket_ms))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_events_per_bucket_including_empty_ones() {
        let events = [
            0.0,
            10.0,
            999.999,
            1000.0,
            2500.0,
            3000.0,
            -1.0,
            3000.1,
            f64::NAN,
        ];
        assert_eq!(
            bucket_counts(&events, 1000.0, 0.0, 3000.0),
            vec![(0.0, 3.0), (1000.0, 1.0), (2000.0, 2.0)]
        );
    }

    #[test]
    fn a_partial_last_bucket_still_counts() {
        assert_eq!(
            bucket_counts(&[2400.0], 1000.0, 0.0, 2500.0),
            vec![(0.0, 0.0), (1000.0, 0.0), (2000.0, 1.0)]
        );
    }

    #[test]
    fn an_empty_span_has_no_buckets() {
        assert!(bucket_counts(&[1.0], 1000.0, 5.0, 5.0).is_empty());
    }

    #[test]
    fn per_second_scales_by_bucket_length() {
        let counts = bucket_counts(&[10.0, 20.0, 260.0], 250.0, 0.0, 500.0);
        assert_eq!(per_second(&counts, 250.0), vec![(0.0, 8.0), (250.0, 4.0)]);
    }

    #[test]
    fn nice_buckets_cover_any_span_in_the_allowed_number() {
        assert_eq!(nice_bucket_ms(30.0, 50), 1.0);
        assert_eq!(nice_bucket_ms(2000.0, 50), 50.0);
        assert_eq!(nice_bucket_ms(60_000.0, 50), 2000.0);
        assert_eq!(nice_bucket_ms(0.0, 50), 1.0);
        // 300 hours: more than MAX_BUCKETS one-second buckets.
        let span = 300.0 * 3_600_000.0;
        let b = nice_bucket_ms(span, MAX_BUCKETS);
        assert!(span / b <= MAX_BUCKETS as f64);
        assert_eq!(
            bucket_counts(&[1.0, span], b, 0.0, span).len(),
            (span / b).ceil() as usize
        );
    }

    #[test]
    #[should_panic(expected = "bucket_ms must be positive")]
    fn a_zero_bucket_is_a_caller_bug() {
        bucket_counts(&[], 0.0, 0.0, 1.0);
    }
}
