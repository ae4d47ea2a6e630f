//! meshtwin report (under construction)
