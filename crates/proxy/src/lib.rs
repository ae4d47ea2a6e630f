//! meshtwin proxy (under construction)
