//! The floor for writing a build's output: recreates the tree SRC at DEST
//! (every directory made, every file created and written, nothing else) on
//! THREADS threads, and prints how long that took in milliseconds. SRC is
//! read into memory first, untimed, so the figure is the cost of the
//! writes alone: what any tool that writes this output pays on this disk.
//!
//! Directories are made level by level (a parent before its children); on
//! each level the threads take directories one at a time, make each and
//! write its files, as `polc build` does with a profile's.
//!
//! Built by `bench/run.sh` with `rustc -O` (no dependencies).
//! Usage: floor SRC DEST THREADS

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A directory relative to the root ("" for the root) and its files.
struct Dir {
    rel: PathBuf,
    depth: usize,
    files: Vec<(String, Vec<u8>)>,
}

fn read(root: &Path, rel: &Path, depth: usize, out: &mut Vec<Dir>) -> std::io::Result<()> {
    let mut files = Vec::new();
    let mut subdirs = Vec::new();
    for entry in std::fs::read_dir(root.join(rel))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_dir() {
            subdirs.push(rel.join(&name));
        } else {
            files.push((name, std::fs::read(entry.path())?));
        }
    }
    out.push(Dir {
        rel: rel.to_path_buf(),
        depth,
        files,
    });
    for d in subdirs {
        read(root, &d, depth + 1, out)?;
    }
    Ok(())
}

fn write_dir(dest: &Path, dir: &Dir) -> std::io::Result<()> {
    let path = dest.join(&dir.rel);
    std::fs::create_dir(&path)?;
    for (name, bytes) in &dir.files {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path.join(name))?;
        f.write_all(bytes)?;
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, src, dest, threads] = args.as_slice() else {
        eprintln!("usage: floor SRC DEST THREADS");
        std::process::exit(2);
    };
    let threads: usize = threads.parse().expect("THREADS is a number");
    let mut dirs = Vec::new();
    read(Path::new(src), Path::new(""), 0, &mut dirs).expect("SRC is readable");
    dirs.sort_by_key(|d| d.depth);
    let dest = Path::new(dest);
    let started = std::time::Instant::now();
    let mut level_start = 0;
    while level_start < dirs.len() {
        let depth = dirs[level_start].depth;
        let level_end = dirs[level_start..]
            .iter()
            .position(|d| d.depth != depth)
            .map_or(dirs.len(), |n| level_start + n);
        let level = &dirs[level_start..level_end];
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..threads.min(level.len()).max(1) {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(dir) = level.get(i) else { break };
                        write_dir(dest, dir).expect("DEST is writable");
                    }
                });
            }
        });
        level_start = level_end;
    }
    println!("{:.1}", started.elapsed().as_secs_f64() * 1000.0);
}
