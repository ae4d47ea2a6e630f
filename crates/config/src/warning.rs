//! Warnings: input meshtwin read and understood but does not (fully) act on — a known kind it
//! does not model, a field it does not model, a field Istio itself ignores — located exactly
//! as a [`crate::ConfigError`] is. Input meshtwin does not understand is an error instead.
//!
//! Decoders report into the [`Warnings`] their [`crate::decode::Ctx`] carries; every loader
//! ([`crate::load_policies`], [`crate::load_scenario`], `meshtwin_topology::load_topology`)
//! returns its value with the warnings found on the way as a [`Loaded`]. Callers decide what
//! to do with them: `meshtwin run` and `meshtwin validate` print each as `warning: …` on
//! stderr.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use crate::error::write_located;

/// Why TLS settings are ignored, wherever they appear (Istio, App Mesh, TSB).
pub const TLS_NOT_MODELLED: &str =
    "TLS is not modelled: connections carry no handshake, certificates or mTLS, and none fails \
     for them";
/// Why CORS policies are ignored (Istio, TSB).
pub const CORS_NOT_MODELLED: &str = "CORS is not modelled: preflight requests are routed like \
     any other and no CORS headers are added";
/// Why `exportTo` is ignored.
pub const EXPORT_TO_NOT_MODELLED: &str =
    "visibility is not modelled: every namespace sees the resource";

/// Something in a user's file that is read but not acted on, pointing at the place.
///
/// Displays as [`crate::ConfigError`] does, `file:line: [object: ][path: ]message`:
/// `policies/x.yaml:14: DestinationRule httpbin: spec.trafficPolicy.tls: ignored: not modelled (…)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    /// The file, as the user named it.
    pub file: String,
    /// 1-based line of the field (or of the object).
    pub line: u32,
    /// The object the field belongs to, such as `DestinationRule httpbin`.
    pub object: Option<String>,
    /// The field path, such as `spec.trafficPolicy.tls`; `None` for a whole object.
    pub path: Option<String>,
    /// What is ignored and why.
    pub message: String,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_located(
            f,
            &self.file,
            self.line,
            None,
            self.object.as_deref(),
            self.path.as_deref(),
            &self.message,
        )
    }
}

/// A loader's result: the value and the warnings found while reading it, in file order.
#[derive(Debug, Clone, PartialEq)]
#[must_use = "a loaded value carries warnings the user should see"]
pub struct Loaded<T> {
    pub value: T,
    pub warnings: Vec<ConfigWarning>,
}

impl<T> Loaded<T> {
    /// A value with no warnings.
    pub fn new(value: T) -> Self {
        Self {
            value,
            warnings: Vec::new(),
        }
    }

    /// The same warnings with the value transformed.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Loaded<U> {
        Loaded {
            value: f(self.value),
            warnings: self.warnings,
        }
    }
}

/// Where decoders put warnings: shared by every [`crate::decode::Ctx`] made for one file (the
/// file's context and its per-object contexts), drained by the loader.
#[derive(Debug, Clone, Default)]
pub struct Warnings(Rc<RefCell<Vec<ConfigWarning>>>);

impl Warnings {
    /// Add a warning.
    pub fn push(&self, w: ConfigWarning) {
        self.0.borrow_mut().push(w);
    }

    /// Every warning so far, leaving none.
    pub fn take(&self) -> Vec<ConfigWarning> {
        std::mem::take(&mut self.0.borrow_mut())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_an_error() {
        let w = ConfigWarning {
            file: "policies/x.yaml".into(),
            line: 9,
            object: Some("DestinationRule httpbin".into()),
            path: Some("spec.trafficPolicy.tls".into()),
            message: "ignored: not modelled (TLS)".into(),
        };
        assert_eq!(
            w.to_string(),
            "policies/x.yaml:9: DestinationRule httpbin: spec.trafficPolicy.tls: ignored: not modelled (TLS)"
        );
    }

    #[test]
    fn warnings_are_shared_by_clones_and_taken_once() {
        let a = Warnings::default();
        let b = a.clone();
        b.push(ConfigWarning {
            file: "f".into(),
            line: 1,
            object: None,
            path: None,
            message: "m".into(),
        });
        assert_eq!(a.take().len(), 1);
        assert!(b.take().is_empty());
    }
}
