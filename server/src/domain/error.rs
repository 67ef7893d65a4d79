//! The domain's one error: every refusal has a stable `code()` and a message for a person;
//! the HTTP layer maps its [`Refusal`] to a status, the CLI prints it with its cause.

/// What kind of refusal (the HTTP layer's status follows from it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The input breaks a rule (400).
    Invalid,
    /// The caller's role does not allow it (403).
    Forbidden,
    /// It does not exist, or the caller may not know it exists (404).
    NotFound,
    /// It conflicts with what is stored (409).
    Conflict,
    /// What the caller holds is no longer known here (410).
    Gone,
    /// Too much at once (413).
    TooLarge,
    /// A content type or item kind this project does not take (415).
    Unsupported,
}

/// Why a domain operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rule refused it; nothing was written.
    #[error("{message}")]
    Refused {
        /// The kind of refusal.
        kind: Refusal,
        /// Stable machine-readable code (`invalid_labels`, `job_active`, …).
        code: &'static str,
        /// What went wrong, for a person.
        message: String,
        /// Extra JSON fields for the caller (e.g. `expected_seq`).
        extra: Option<serde_json::Value>,
    },
    /// The database failed (or its disk is full); nothing of the operation was saved.
    #[error("the database failed: {0}")]
    Storage(#[from] sqlx::Error),
}

/// A domain result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A refusal of `kind` with `code` and `message`.
    pub fn refused(kind: Refusal, code: &'static str, message: impl Into<String>) -> Self {
        Error::Refused {
            kind,
            code,
            message: message.into(),
            extra: None,
        }
    }
    /// 400-kind refusal.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::refused(Refusal::Invalid, code, message)
    }
    /// `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::refused(Refusal::NotFound, "not_found", message)
    }
    /// `forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::refused(Refusal::Forbidden, "forbidden", message)
    }
    /// A conflict with `code`.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::refused(Refusal::Conflict, code, message)
    }
    /// Adds JSON fields for the caller.
    pub fn with(mut self, fields: serde_json::Value) -> Self {
        if let Error::Refused { extra, .. } = &mut self {
            *extra = Some(fields);
        }
        self
    }
    /// The stable code: the refusal's, `storage_full` or `storage_unavailable`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Refused { code, .. } => code,
            Error::Storage(e) if crate::store::is_disk_full(e) => "storage_full",
            Error::Storage(_) => "storage_unavailable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_messages_carry_the_cause() {
        let e = Error::conflict("job_active", "a job runs");
        assert_eq!(e.code(), "job_active");
        assert_eq!(e.to_string(), "a job runs");
        let e = Error::from(sqlx::Error::PoolTimedOut);
        assert_eq!(e.code(), "storage_unavailable");
        assert!(e.to_string().contains("pool timed out"), "{e}");
    }
}
