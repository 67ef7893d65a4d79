//! How much annotators agree beyond chance, on items labeled more than once: Cohen's kappa for
//! a pair of annotators and Krippendorff's alpha (nominal) for any number of them with missing
//! labels. Pure functions over class indices; each figure comes with the number of items it
//! rests on, since a kappa from eight items means little.

/// An agreement figure and what it rests on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Agreement {
    /// The coefficient: 1 = perfect, 0 = what chance gives, below 0 = systematic disagreement.
    /// `None` when it is undefined (no items, or chance agreement is already perfect: every
    /// label is the same class).
    pub value: Option<f64>,
    /// Items the figure rests on (labeled by both annotators / by two or more).
    pub items: usize,
}

/// Cohen's kappa of two annotators over the items both labeled: `(a, b)` class pairs.
/// κ = (p_o − p_e) / (1 − p_e), p_o the share of items they agree on, p_e the agreement their
/// own class frequencies give by chance.
pub fn cohen_kappa(pairs: &[(u32, u32)]) -> Agreement {
    let n = pairs.len();
    if n == 0 {
        return Agreement {
            value: None,
            items: 0,
        };
    }
    let classes = pairs
        .iter()
        .map(|&(a, b)| a.max(b) as usize + 1)
        .max()
        .unwrap_or(0);
    let (mut first, mut second) = (vec![0usize; classes], vec![0usize; classes]);
    let mut agree = 0usize;
    for &(a, b) in pairs {
        first[a as usize] += 1;
        second[b as usize] += 1;
        agree += usize::from(a == b);
    }
    let nf = n as f64;
    let p_o = agree as f64 / nf;
    let p_e: f64 = first
        .iter()
        .zip(&second)
        .map(|(&x, &y)| (x as f64 / nf) * (y as f64 / nf))
        .sum();
    let value = (p_e < 1.0).then(|| (p_o - p_e) / (1.0 - p_e));
    Agreement { value, items: n }
}

/// Krippendorff's alpha for nominal labels: `units[u]` holds the labels item `u` got (any
/// number, from different annotators; items with fewer than two are not pairable and are left
/// out). α = 1 − D_o / D_e from the coincidence matrix of all pairable values.
pub fn krippendorff_alpha_nominal(units: &[Vec<u32>]) -> Agreement {
    let pairable: Vec<&Vec<u32>> = units.iter().filter(|u| u.len() >= 2).collect();
    let classes = pairable
        .iter()
        .flat_map(|u| u.iter())
        .map(|&c| c as usize + 1)
        .max()
        .unwrap_or(0);
    // Coincidences o[c][k]: ordered pairs of values within a unit, weighted 1 / (m_u − 1).
    let mut o = vec![vec![0f64; classes]; classes];
    for u in &pairable {
        let w = 1.0 / (u.len() - 1) as f64;
        for (i, &c) in u.iter().enumerate() {
            for (j, &k) in u.iter().enumerate() {
                if i != j {
                    o[c as usize][k as usize] += w;
                }
            }
        }
    }
    let n_c: Vec<f64> = o.iter().map(|row| row.iter().sum()).collect();
    let n: f64 = n_c.iter().sum();
    let mut observed = 0.0;
    let mut expected = 0.0;
    for c in 0..classes {
        for k in 0..classes {
            if c != k {
                observed += o[c][k];
                expected += n_c[c] * n_c[k];
            }
        }
    }
    let value = (n > 1.0 && expected > 0.0).then(|| 1.0 - (n - 1.0) * observed / expected);
    Agreement {
        value,
        items: pairable.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64, tol: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < tol)
    }

    #[test]
    fn kappa_of_the_textbook_grant_example_is_0_4() {
        // 50 applications: both yes 20, both no 15, A yes / B no 5, A no / B yes 10
        // (p_o = 0.7, p_e = 0.5 → κ = 0.4; Wikipedia's "Cohen's kappa" worked example).
        let mut pairs = vec![(1, 1); 20];
        pairs.extend(vec![(0, 0); 15]);
        pairs.extend(vec![(1, 0); 5]);
        pairs.extend(vec![(0, 1); 10]);
        let k = cohen_kappa(&pairs);
        assert!(close(k.value, 0.4, 1e-12), "{k:?}");
        assert_eq!(k.items, 50);
    }

    #[test]
    fn kappa_is_one_for_full_agreement_and_undefined_without_variety() {
        assert!(close(
            cohen_kappa(&[(0, 0), (1, 1), (2, 2)]).value,
            1.0,
            1e-12
        ));
        assert_eq!(cohen_kappa(&[(3, 3), (3, 3)]).value, None);
        assert_eq!(
            cohen_kappa(&[]),
            Agreement {
                value: None,
                items: 0
            }
        );
        // Always disagreeing on two balanced classes: κ = −1.
        assert!(close(cohen_kappa(&[(0, 1), (1, 0)]).value, -1.0, 1e-12));
    }

    #[test]
    fn alpha_of_krippendorffs_two_observer_binary_example_is_0_095() {
        // Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011), example A.
        let a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0];
        let b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0];
        let units: Vec<Vec<u32>> = a.iter().zip(&b).map(|(&x, &y)| vec![x, y]).collect();
        let alpha = krippendorff_alpha_nominal(&units);
        assert!(close(alpha.value, 0.095, 5e-4), "{alpha:?}");
        assert_eq!(alpha.items, 10);
    }

    #[test]
    fn alpha_of_krippendorffs_four_observer_example_with_missing_values_is_0_743() {
        // Same paper, example C: 4 observers, 12 units, values 1–5, missing labels; nominal
        // α = 0.743. Unit 12 has one value only: not pairable.
        let units: Vec<Vec<u32>> = vec![
            vec![1, 1, 1],
            vec![2, 2, 3, 2],
            vec![3, 3, 3, 3],
            vec![3, 3, 3, 3],
            vec![2, 2, 2, 2],
            vec![1, 2, 3, 4],
            vec![4, 4, 4, 4],
            vec![1, 1, 2, 1],
            vec![2, 2, 2, 2],
            vec![5, 5, 5],
            vec![1, 1],
            vec![3],
        ];
        let alpha = krippendorff_alpha_nominal(&units);
        assert!(close(alpha.value, 0.743, 5e-4), "{alpha:?}");
        assert_eq!(alpha.items, 11);
    }

    #[test]
    fn alpha_and_kappa_are_close_for_two_annotators_on_many_items() {
        // α corrects for small samples; with two annotators and many items it approaches κ.
        let mut pairs = vec![(1, 1); 200];
        pairs.extend(vec![(0, 0); 150]);
        pairs.extend(vec![(1, 0); 50]);
        pairs.extend(vec![(0, 1); 100]);
        let units: Vec<Vec<u32>> = pairs.iter().map(|&(a, b)| vec![a, b]).collect();
        let (k, a) = (
            cohen_kappa(&pairs).value.unwrap(),
            krippendorff_alpha_nominal(&units).value.unwrap(),
        );
        assert!((k - a).abs() < 0.02, "κ {k} α {a}");
    }
}
