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
