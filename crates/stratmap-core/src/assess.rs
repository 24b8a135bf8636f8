//! Problem level and trend of an area (SPEC §4.6): from a questionnaire
//! scored 1–5, the mean of all scores (`problem_level`), the mean per domain,
//! and the trend against the area's previous assessment: `worsening` if the
//! level rose by more than 0.2, `improving` if it fell by more than 0.2, else
//! `stable`; `new` when there is no earlier year.
//!
//! The change is rounded to 9 decimals before it is compared, so that a
//! change of exactly 0.2 (2.6 → 2.8, which is 0.19999999999999973 in floating
//! point) is `stable` whichever way the rounding falls.
//!
//! ```
//! use stratmap_core::{assess, Answer, Domain, LevelTrend};
//!
//! let a = |year, score| Answer { area: "Norrby".into(), year, domain: Domain::LivingEnvironment, score };
//! let answers = [a(2025, 2), a(2025, 3), a(2025, 3), a(2025, 3), a(2025, 2), a(2026, 3), a(2026, 3), a(2026, 3), a(2026, 3), a(2026, 2)];
//! let r = assess(&answers);
//! assert_eq!(r[0].problem_level, 2.6);
//! assert_eq!(r[1].problem_level, 2.8);
//! assert_eq!(r[1].trend, LevelTrend::Stable);
//! ```

use std::collections::BTreeMap;

/// The three domains of the questionnaire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Domain {
    /// The living environment domain (`living_environment`).
    LivingEnvironment,
    /// The societal systems domain (`societal_systems`).
    SocietalSystems,
    /// The social development domain (`social_development`).
    SocialDevelopment,
}

impl Domain {
    /// Every domain, in the order of [`Assessment::domains`] and of the output columns.
    pub const ALL: [Domain; 3] = [
        Domain::LivingEnvironment,
        Domain::SocietalSystems,
        Domain::SocialDevelopment,
    ];

    /// The domain's name in the answers file and in the output: `living_environment`,
    /// `societal_systems` or `social_development`.
    pub fn name(self) -> &'static str {
        match self {
            Domain::LivingEnvironment => "living_environment",
            Domain::SocietalSystems => "societal_systems",
            Domain::SocialDevelopment => "social_development",
        }
    }

    /// The domain [`Domain::name`] calls `s`; `None` for any other text.
    ///
    /// ```
    /// use stratmap_core::Domain;
    /// assert_eq!(Domain::from_name("societal_systems"), Some(Domain::SocietalSystems));
    /// assert_eq!(Domain::from_name("Societal systems"), None);
    /// ```
    pub fn from_name(s: &str) -> Option<Domain> {
        Domain::ALL.into_iter().find(|d| d.name() == s)
    }
}

/// One scored answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Name of the area the answer is for.
    pub area: String,
    /// Year of the assessment.
    pub year: i32,
    /// Domain of the question answered.
    pub domain: Domain,
    /// 1–5.
    pub score: u8,
}

/// How an area's problem level changed since its previous assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelTrend {
    /// The area has no earlier assessment.
    New,
    /// The level fell by more than 0.2.
    Improving,
    /// The level changed by at most 0.2 either way.
    Stable,
    /// The level rose by more than 0.2.
    Worsening,
}

impl LevelTrend {
    /// The trend as the output writes it: `new`, `improving`, `stable` or `worsening`.
    pub fn as_str(self) -> &'static str {
        match self {
            LevelTrend::New => "new",
            LevelTrend::Improving => "improving",
            LevelTrend::Stable => "stable",
            LevelTrend::Worsening => "worsening",
        }
    }

    /// The trend of a change from `before` to `now`.
    ///
    /// ```
    /// use stratmap_core::LevelTrend;
    /// assert_eq!(LevelTrend::of_change(3.0, 3.2), LevelTrend::Stable);
    /// assert_eq!(LevelTrend::of_change(3.0, 3.5), LevelTrend::Worsening);
    /// assert_eq!(LevelTrend::of_change(3.0, 2.5), LevelTrend::Improving);
    /// ```
    pub fn of_change(before: f64, now: f64) -> LevelTrend {
        let change = ((now - before) * 1e9).round() / 1e9;
        if change > 0.2 {
            LevelTrend::Worsening
        } else if change < -0.2 {
            LevelTrend::Improving
        } else {
            LevelTrend::Stable
        }
    }
}

/// One area's assessment in one year.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// Name of the area.
    pub area: String,
    /// Year of the assessment.
    pub year: i32,
    /// Mean of all the area's scores that year, 1–5; higher is worse.
    pub problem_level: f64,
    /// Mean score per domain, in [`Domain::ALL`] order; `None` when the
    /// domain had no answers that year.
    pub domains: [Option<f64>; 3],
    /// Against the area's latest earlier assessment.
    pub trend: LevelTrend,
    /// Number of answers, over all domains.
    pub answers: usize,
}

/// Per domain: the sum of scores and the number of answers.
type DomainSums = ([u64; 3], [u64; 3]);

/// Assessments by area, then year.
pub fn assess(answers: &[Answer]) -> Vec<Assessment> {
    // integer sums: exact whatever the order of the answers
    let mut sums: BTreeMap<(&str, i32), DomainSums> = BTreeMap::new();
    for a in answers {
        let e = sums.entry((a.area.as_str(), a.year)).or_default();
        let d = a.domain as usize;
        e.0[d] += u64::from(a.score);
        e.1[d] += 1;
    }
    let mut out: Vec<Assessment> = Vec::with_capacity(sums.len());
    for ((area, year), (sum, n)) in sums {
        let total: u64 = n.iter().sum();
        let problem_level = sum.iter().sum::<u64>() as f64 / total as f64;
        let domains = [0, 1, 2].map(|d| (n[d] > 0).then(|| sum[d] as f64 / n[d] as f64));
        let trend = match out.last() {
            Some(prev) if prev.area == area => {
                LevelTrend::of_change(prev.problem_level, problem_level)
            }
            _ => LevelTrend::New,
        };
        out.push(Assessment {
            area: area.to_string(),
            year,
            problem_level,
            domains,
            trend,
            answers: total as usize,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trends_at_and_around_the_threshold() {
        for (before, now, want) in [
            (2.6, 2.8, LevelTrend::Stable),
            (2.8, 2.6, LevelTrend::Stable),
            (3.0, 3.2, LevelTrend::Stable),
            (1.1, 1.3, LevelTrend::Stable),
            (2.6, 2.8000001, LevelTrend::Worsening),
            (2.6, 2.3999999, LevelTrend::Improving),
            (4.0, 3.0, LevelTrend::Improving),
            (1.0, 5.0, LevelTrend::Worsening),
        ] {
            assert_eq!(LevelTrend::of_change(before, now), want, "{before} → {now}");
        }
    }

    #[test]
    fn levels_domains_and_previous_years() {
        let a = |area: &str, year, domain, score| Answer {
            area: area.into(),
            year,
            domain,
            score,
        };
        use Domain::*;
        let answers = [
            a("B", 2024, LivingEnvironment, 1),
            a("A", 2026, SocietalSystems, 5),
            a("A", 2026, LivingEnvironment, 4),
            a("A", 2024, LivingEnvironment, 2),
            a("A", 2026, LivingEnvironment, 3),
        ];
        let r = assess(&answers);
        let key: Vec<(&str, i32, LevelTrend)> = r
            .iter()
            .map(|x| (x.area.as_str(), x.year, x.trend))
            .collect();
        // A's previous assessment is 2024 (there is none in 2025)
        assert_eq!(
            key,
            [
                ("A", 2024, LevelTrend::New),
                ("A", 2026, LevelTrend::Worsening),
                ("B", 2024, LevelTrend::New)
            ]
        );
        assert_eq!(r[1].problem_level, 4.0);
        assert_eq!(r[1].domains, [Some(3.5), Some(5.0), None]);
        assert_eq!(r[1].answers, 3);
    }
}
