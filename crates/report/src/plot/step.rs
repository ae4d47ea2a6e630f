//! Drawing a step function at screen resolution: one envelope `[lo, hi]` per pixel column,
//! adjacent equal columns merged into runs. A pulse narrower than a pixel (a request pending
//! for 50 µs in a 60 s plot) still shows as a full-height bar, and the drawing stays small
//! however many points the series has.

/// Adjacent pixel columns `[x_from, x_to)` over which the function stays within `[lo, hi]`,
/// touching both ends (or sitting at `lo == hi`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Run {
    pub x_from: f64,
    pub x_to: f64,
    pub lo: f64,
    pub hi: f64,
}

/// The runs of the step function through `points` (each value holds until the next point's
/// time, the last until `x_end`) over `columns` equal columns of `[x_start, x_end]`. Each
/// column's envelope includes the value entering it, so consecutive runs always touch. Nothing
/// is drawn before the first point. A NaN value is a gap: nothing is drawn from its time to the
/// next point. `points` need not be sorted; points at non-finite times or infinite values are
/// ignored.
pub(super) fn step_runs(
    points: &[(f64, f64)],
    x_start: f64,
    x_end: f64,
    columns: usize,
) -> Vec<Run> {
    let mut pts: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(t, v)| t.is_finite() && !v.is_infinite())
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let columns = columns.max(1);
    let width = (x_end - x_start) / columns as f64;
    let mut runs: Vec<Run> = Vec::new();
    let mut next = 0;
    let mut current: Option<f64> = None;
    for c in 0..columns {
        let from = x_start + c as f64 * width;
        let last = c + 1 == columns;
        let to = if last {
            x_end
        } else {
            x_start + (c + 1) as f64 * width
        };
        // A gap starting exactly at the column's start stops the held value there.
        while let Some(&(t, v)) = pts.get(next) {
            if t > from || !v.is_nan() {
                break;
            }
            current = None;
            next += 1;
        }
        let mut envelope = current.map(|v| (v, v));
        while let Some(&(t, v)) = pts.get(next) {
            if t > to || (t == to && !last) {
                break;
            }
            next += 1;
            if v.is_nan() {
                current = None;
                continue;
            }
            envelope = Some(envelope.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))));
            current = Some(v);
        }
        let Some((lo, hi)) = envelope else { continue };
        match runs.last_mut() {
            Some(run) if run.x_to == from && run.lo == lo && run.hi == hi => run.x_to = to,
            _ => runs.push(Run {
                x_from: from,
                x_to: to,
                lo,
                hi,
            }),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(x_from: f64, x_to: f64, lo: f64, hi: f64) -> Run {
        Run {
            x_from,
            x_to,
            lo,
            hi,
        }
    }

    #[test]
    fn constant_stretches_merge_and_transitions_get_their_own_column() {
        let runs = step_runs(&[(0.0, 0.0), (2.5, 1.0), (6.0, 0.0)], 0.0, 10.0, 10);
        assert_eq!(
            runs,
            vec![
                run(0.0, 2.0, 0.0, 0.0),
                run(2.0, 3.0, 0.0, 1.0),
                run(3.0, 6.0, 1.0, 1.0),
                run(6.0, 7.0, 0.0, 1.0),
                run(7.0, 10.0, 0.0, 0.0),
            ]
        );
    }

    #[test]
    fn a_pulse_narrower_than_a_column_still_reaches_its_height() {
        let runs = step_runs(&[(0.0, 0.0), (4.1, 3.0), (4.2, 0.0)], 0.0, 10.0, 10);
        assert_eq!(
            runs,
            vec![
                run(0.0, 4.0, 0.0, 0.0),
                run(4.0, 5.0, 0.0, 3.0),
                run(5.0, 10.0, 0.0, 0.0)
            ]
        );
    }

    #[test]
    fn nothing_is_drawn_before_the_first_point_and_the_last_value_holds() {
        let gap = step_runs(
            &[(0.0, 1.0), (2.0, f64::NAN), (6.0, 1.0), (8.0, f64::NAN)],
            0.0,
            10.0,
            10,
        );
        assert_eq!(gap, vec![run(0.0, 2.0, 1.0, 1.0), run(6.0, 8.0, 1.0, 1.0)]);
        let runs = step_runs(&[(5.0, 2.0)], 0.0, 10.0, 10);
        assert_eq!(runs, vec![run(5.0, 10.0, 2.0, 2.0)]);
    }

    #[test]
    fn a_point_at_the_end_of_the_range_counts_in_the_last_column() {
        let runs = step_runs(&[(0.0, 1.0), (10.0, 4.0)], 0.0, 10.0, 5);
        assert_eq!(
            runs,
            vec![run(0.0, 8.0, 1.0, 1.0), run(8.0, 10.0, 1.0, 4.0)]
        );
    }
}
