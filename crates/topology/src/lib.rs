//! meshtwin topology (under construction)
