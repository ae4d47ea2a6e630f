//! meshtwin sim (under construction)
