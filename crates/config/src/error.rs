//! [`ConfigError`]: every way a user's file can be wrong, located at `file:line` and, where
//! there is one, the object and the field path.

use std::fmt;

/// A problem in a user's file, pointing at the place.
///
/// Displays as `file:line[:column]: [object: ][path: ]message`, for example
/// `policies/x.yaml:14: DestinationRule httpbin: spec.trafficPolicy.connectionPool.tcp.maxConnections: must be > 0`
/// or, where there is no object or field, `scenarios/x.yaml:1: cannot read file: No such file or directory`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The file, as the user named it (relative paths stay relative).
    pub file: String,
    /// 1-based line of the offending field (or of the object, or 1 for whole-file problems).
    pub line: u32,
    /// 1-based column, where the reader knows it (YAML syntax errors, a NUL byte): shown as
    /// `file:line:column:`.
    pub column: Option<u32>,
    /// The object the field belongs to, such as `DestinationRule httpbin`.
    pub object: Option<String>,
    /// The field path, such as `spec.trafficPolicy.connectionPool.tcp.maxConnections` or
    /// `loads[1].calls`.
    pub path: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    /// An error about a whole file (cannot read it, cannot parse it): no object, no path.
    pub fn file(file: impl Into<String>, line: u32, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            line,
            column: None,
            object: None,
            path: None,
            message: message.into(),
        }
    }

    /// Like [`ConfigError::file`], at a known column of the line.
    pub fn at_column(
        file: impl Into<String>,
        line: u32,
        column: u32,
        message: impl Into<String>,
    ) -> Self {
        Self {
            column: Some(column),
            ..Self::file(file, line, message)
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_located(
            f,
            &self.file,
            self.line,
            self.column,
            self.object.as_deref(),
            self.path.as_deref(),
            &self.message,
        )
    }
}

/// `file:line: [object: ][path: ]message`, shared by errors and warnings.
pub(crate) fn write_located(
    f: &mut fmt::Formatter<'_>,
    file: &str,
    line: u32,
    column: Option<u32>,
    object: Option<&str>,
    path: Option<&str>,
    message: &str,
) -> fmt::Result {
    match column {
        Some(column) => write!(f, "{file}:{line}:{column}: ")?,
        None => write!(f, "{file}:{line}: ")?,
    }
    if let Some(object) = object {
        write!(f, "{object}: ")?;
    }
    if let Some(path) = path.filter(|p| !p.is_empty()) {
        write!(f, "{path}: ")?;
    }
    f.write_str(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_file_line_object_path_and_message() {
        let e = ConfigError {
            file: "policies/x.yaml".into(),
            line: 14,
            column: None,
            object: Some("DestinationRule httpbin".into()),
            path: Some("spec.trafficPolicy.connectionPool.tcp.maxConnections".into()),
            message: "must be > 0".into(),
        };
        assert_eq!(
            e.to_string(),
            "policies/x.yaml:14: DestinationRule httpbin: \
             spec.trafficPolicy.connectionPool.tcp.maxConnections: must be > 0"
        );
    }

    #[test]
    fn displays_the_column_where_it_is_known() {
        let e = ConfigError::at_column(
            "policies/x.yaml",
            7,
            15,
            "invalid YAML: did not find expected key",
        );
        assert_eq!(
            e.to_string(),
            "policies/x.yaml:7:15: invalid YAML: did not find expected key"
        );
    }

    #[test]
    fn displays_without_object_or_path() {
        let e = ConfigError::file(
            "scenarios/x.yaml",
            1,
            "cannot read file: No such file or directory",
        );
        assert_eq!(
            e.to_string(),
            "scenarios/x.yaml:1: cannot read file: No such file or directory"
        );
    }
}
