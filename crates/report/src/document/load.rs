//! Output directories read back into report sections.

use std::fs;
use std::io;
use std::path::Path;

use meshtwin_model::event::{ResponseFlag, ResponseFlags};

use super::{Plot, RunSection, Section};
use crate::compare::Comparison;
use crate::explain::Explanation;
use crate::simulated::Simulated;
use crate::summary::Summary;

/// Read one output directory: a comparison's (`compare.json`) or a run's (`summary.json`).
pub fn load_dir(dir: &Path) -> io::Result<Section> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| ".".into());
    if let Some(c) = read_json::<Comparison>(&dir.join("compare.json"))? {
        return Ok(Section::Comparison(Box::new(c)));
    }
    let Some(summary) = read_json::<Summary>(&dir.join("summary.json"))? else {
        return Err(io::Error::other(format!(
            "{}: no summary.json or compare.json (not a meshtwin output directory)",
            dir.display()
        )));
    };
    let simulated = read_json::<Simulated>(&dir.join("inputs.json"))?;
    let explanations = read_json::<Vec<Explanation>>(&dir.join("explanations.json"))?;
    let graph = match fs::read_to_string(dir.join("graph.svg")) {
        Ok(svg) => Some(svg),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let plots = plots(dir, &summary)?;
    Ok(Section::Run(Box::new(RunSection {
        dir: name,
        summary,
        simulated,
        explanations: explanations.unwrap_or_default(),
        graph,
        plots,
    })))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> io::Result<Option<T>> {
    match fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| io::Error::other(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The plots that matter for this run, in reading order: failover and ejections when the run
/// has them, the pool over the whole run, each load's pool when it overflowed, the traffic
/// shares and latency.
fn plots(dir: &Path, s: &Summary) -> io::Result<Vec<Plot>> {
    let mut wanted: Vec<(String, String)> = vec![
        (
            "failover".into(),
            "Where each load's requests were served (upstream locality and cluster), with \
             faults and ejections marked"
                .into(),
        ),
        (
            "ejections".into(),
            "Hosts out of rotation, per proxy and cluster (outlier detection, health checks)"
                .into(),
        ),
        (
            "pool".into(),
            "Connection pools over the whole run: active connections, pending requests, \
             overflows"
                .into(),
        ),
    ];
    for l in &s.loads {
        let overflowed = l
            .flags
            .keys()
            .any(|f| ResponseFlags::parse(f).is_some_and(|f| f.contains(ResponseFlag::UO)));
        if overflowed {
            wanted.push((
                format!("pool-{}", l.name),
                format!("Connection pools during load {} (it overflowed)", l.name),
            ));
        }
    }
    wanted.push((
        "shares".into(),
        "Which workloads each load's calls reached, over time".into(),
    ));
    wanted.push(("latency".into(), "Latency distribution per load".into()));
    let mut out = Vec::new();
    for (stem, caption) in wanted {
        match fs::read_to_string(dir.join(format!("{stem}.svg"))) {
            Ok(svg) => out.push(Plot { stem, caption, svg }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}
