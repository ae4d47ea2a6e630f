//! Where fault labels go: in a lane of rows above the top panel's plotting area, each label
//! beside its marker's line and in the first row where it overlaps no other — so labels of
//! markers close in time stagger instead of printing over each other.

/// Pixels between a marker's line and its label, and between two labels in a row.
pub const GAP_PX: f64 = 4.0;
pub const PAD_PX: f64 = 10.0;
/// Rows the lane has at most; labels that fit in none are counted, not drawn.
pub const MAX_ROWS: usize = 6;

/// One placed label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slot {
    /// Index of the label in the input.
    pub index: usize,
    /// Row from the top (0-based).
    pub row: usize,
    /// Left edge of the text, px.
    pub x_px: f64,
    pub width_px: f64,
}

/// The placed labels, how many rows they use, and how many did not fit.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub slots: Vec<Slot>,
    pub rows: usize,
    pub hidden: usize,
}

/// Place labels given as `(marker x, text width)` in px inside `[left, right]`: right of the
/// marker when there is room, else ending left of it; processed left to right, each in the
/// first row where it keeps [`PAD_PX`] from every label already there.
pub fn place(labels: &[(f64, f64)], left: f64, right: f64, max_rows: usize) -> Plan {
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by(|a, b| labels[*a].0.total_cmp(&labels[*b].0).then(a.cmp(b)));
    let mut rows: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut plan = Plan::default();
    for i in order {
        let (x, w) = labels[i];
        let mut start = x + GAP_PX;
        if start + w > right {
            start = x - GAP_PX - w;
        }
        let start = start.max(left);
        let span = (start, start + w);
        let free = |row: &Vec<(f64, f64)>| {
            row.iter()
                .all(|(a, b)| span.1 + PAD_PX <= *a || *b + PAD_PX <= span.0)
        };
        let row = match rows.iter().position(free) {
            Some(r) => r,
            None if rows.len() < max_rows => {
                rows.push(Vec::new());
                rows.len() - 1
            }
            None => {
                plan.hidden += 1;
                continue;
            }
        };
        rows[row].push(span);
        plan.slots.push(Slot {
            index: i,
            row,
            x_px: start,
            width_px: w,
        });
    }
    plan.rows = rows.len();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overlap(a: &Slot, b: &Slot) -> bool {
        a.row == b.row && a.x_px < b.x_px + b.width_px && b.x_px < a.x_px + a.width_px
    }

    #[test]
    fn labels_of_close_markers_stagger_into_rows_and_never_overlap() {
        // Three markers 5 px apart with 200 px labels, and one far away.
        let labels = [
            (100.0, 200.0),
            (105.0, 200.0),
            (110.0, 200.0),
            (900.0, 100.0),
        ];
        let plan = place(&labels, 0.0, 1200.0, MAX_ROWS);
        assert_eq!(plan.hidden, 0);
        let rows: Vec<usize> = (0..4)
            .map(|i| plan.slots.iter().find(|s| s.index == i).unwrap().row)
            .collect();
        assert_eq!(rows, [0, 1, 2, 0]);
        assert_eq!(plan.rows, 3);
        for a in &plan.slots {
            for b in &plan.slots {
                assert!(a.index == b.index || !overlap(a, b), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn a_label_near_the_right_edge_ends_left_of_its_marker() {
        let plan = place(&[(1150.0, 300.0)], 0.0, 1200.0, MAX_ROWS);
        let s = plan.slots[0];
        assert_eq!(s.x_px + s.width_px, 1150.0 - GAP_PX);
    }

    #[test]
    fn labels_beyond_the_last_row_are_counted_not_drawn() {
        let labels = [(10.0, 100.0); 4];
        let plan = place(&labels, 0.0, 1200.0, 2);
        assert_eq!((plan.slots.len(), plan.rows, plan.hidden), (2, 2, 2));
        assert_eq!(place(&[], 0.0, 10.0, 2), Plan::default());
    }
}
