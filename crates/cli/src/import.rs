//! `meshtwin import kubernetes FILE… [--cluster NAME FILE…]… [--out DIR]`: read the files
//! (`-` is standard input), import them with [`meshtwin_import`], and write the result into
//! `--out` all at once — into a fresh sibling directory first, moved into place only when
//! every file is written, so a failure leaves nothing half-written.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::ArgMatches;
use meshtwin_import::{
    import_kubernetes_with_calls, CallSources, ClusterInput, Imported, InputFile,
};

use crate::args::{Command, ImportSource};
use crate::exit;

/// The cluster name of files given before any `--cluster`.
pub const DEFAULT_CLUSTER: &str = "cluster-1";
/// The output directory when `--out` is not given.
pub const DEFAULT_OUT: &str = "imported";

/// What `meshtwin import kubernetes` was asked.
pub struct ImportArgs {
    /// `(cluster, files)` in command-line order.
    pub sets: Vec<(String, Vec<String>)>,
    pub out: PathBuf,
    pub name: Option<String>,
    pub force: bool,
    /// `--calls FILE`.
    pub calls: Option<String>,
    /// `--access-log WORKLOAD=FILE`, repeatable.
    pub access_logs: Vec<String>,
}

/// Files grouped by the `--cluster` flag before them, from the parsed command line (clap
/// keeps each value's position).
pub fn cluster_sets(m: &ArgMatches) -> Result<Vec<(String, Vec<String>)>, String> {
    let files: Vec<(usize, String)> = match (m.indices_of("files"), m.get_many::<String>("files")) {
        (Some(i), Some(v)) => i.zip(v.cloned()).collect(),
        _ => Vec::new(),
    };
    let mut flags: Vec<(usize, String)> =
        match (m.indices_of("cluster"), m.get_many::<String>("cluster")) {
            (Some(i), Some(v)) => i.zip(v.cloned()).collect(),
            _ => Vec::new(),
        };
    flags.insert(0, (0, DEFAULT_CLUSTER.to_string()));
    let mut sets: Vec<(String, Vec<String>)> = Vec::new();
    for (k, (at, name)) in flags.iter().enumerate() {
        let end = flags.get(k + 1).map_or(usize::MAX, |(next, _)| *next);
        let mine: Vec<String> = files
            .iter()
            .filter(|(i, _)| *i >= *at && *i < end)
            .map(|(_, f)| f.clone())
            .collect();
        if mine.is_empty() && k > 0 {
            return Err(format!("--cluster {name}: no files follow it"));
        }
        if sets.iter().any(|(n, _)| n == name) {
            return Err(format!("--cluster {name}: given twice"));
        }
        if !mine.is_empty() {
            sets.push((name.clone(), mine));
        }
    }
    if sets.is_empty() {
        return Err("no input files (give manifests, or - for standard input)".into());
    }
    Ok(sets)
}

fn read_input(name: &str, stdin_used: &mut bool) -> Result<InputFile, String> {
    if name == "-" {
        if *stdin_used {
            return Err("-: standard input can be read only once".into());
        }
        *stdin_used = true;
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("<stdin>:1: cannot read standard input: {e}"))?;
        return Ok(InputFile {
            name: "<stdin>".into(),
            text,
        });
    }
    let cannot = |what: String| format!("{name}:1: cannot read file: {what}");
    let path = Path::new(name);
    let meta = std::fs::metadata(path).map_err(|e| cannot(io_message(&e)))?;
    if meta.is_dir() {
        return Err(cannot("Is a directory".into()));
    }
    if meta.len() > meshtwin_config::source::MAX_FILE_BYTES {
        return Err(cannot(format!(
            "larger than {} bytes",
            meshtwin_config::source::MAX_FILE_BYTES
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| cannot(io_message(&e)))?;
    let text = String::from_utf8(bytes).map_err(|_| cannot("not valid UTF-8".into()))?;
    Ok(InputFile {
        name: name.to_string(),
        text,
    })
}

/// `No such file or directory (os error 2)` → `No such file or directory`.
fn io_message(e: &std::io::Error) -> String {
    let s = e.to_string();
    s.split(" (os error ").next().unwrap_or(&s).to_string()
}

/// The mesh's name: `--name`, else the output directory's last component.
fn mesh_name(args: &ImportArgs) -> String {
    if let Some(n) = &args.name {
        return n.clone();
    }
    args.out
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty() && *n != "." && *n != "..")
        .unwrap_or(DEFAULT_OUT)
        .to_string()
}

pub fn import_command(args: ImportArgs) -> u8 {
    let mut stdin_used = false;
    let mut clusters = Vec::new();
    for (cluster, names) in &args.sets {
        let mut files = Vec::new();
        for n in names {
            match read_input(n, &mut stdin_used) {
                Ok(f) => files.push(f),
                Err(e) => {
                    eprintln!("error: {e}");
                    return exit::INVALID_INPUT;
                }
            }
        }
        clusters.push(ClusterInput {
            cluster: cluster.clone(),
            files,
        });
    }
    let calls = match args
        .calls
        .as_deref()
        .map(|n| read_input(n, &mut stdin_used))
    {
        None => None,
        Some(Ok(f)) => Some(f),
        Some(Err(e)) => {
            eprintln!("error: --calls: {e}");
            return exit::INVALID_INPUT;
        }
    };
    let mut logs = Vec::new();
    for item in &args.access_logs {
        let Some((workload, file)) = item.split_once('=') else {
            eprintln!("error: --access-log {item:?}: expected <workload>=<file>");
            return exit::INVALID_INPUT;
        };
        match read_input(file, &mut stdin_used) {
            Ok(f) => logs.push((workload.to_string(), f)),
            Err(e) => {
                eprintln!("error: --access-log: {e}");
                return exit::INVALID_INPUT;
            }
        }
    }
    if let Err(e) = check_out(&args.out, args.force) {
        eprintln!("error: {e}");
        return exit::INVALID_INPUT;
    }
    let out_name = args.out.display().to_string();
    let sources = CallSources {
        file: calls.as_ref(),
        access_logs: &logs,
    };
    let imported =
        match import_kubernetes_with_calls(&clusters, sources, &mesh_name(&args), &out_name) {
            Ok(i) => i,
            Err(e) => {
                eprintln!("error: {e}");
                return exit::INVALID_INPUT;
            }
        };
    if let Err(e) = write_files(&args.out, &imported) {
        eprintln!("error: cannot write {}: {e}", args.out.display());
        return exit::INVALID_INPUT;
    }
    report(&args.out, &imported);
    exit::OK
}

fn check_out(out: &Path, force: bool) -> Result<(), String> {
    if out.is_file() {
        return Err(format!("--out {}: is a file", out.display()));
    }
    let non_empty = out.is_dir()
        && std::fs::read_dir(out)
            .map_err(|e| format!("--out {}: {e}", out.display()))?
            .next()
            .is_some();
    if non_empty && !force {
        return Err(format!(
            "--out {}: exists and is not empty (choose another directory, or --force to \
             overwrite the files the import writes)",
            out.display()
        ));
    }
    Ok(())
}

/// Write every file into a sibling staging directory, then move them into `out`.
fn write_files(out: &Path, imported: &Imported) -> std::io::Result<()> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let leaf = out
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("imported");
    let staging = parent.join(format!(".{leaf}.import-{}", std::process::id()));
    let result = stage(&staging, imported).and_then(|()| {
        if out.exists() {
            for (name, _) in &imported.files {
                let to = out.join(name);
                if let Some(dir) = to.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::rename(staging.join(name), to)?;
            }
            std::fs::remove_dir_all(&staging)
        } else {
            std::fs::rename(&staging, out)
        }
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn stage(dir: &Path, imported: &Imported) -> std::io::Result<()> {
    for (name, text) in &imported.files {
        let path = dir.join(name);
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d)?;
        }
        std::fs::write(path, text)?;
    }
    Ok(())
}

fn report(out: &Path, imported: &Imported) {
    for line in &imported.summary {
        println!("wrote {}/{line}", out.display());
    }
    if !imported.skipped.is_empty() {
        eprintln!("skipped {} object(s):", imported.skipped.len());
        let mut reason = "";
        for s in &imported.skipped {
            if s.reason != reason {
                eprintln!("  {}:", s.reason);
                reason = &s.reason;
            }
            eprintln!("    {} ({})", s.object, s.origin);
        }
    }
    for w in &imported.warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "next: edit the lines marked EDIT in {0}/topology.yaml, then meshtwin run {0}/scenario.yaml",
        out.display()
    );
}

/// `meshtwin import kubernetes`: the files grouped by the `--cluster` before them (read from
/// the raw matches, which keep the order); any other command is handed back.
pub fn dispatch(command: Box<Command>, matches: &ArgMatches) -> Result<u8, Box<Command>> {
    let Command::Import {
        source:
            ImportSource::Kubernetes {
                out,
                name,
                force,
                calls,
                access_log,
                ..
            },
    } = *command
    else {
        return Err(command);
    };
    let m = matches
        .subcommand_matches("import")
        .and_then(|m| m.subcommand_matches("kubernetes"));
    Ok(match m.map(cluster_sets) {
        Some(Ok(sets)) => import_command(ImportArgs {
            sets,
            out,
            name,
            force,
            calls,
            access_logs: access_log,
        }),
        Some(Err(e)) => {
            eprintln!("error: {e}");
            exit::INVALID_INPUT
        }
        None => exit::INVALID_INPUT,
    })
}
