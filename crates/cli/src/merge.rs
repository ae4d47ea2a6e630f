//! `meshtwin merge DIR… --out DIR`: the `shard.json` files of a sharded `sweep`, `compare` or
//! `test` (see [`crate::shard`]) put back together, then reported exactly as the command
//! reports a run on one machine — the same standard output, the same files in `--out`, the
//! same exit code.

use std::path::{Path, PathBuf};

use crate::exit;
use crate::shard;

/// What `meshtwin merge` was asked.
pub struct MergeArgs {
    pub dirs: Vec<PathBuf>,
    pub out: PathBuf,
}

pub fn merge_command(args: MergeArgs) -> u8 {
    match merge(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            exit::INVALID_INPUT
        }
    }
}

fn merge(args: &MergeArgs) -> Result<u8, String> {
    let dirs: Vec<&Path> = args.dirs.iter().map(PathBuf::as_path).collect();
    let Some(first) = dirs.first() else {
        return Err("give the shards' output directories: meshtwin merge DIR… --out DIR".into());
    };
    match shard::command_of(first)?.as_str() {
        "sweep" => {
            let (ctx, per_seed) = shard::merge(&dirs)?;
            Ok(crate::sweep::summarise(&ctx, &per_seed, Some(&args.out)))
        }
        "compare" => {
            let (ctx, runs): (crate::compare::CompareContext, _) = shard::merge(&dirs)?;
            let c = &ctx.comparison;
            println!(
                "meshtwin compare · scenario {} · seeds {}..={} ({} paired runs) · merged from \
                 {} shard(s)",
                c.scenario,
                c.seeds.first().copied().unwrap_or_default(),
                c.seeds.last().copied().unwrap_or_default(),
                c.seeds.len(),
                dirs.len()
            );
            Ok(crate::compare::finish(ctx, runs, &args.out))
        }
        "test" => {
            let (ctx, outcomes) = shard::merge(&dirs)?;
            Ok(crate::test_cmd::finish_merged(ctx, outcomes, &args.out))
        }
        other => Err(format!(
            "{}: a shard of `{other}`, which merge does not know",
            first.join(shard::FILE).display()
        )),
    }
}
