//! `meshtwin report`: the reviewer's document (self-contained HTML and Markdown) from one or
//! more output directories — runs and comparisons — and the same for `run --report` and
//! `compare --report`.

use std::io;
use std::path::{Component, Path, PathBuf};

use meshtwin_report::document::load::load_dir;
use meshtwin_report::document::{html, markdown, Document};

use crate::args::Command;
use crate::{calltree, endpoints, exit, explain_cmd, proxy_config_cmd};

/// Which renderings to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Html,
    Md,
}

/// `to`, relative to the directory `from` (both made absolute first).
fn relative(from: &Path, to: &Path) -> PathBuf {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (from, to) = (abs(from), abs(to));
    let (f, t): (Vec<Component>, Vec<Component>) =
        (from.components().collect(), to.components().collect());
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c.as_os_str());
    }
    out
}

/// Render `doc` into `html_path` / its `.md` sibling (as `formats` ask); `dirs` are the
/// output directories the document came from, by name, for the Markdown's plot links.
pub fn write_report(
    doc: &Document,
    dirs: &[PathBuf],
    html_path: &Path,
    formats: &[Format],
) -> io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    if formats.contains(&Format::Html) {
        std::fs::write(html_path, html::render(doc))?;
        written.push(html_path.to_path_buf());
    }
    if formats.contains(&Format::Md) {
        let md_path = html_path.with_extension("md");
        let parent = md_path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let prefix = |name: &str| {
            dirs.iter()
                .find(|d| d.file_name().is_some_and(|n| n.to_string_lossy() == name))
                .map(|d| {
                    let rel = relative(parent, d);
                    if rel.as_os_str().is_empty() {
                        String::new()
                    } else {
                        format!("{}/", rel.display())
                    }
                })
                .unwrap_or_default()
        };
        std::fs::write(&md_path, markdown::render(doc, &prefix))?;
        written.push(md_path);
    }
    Ok(written)
}

/// Read every directory into one document.
pub fn document(dirs: &[PathBuf]) -> io::Result<Document> {
    let sections = dirs
        .iter()
        .map(|d| load_dir(d))
        .collect::<io::Result<_>>()?;
    Ok(Document { sections })
}

pub fn report_command(dirs: &[PathBuf], formats: &[Format], out: Option<PathBuf>) -> u8 {
    if dirs.is_empty() {
        eprintln!("error: name at least one output directory (of `meshtwin run` or `compare`)");
        return exit::INVALID_INPUT;
    }
    let doc = match document(dirs) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INVALID_INPUT;
        }
    };
    let html_path = out.unwrap_or_else(|| dirs[0].join("report.html"));
    match write_report(&doc, dirs, &html_path, formats) {
        Ok(files) => {
            for f in files {
                println!("wrote {}", f.display());
            }
            exit::OK
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", html_path.display());
            exit::INVALID_INPUT
        }
    }
}

/// The commands that read a run's outputs — `report`, `explain`, `trace`, `proxy-config`,
/// `endpoints`; any other command is handed back.
pub fn dispatch(command: Box<Command>) -> Result<u8, Box<Command>> {
    Ok(match *command {
        Command::Report {
            dirs,
            format,
            output,
        } => report_command(&dirs, &format, output),
        Command::Explain {
            dir,
            request,
            load,
            code,
            scenario,
        } => explain_cmd::explain_command(explain_cmd::ExplainArgs {
            dir,
            load,
            code,
            request,
            scenario,
        }),
        Command::Trace { trace, request_id } => calltree::trace_command(&trace, &request_id),
        Command::ProxyConfig {
            kind,
            out,
            proxy,
            output,
        } => proxy_config_cmd::proxy_config_command(kind, &out, &proxy, output),
        Command::Endpoints {
            trace,
            proxy,
            cluster,
            at,
            output,
        } => endpoints::endpoints_command(
            &trace,
            &endpoints::Query {
                proxy: proxy.as_deref(),
                cluster: cluster.as_deref(),
                at: at.as_deref(),
                format: output,
            },
        ),
        other => return Err(Box::new(other)),
    })
}
