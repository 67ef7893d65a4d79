//! The publish policy: whether a newly trained version becomes current. Pure, so every case is
//! unit-tested: a new version is published only when it is strictly better than the current one
//! on the project's evaluation set (items never trained on), or when there is nothing to beat.

/// What to do with a new version, and why (shown on the dashboard and in the job's result).
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Make it current.
    pub publish: bool,
    /// Why, for a person.
    pub reason: String,
}

/// What the decision rests on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evidence {
    /// Labeled evaluation items the two versions were measured on.
    pub eval_count: usize,
    /// The new version's accuracy on them.
    pub new_accuracy: f64,
    /// The current version's accuracy on them (none: no current version).
    pub current_accuracy: Option<f64>,
    /// The current version is a backbone's untrained head (`kindling admin set-backbone`).
    pub current_untrained: bool,
}

/// Decides whether the new version is published.
pub fn decide(e: Evidence) -> Decision {
    let (publish, reason) = match (e.eval_count, e.current_accuracy) {
        (_, None) => (true, "no current version".to_string()),
        _ if e.current_untrained => (
            true,
            "the current version is the backbone's untrained head".to_string(),
        ),
        (0, Some(_)) => (
            false,
            "no labeled evaluation items to compare on: kept as a candidate".to_string(),
        ),
        (_, Some(cur)) if e.new_accuracy > cur => (
            true,
            format!(
                "beats the current version on the evaluation set ({:.2}% > {:.2}%)",
                100.0 * e.new_accuracy,
                100.0 * cur
            ),
        ),
        (_, Some(cur)) => (
            false,
            format!(
                "does not beat the current version on the evaluation set ({:.2}% ≤ {:.2}%): kept as a candidate",
                100.0 * e.new_accuracy,
                100.0 * cur
            ),
        ),
    };
    Decision { publish, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(eval_count: usize, new: f64, current: Option<f64>) -> Evidence {
        Evidence {
            eval_count,
            new_accuracy: new,
            current_accuracy: current,
            current_untrained: false,
        }
    }

    #[test]
    fn the_first_version_is_published() {
        assert!(decide(evidence(0, 0.1, None)).publish);
    }

    #[test]
    fn only_a_strictly_better_version_replaces_the_current_one() {
        assert!(decide(evidence(20, 0.81, Some(0.80))).publish);
        let tie = decide(evidence(20, 0.80, Some(0.80)));
        assert!(!tie.publish);
        assert!(tie.reason.contains("80.00% ≤ 80.00%"), "{}", tie.reason);
        assert!(!decide(evidence(20, 0.5, Some(0.8))).publish);
    }

    #[test]
    fn without_evaluation_items_a_new_version_stays_a_candidate() {
        let d = decide(evidence(0, 1.0, Some(0.0)));
        assert!(!d.publish);
        assert!(d.reason.contains("no labeled evaluation items"));
    }

    #[test]
    fn an_untrained_head_is_always_replaced() {
        let d = decide(Evidence {
            current_untrained: true,
            ..evidence(0, 0.1, Some(0.9))
        });
        assert!(d.publish);
    }
}
