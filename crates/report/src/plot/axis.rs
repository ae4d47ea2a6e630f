//! The y axis of a panel: its range and how many tick labels it gets, by [`YAxis`] kind.
//! Legends and fault labels sit outside the plotting area, so the range is the data's.

use serde::{Deserialize, Serialize};

use super::Panel;

/// What a panel's values are, which decides its y axis.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum YAxis {
    /// Any number: from 0 (or the lowest value) to just above the highest.
    #[default]
    Auto,
    /// Whole numbers (connections, pending requests): ticks only at integers.
    Count,
    /// A share of a whole: always exactly 0 to 1.
    Share,
}

/// Most tick labels on a y axis.
pub const MAX_Y_LABELS: usize = 11;

/// A y axis: the drawn range and the tick-label budget plotters picks "nice" ticks within.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YRange {
    pub lo: f64,
    pub hi: f64,
    pub labels: usize,
}

/// The finite values of a panel's series.
fn values(panel: &Panel) -> impl Iterator<Item = f64> + '_ {
    panel
        .series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|(t, v)| t.is_finite() && v.is_finite())
        .map(|(_, v)| *v)
}

/// The y range of `panel`:
/// - [`YAxis::Share`]: 0 to 1 whatever the data (a hair beyond, so lines at 0 and 1 show whole);
/// - [`YAxis::Count`]: from the lowest whole number (0 at most) to the highest value rounded
///   up (1 at least), with at most one label per integer, so every tick is a whole number;
/// - [`YAxis::Auto`]: from 0 (or the lowest value) to 5 % above the highest.
pub fn y_range(panel: &Panel) -> YRange {
    let (lo, hi) = values(panel).fold((0.0f64, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    match panel.y_axis {
        YAxis::Share => YRange {
            lo: -0.01,
            hi: 1.01,
            labels: 6,
        },
        YAxis::Count => {
            let lo = lo.floor();
            let top = if hi > lo { hi.ceil() } else { lo + 1.0 };
            let span = top - lo;
            YRange {
                lo,
                hi: top + (span * 0.05).max(0.1),
                labels: ((span as usize) + 1).min(MAX_Y_LABELS),
            }
        }
        YAxis::Auto => {
            let hi = if hi > lo { hi } else { lo + 1.0 };
            YRange {
                lo,
                hi: lo + (hi - lo) * 1.05,
                labels: MAX_Y_LABELS - 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeseries::Series;

    fn panel(y_axis: YAxis, values: &[f64]) -> Panel {
        Panel {
            title: "p".into(),
            y_label: "y".into(),
            series: vec![Series {
                name: "s".into(),
                points: values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (i as f64, *v))
                    .collect(),
            }],
            step: true,
            y_axis,
        }
    }

    #[test]
    fn a_share_axis_is_zero_to_one_whatever_the_data() {
        for data in [&[0.0, 0.5][..], &[1.0, 1.0], &[], &[0.0]] {
            let r = y_range(&panel(YAxis::Share, data));
            assert_eq!((r.lo, r.hi), (-0.01, 1.01));
        }
    }

    #[test]
    fn a_count_axis_has_at_most_one_label_per_integer() {
        let r = y_range(&panel(YAxis::Count, &[0.0, 2.0, 1.0]));
        assert_eq!((r.lo, r.labels), (0.0, 3));
        assert!(r.hi > 2.0 && r.hi < 2.2);
        let idle = y_range(&panel(YAxis::Count, &[0.0, 0.0]));
        assert_eq!((idle.lo, idle.labels), (0.0, 2));
        let busy = y_range(&panel(YAxis::Count, &[0.0, 4999.0]));
        assert_eq!(busy.labels, MAX_Y_LABELS);
    }

    #[test]
    fn an_auto_axis_starts_at_zero_and_leaves_a_little_room() {
        let r = y_range(&panel(YAxis::Auto, &[3.0, 10.0]));
        assert_eq!(r.lo, 0.0);
        assert!((r.hi - 10.5).abs() < 1e-9);
        let negative = y_range(&panel(YAxis::Auto, &[-2.0, 2.0]));
        assert_eq!(negative.lo, -2.0);
    }
}
