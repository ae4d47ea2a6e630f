//! A full trace written to its file during the run (what `meshtwin run` does: held in memory
//! while small, streamed once it outgrows its budget) gives the same outputs as the same run
//! with its trace kept in memory (what `sweep`, `compare` and `test` do): the same
//! `trace.jsonl` byte for byte, the same `trace.jsonl.zst`, and every other file of the output
//! set (summary, explanations, graph, plots, trace-event export) and the digest computed from
//! the file read back equal those computed from memory — whether the trace spilled from the
//! first event, half-way through the run, or never.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{explain_context, load, Inputs};
use meshtwin_model::run::RunResult;
use meshtwin_report::digest::Digest;
use meshtwin_report::output::{write_all, write_staged};
use meshtwin_report::output_dir::Staging;
use meshtwin_report::summary::{judge, Judged};
use meshtwin_sim::recorder::{Recorder, SPILL_AFTER};
use meshtwin_sim::trace_stream::{TraceWriter, ZSTD_LEVEL};
use meshtwin_sim::Substrate;

/// A fresh directory under the target directory for this test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("streamed_trace")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn judged(inputs: &Inputs, r: &RunResult) -> Judged {
    let mut j = judge(&inputs.scenario, &inputs.topology, r);
    j.annotate(r, &explain_context(inputs));
    j
}

/// Every file of `dir` and its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// Run `inputs` with the trace written into a staging directory for `out` (compressed when
/// `compress`; streamed once it outgrows `after` events), and write the run's outputs there as
/// `meshtwin run` does; the run's digest is taken from the trace before the staging directory
/// moves to `out`.
fn run_streamed(inputs: &Inputs, out: &Path, compress: bool, after: usize) -> (RunResult, String) {
    let staging = Staging::new(out).unwrap();
    let file = TraceWriter::create(staging.path(), compress).unwrap();
    let r = meshtwin_sim::run_recorded(
        Substrate::default(),
        Recorder::streaming_after(file, after),
        &inputs.topology,
        &inputs.policies,
        &inputs.scenario,
        &inputs.timeline,
    )
    .expect("the scenario runs");
    let j = judged(inputs, &r);
    let digest = Digest::build(&j.summary, r.trace()).to_text();
    write_staged(staging, &j, &r, &|_| Ok(())).unwrap();
    assert_eq!(r.trace().failure(), None);
    (r, digest)
}

fn assert_streamed_equals_kept(name: &str) {
    let inputs = load(name);
    let dir = scratch(name);
    let kept = meshtwin_sim::run_on(
        Substrate::default(),
        &inputs.topology,
        &inputs.policies,
        &inputs.scenario,
        &inputs.timeline,
    )
    .expect("the scenario runs");
    assert!(!kept.events.is_empty());
    let kept_judged = judged(&inputs, &kept);
    write_all(&dir.join("kept"), &kept_judged, &kept, &|_| Ok(())).unwrap();

    let kept_digest = Digest::build(&kept_judged.summary, kept.trace()).to_text();
    let a = files(&dir.join("kept"));
    let n = kept.events.len();
    for after in [0, n / 2, SPILL_AFTER] {
        let out = dir.join(format!("written-{after}"));
        let (written, digest) = run_streamed(&inputs, &out, false, after);
        assert_eq!(
            written.events.is_empty(),
            after < n,
            "{name}: a trace is held in memory only while it stays within {after} events"
        );
        assert_eq!(written.trace().len(), n as u64);
        assert_eq!(written.dropped_events, 0);
        let b = files(&out);
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
        for (file, bytes) in &a {
            assert!(bytes == &b[file], "{name}, after {after}: {file} differs");
        }
        assert_eq!(kept_digest, digest);

        // Compressed as it is written: the same bytes as compressing the finished file.
        let zst = dir.join(format!("zst-{after}"));
        run_streamed(&inputs, &zst, true, after);
        let mut expected = Vec::new();
        let plain = std::fs::read(dir.join("kept/trace.jsonl")).unwrap();
        zstd::stream::copy_encode(plain.as_slice(), &mut expected, ZSTD_LEVEL).unwrap();
        let compressed = std::fs::read(zst.join("trace.jsonl.zst")).unwrap();
        assert!(compressed == expected, "{name}: trace.jsonl.zst differs");
        assert!(!zst.join("trace.jsonl").exists());
    }
}

#[test]
fn a_streamed_trace_with_pool_overflows_and_explanations_gives_the_kept_runs_outputs() {
    assert_streamed_equals_kept("istio-circuit-breaking");
}

#[test]
fn a_streamed_trace_with_ejections_and_timeline_pushes_gives_the_kept_runs_outputs() {
    assert_streamed_equals_kept("kubesphere-ratings-ejection");
}
