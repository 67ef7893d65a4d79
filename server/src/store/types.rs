//! The closed sets of values the database holds as text: roles, tasks, job statuses and
//! triggers. Each serializes as its lowercase name (the API's and the app's spelling).

use serde::{Deserialize, Serialize};

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Parses the stored (and API) name.
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The stored (and API) name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum! {
    /// A member's role in a project.
    Role {
        /// Everything, including members, items and model versions.
        Owner => "owner",
        /// Labels items.
        Annotator => "annotator",
        /// Reads labels and reviews them.
        Reviewer => "reviewer",
    }
}

text_enum! {
    /// What a project classifies.
    Task {
        /// Images (PNG, JPEG, WebP).
        Image => "image",
        /// UTF-8 texts.
        Text => "text",
    }
}

text_enum! {
    /// Where a training job is in its life.
    JobStatus {
        /// Waiting for a runner.
        Queued => "queued",
        /// A runner holds it.
        Running => "running",
        /// Ended with a new model version.
        Succeeded => "succeeded",
        /// Ended with an error.
        Failed => "failed",
        /// Cancelled before it ended.
        Cancelled => "cancelled",
    }
}

text_enum! {
    /// Who queued a training job.
    JobTrigger {
        /// A person (API or CLI).
        Manual => "manual",
        /// The project's automatic training (`auto_train_every`).
        Auto => "auto",
    }
}

/// Reads a text column as one of the enums (an unknown stored value is a decode error).
pub(crate) fn column<T>(
    row: &sqlx::any::AnyRow,
    name: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, sqlx::Error> {
    use sqlx::Row;
    let text: String = row.try_get(name)?;
    parse(&text).ok_or_else(|| sqlx::Error::ColumnDecode {
        index: name.to_string(),
        source: format!("unknown value `{text}`").into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips_through_its_name_and_json() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(*r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        for s in JobStatus::ALL {
            assert_eq!(JobStatus::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(Task::parse("video"), None);
        assert_eq!(JobTrigger::parse("auto"), Some(JobTrigger::Auto));
    }
}
