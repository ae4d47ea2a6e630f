//! `--shard I/N`: a many-run command (`sweep`, `compare`, `test`) runs only its items (seeds,
//! paired runs, test cases) whose index `i` has `i % N == I`, and writes what it ran to
//! `shard.json` in its output directory; `meshtwin merge` (see [`crate::merge`]) puts the N
//! shard files back into exactly what the command would have written on one machine.
//!
//! `I` counts from 0, as Kubernetes' `JOB_COMPLETION_INDEX` does: `--shard-from-env N`
//! reads it (an Indexed Job with `completions: N`). Every run is deterministic from its
//! inputs and seed, so which machine ran an item never changes its result.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The variable a Kubernetes Indexed Job sets in each pod: its completion index, from 0.
pub const INDEX_VARIABLE: &str = "JOB_COMPLETION_INDEX";
/// The file a sharded run writes in its output directory.
pub const FILE: &str = "shard.json";
/// Version of [`ShardFile`]'s format, checked by `merge`.
pub const FORMAT: u32 = 1;
/// A limit on everything: shards of one command.
const MAX_SHARDS: usize = 10_000;

/// The `--shard` and `--shard-from-env` flags (shared by the many-run commands).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ShardArgs {
    /// Run only shard I of N (I from 0): the items whose index modulo N is I. Write
    /// shard.json into the output directory; `meshtwin merge` combines the N shards.
    #[arg(long, value_name = "I/N", conflicts_with = "shard_from_env")]
    pub shard: Option<String>,
    /// Like --shard, with I read from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job with
    /// `completions: N`).
    #[arg(long, value_name = "N")]
    pub shard_from_env: Option<usize>,
}

/// Shard `index` of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// `I/N` with `0 <= I < N`.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| format!("--shard {text:?}: expected I/N, e.g. 0/4"))?;
        let number = |s: &str, what: &str| {
            s.trim()
                .parse::<usize>()
                .map_err(|_| format!("--shard {text:?}: {what} {s:?} is not a whole number"))
        };
        Shard::new(number(i, "I")?, number(n, "N")?).map_err(|e| format!("--shard {text:?}: {e}"))
    }

    fn new(index: usize, count: usize) -> Result<Shard, String> {
        if count == 0 || count > MAX_SHARDS {
            return Err(format!("N must be between 1 and {MAX_SHARDS}"));
        }
        if index >= count {
            return Err(format!(
                "I is {index}, but shards count from 0: I must be below N ({count})"
            ));
        }
        Ok(Shard { index, count })
    }

    /// Shard `$JOB_COMPLETION_INDEX` of `count`; `value` is the variable's value.
    pub fn from_index_variable(value: Option<&str>, count: usize) -> Result<Shard, String> {
        let value = value.ok_or_else(|| {
            format!(
                "--shard-from-env {count}: {INDEX_VARIABLE} is not set (a Kubernetes Indexed \
                 Job sets it in each pod; elsewhere use --shard I/{count})"
            )
        })?;
        let index = value.trim().parse::<usize>().map_err(|_| {
            format!("--shard-from-env {count}: {INDEX_VARIABLE}={value:?} is not a whole number")
        })?;
        Shard::new(index, count)
            .map_err(|e| format!("--shard-from-env {count}: {INDEX_VARIABLE}={value}: {e}"))
    }

    /// Whether item `i` (of the command's items, in their order) is this shard's.
    pub fn takes(&self, i: usize) -> bool {
        i % self.count == self.index
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl ShardArgs {
    /// The shard asked for, if any (reading the environment for `--shard-from-env`).
    pub fn resolve(&self) -> Result<Option<Shard>, String> {
        if let Some(text) = &self.shard {
            return Shard::parse(text).map(Some);
        }
        match self.shard_from_env {
            Some(n) => {
                let value = std::env::var(INDEX_VARIABLE).ok();
                Shard::from_index_variable(value.as_deref(), n).map(Some)
            }
            None => Ok(None),
        }
    }
}

/// What one shard of a command ran: the context every shard shares (the same in all of them,
/// checked by `merge`) and each of its items' results with the item's index.
#[derive(Debug, Serialize, Deserialize)]
pub struct ShardFile<C, R> {
    pub format: u32,
    /// `sweep`, `compare` or `test`.
    pub command: String,
    pub shard: Shard,
    /// Items of the whole command (every shard's together).
    pub items: usize,
    pub context: C,
    pub results: Vec<(usize, R)>,
}

/// Write `file` as `dir/shard.json` (creating `dir`).
pub fn write<C: Serialize, R: Serialize>(dir: &Path, file: &ShardFile<C, R>) -> Result<(), String> {
    let text = serde_json::to_string_pretty(file).map_err(|e| e.to_string())? + "\n";
    std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::write(dir.join(FILE), text))
        .map_err(|e| format!("cannot write {}: {e}", dir.join(FILE).display()))
}

/// The `command` of the shard file in `dir`.
pub fn command_of(dir: &Path) -> Result<String, String> {
    let v: serde_json::Value = serde_json::from_str(&read(dir)?)
        .map_err(|e| format!("{}: not a shard file: {e}", dir.join(FILE).display()))?;
    match (v["format"].as_u64(), v["command"].as_str()) {
        (Some(f), Some(c)) if f == u64::from(FORMAT) => Ok(c.to_string()),
        (Some(f), _) => Err(format!(
            "{}: shard format {f}, this meshtwin reads format {FORMAT}",
            dir.join(FILE).display()
        )),
        _ => Err(format!("{}: not a shard file", dir.join(FILE).display())),
    }
}

fn read(dir: &Path) -> Result<String, String> {
    let path = dir.join(FILE);
    std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "cannot read {}: {e} (not the output of a --shard run?)",
            path.display()
        )
    })
}

/// The shard files in `dirs` put back together: the shared context and every item's result in
/// item order. Errors when the files are not the N shards of one run, each once.
pub fn merge<C, R>(dirs: &[&Path]) -> Result<(C, Vec<R>), String>
where
    C: DeserializeOwned + Serialize,
    R: DeserializeOwned,
{
    let mut files: Vec<(String, ShardFile<C, R>)> = Vec::new();
    for dir in dirs {
        let f: ShardFile<C, R> = serde_json::from_str(&read(dir)?)
            .map_err(|e| format!("{}: {e}", dir.join(FILE).display()))?;
        files.push((dir.join(FILE).display().to_string(), f));
    }
    let Some((first_name, first)) = files.first() else {
        return Err("no shard directories given".into());
    };
    let context = serde_json::to_value(&first.context).map_err(|e| e.to_string())?;
    let mut by_index: Vec<Option<&str>> = vec![None; first.shard.count];
    for (name, f) in &files {
        if f.shard.index >= f.shard.count {
            return Err(format!("{name}: shard {} is not a shard", f.shard));
        }
        let same = f.command == first.command
            && f.shard.count == first.shard.count
            && f.items == first.items
            && serde_json::to_value(&f.context).map_err(|e| e.to_string())? == context;
        if !same {
            return Err(format!(
                "{name} is not a shard of the same run as {first_name} (command, shard count, \
                 items or inputs differ)"
            ));
        }
        if let Some(other) = by_index[f.shard.index].replace(name) {
            return Err(format!("{name} and {other} are both shard {}", f.shard));
        }
    }
    let missing: Vec<String> = (0..first.shard.count)
        .filter(|i| by_index[*i].is_none())
        .map(|i| format!("{i}/{}", first.shard.count))
        .collect();
    if !missing.is_empty() {
        return Err(format!("missing shard(s) {}", missing.join(", ")));
    }
    let items = first.items;
    let mut results: Vec<Option<R>> = (0..items).map(|_| None).collect();
    let mut context = None;
    for (name, f) in files {
        for (i, r) in f.results {
            if i >= items || !f.shard.takes(i) || results[i].is_some() {
                return Err(format!(
                    "{name}: item {i} does not belong to shard {}",
                    f.shard
                ));
            }
            results[i] = Some(r);
        }
        context.get_or_insert(f.context);
    }
    let results: Option<Vec<R>> = results.into_iter().collect();
    match (context, results) {
        (Some(c), Some(r)) => Ok((c, r)),
        _ => Err("the shards do not hold every item's result (a shard cut short?)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i_of_n_counts_from_zero_and_is_checked() {
        assert_eq!(Shard::parse("0/4"), Ok(Shard { index: 0, count: 4 }));
        assert_eq!(Shard::parse("3/4"), Ok(Shard { index: 3, count: 4 }));
        assert_eq!(
            Shard::parse("4/4").unwrap_err(),
            "--shard \"4/4\": I is 4, but shards count from 0: I must be below N (4)"
        );
        assert!(Shard::parse("1/0").is_err());
        assert!(Shard::parse("1").is_err());
        assert!(Shard::parse("a/2").is_err());
    }

    #[test]
    fn every_item_belongs_to_exactly_one_shard() {
        let shards: Vec<Shard> = (0..3).map(|i| Shard { index: i, count: 3 }).collect();
        for item in 0..10 {
            assert_eq!(shards.iter().filter(|s| s.takes(item)).count(), 1);
        }
    }

    #[test]
    fn the_index_comes_from_the_indexed_jobs_variable() {
        assert_eq!(
            Shard::from_index_variable(Some("2"), 4),
            Ok(Shard { index: 2, count: 4 })
        );
        assert!(Shard::from_index_variable(None, 4)
            .unwrap_err()
            .contains("JOB_COMPLETION_INDEX is not set"));
        assert!(Shard::from_index_variable(Some("4"), 4).is_err());
        assert!(Shard::from_index_variable(Some("x"), 4).is_err());
    }
}
