//! meshtwin config (under construction)
