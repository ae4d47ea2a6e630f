//! A panel's legend: a strip of entries (a colour swatch and a name) above its plotting area,
//! flowing left to right into as many rows as they need — outside the data, so it never hides
//! a line and never stretches an axis. A name too long for a whole row is shortened in the
//! middle (the plot's JSON keeps it whole).

use super::font::text_width;

/// Legend text size and row height, px.
pub const FONT_PX: u32 = 13;
pub const ROW_PX: f64 = 20.0;
/// Swatch width, the gap after it, and the space between entries, px.
pub const SWATCH_PX: f64 = 22.0;
pub const SWATCH_GAP_PX: f64 = 6.0;
pub const SPACING_PX: f64 = 20.0;

/// A placed entry: row, left edge, and the text shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub row: usize,
    pub x_px: f64,
    pub text: String,
}

/// `text` shortened in the middle (`head…tail`) to fit `max_px` at [`FONT_PX`].
pub fn fit(text: &str, max_px: f64) -> String {
    if text_width(text, FONT_PX) <= max_px {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut keep = chars.len();
    while keep > 2 {
        keep -= 1;
        let head: String = chars[..keep.div_ceil(2)].iter().collect();
        let tail: String = chars[chars.len() - keep / 2..].iter().collect();
        let s = format!("{head}…{tail}");
        if text_width(&s, FONT_PX) <= max_px {
            return s;
        }
    }
    "…".into()
}

/// Entries laid out in rows of `width_px`, in order.
pub fn flow(names: &[String], width_px: f64) -> Vec<Placed> {
    let room = width_px - SWATCH_PX - SWATCH_GAP_PX;
    let mut out = Vec::new();
    let (mut row, mut x) = (0usize, 0.0f64);
    for name in names {
        let text = fit(name, room);
        let w = SWATCH_PX + SWATCH_GAP_PX + text_width(&text, FONT_PX);
        if x > 0.0 && x + w > width_px {
            row += 1;
            x = 0.0;
        }
        out.push(Placed { row, x_px: x, text });
        x += w + SPACING_PX;
    }
    out
}

/// Rows a flow takes.
pub fn rows(placed: &[Placed]) -> usize {
    placed.last().map_or(0, |p| p.row + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_flow_into_rows_without_overlapping() {
        let names: Vec<String> = (0..9)
            .map(|i| {
                format!("productpage-v1-0 -> outbound|9080|v{i}|reviews.default.svc.cluster.local")
            })
            .collect();
        let placed = flow(&names, 1090.0);
        assert!(rows(&placed) >= 3, "{placed:?}");
        for w in placed.windows(2) {
            if w[0].row == w[1].row {
                let end = w[0].x_px + SWATCH_PX + SWATCH_GAP_PX + text_width(&w[0].text, FONT_PX);
                assert!(end + SPACING_PX <= w[1].x_px + 1e-9);
            }
        }
        for p in &placed {
            assert!(p.x_px + SWATCH_PX + SWATCH_GAP_PX + text_width(&p.text, FONT_PX) <= 1090.0);
        }
    }

    #[test]
    fn a_name_wider_than_a_row_is_shortened_in_the_middle() {
        let long = format!("start-{}-end", "x".repeat(300));
        let s = fit(&long, 200.0);
        assert!(s.starts_with("start-") && s.ends_with("-end") && s.contains('…'));
        assert!(text_width(&s, FONT_PX) <= 200.0);
        assert_eq!(fit("short", 200.0), "short");
        assert!(flow(&[], 100.0).is_empty());
    }
}
