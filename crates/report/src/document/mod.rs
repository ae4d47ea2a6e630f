//! The report a reviewer reads before a rollout: one self-contained HTML file (inline SVG and
//! CSS, nothing fetched, printable) and one Markdown file for a pull-request comment, rendered
//! from output directories — a run's (`summary.json`, `inputs.json`, its plots) or a
//! comparison's (`compare.json`).
//!
//! - [`load`]: an output directory read back into a [`Section`].
//! - [`html`], [`markdown`]: the two renderings of one [`Document`]; [`html_comparison`]
//!   renders a comparison's part of the HTML.
//!
//! The verdict comes first; then what was simulated, per-load results, the plots that matter
//! for the run, and for a comparison the side-by-side deltas. Headings and plot captions carry
//! the scenario, seed and variant.

pub mod html;
pub mod html_comparison;
pub mod load;
pub mod markdown;

use crate::compare::Comparison;
use crate::explain::Explanation;
use crate::simulated::Simulated;
use crate::summary::Summary;

/// One plot of a run, as its output directory has it.
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    /// File stem (`pool`, `pool-c3`, `failover`, …).
    pub stem: String,
    /// What it shows.
    pub caption: String,
    /// The SVG text.
    pub svg: String,
}

/// One run: its summary, what it simulated, its plots.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSection {
    /// The output directory's name (links in Markdown are relative to the report).
    pub dir: String,
    pub summary: Summary,
    pub simulated: Option<Simulated>,
    /// Why requests failed (`explanations.json`).
    pub explanations: Vec<Explanation>,
    /// The service graph (`graph.svg`).
    pub graph: Option<String>,
    pub plots: Vec<Plot>,
}

/// One part of a report.
#[derive(Debug, Clone, PartialEq)]
pub enum Section {
    Run(Box<RunSection>),
    Comparison(Box<Comparison>),
}

/// A whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub sections: Vec<Section>,
}

impl Document {
    /// The report's title: the scenarios, seeds and variants it covers.
    pub fn title(&self) -> String {
        let parts: Vec<String> = self
            .sections
            .iter()
            .map(|s| match s {
                Section::Run(r) => format!("{} · seed {}", r.summary.scenario, r.summary.seed),
                Section::Comparison(c) => format!(
                    "{} · {} vs {} · {} seeds",
                    c.scenario,
                    c.candidate.name,
                    c.baseline.name,
                    c.seeds.len()
                ),
            })
            .collect();
        format!("meshtwin report: {}", parts.join("; "))
    }

    /// Whether everything passed: every run's expectations held and no comparison's gate
    /// tripped.
    pub fn passed(&self) -> bool {
        self.sections.iter().all(|s| match s {
            Section::Run(r) => r.summary.passed,
            Section::Comparison(c) => !c.gate_failed(),
        })
    }
}
