//! The font plots are drawn with: DejaVu Sans, embedded from the `dejavu` crate and registered
//! with plotters' ab_glyph text renderer, so no system font is needed.

use plotters::style::{register_font, FontStyle};
use std::sync::Once;

/// The family every plot text uses. SVG files name it, so viewers use their own sans-serif.
pub(crate) const FAMILY: &str = "sans-serif";

/// Registers the embedded font under [`FAMILY`] once per process.
pub(crate) fn register_embedded_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        let faces = [
            (FontStyle::Normal, dejavu::sans::regular()),
            (FontStyle::Bold, dejavu::sans::bold()),
        ];
        for (style, bytes) in faces {
            assert!(
                register_font(FAMILY, style, bytes).is_ok(),
                "the embedded DejaVu Sans font is a valid TrueType font"
            );
        }
    });
}

/// Width in pixels of `text` at `px` in the embedded font (registering it first), as the
/// bitmap backend lays it out; an estimate of 0.6 em per character if the font cannot.
pub(crate) fn text_width(text: &str, px: u32) -> f64 {
    use plotters::style::{FontDesc, FontFamily};
    register_embedded_font();
    FontDesc::new(FontFamily::Name(FAMILY), f64::from(px), FontStyle::Normal)
        .box_size(text)
        .map_or(
            text.chars().count() as f64 * f64::from(px) * 0.6,
            |(w, _)| f64::from(w),
        )
}
