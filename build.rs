//! Embeds the curriculum trees into the binary so a learner needs nothing but it,
//! Node.js and npm. Each file becomes an `include_bytes!`, so rustc tracks its
//! content; `rerun-if-changed` on every tree makes a newly added file trigger a rebuild.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

const TREES: &[&str] = &["exercises", "projects", "solutions", "checks", "workspace"];
const SKIPPED: &[&str] = &["node_modules", ".roadmap"];

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    println!("cargo:rerun-if-changed=curriculum.toml");
    println!("cargo:rerun-if-changed=src/runner/js");
    if root.join("curriculum.toml").is_file() {
        files.push(root.join("curriculum.toml"));
    }
    for tree in TREES {
        let dir = root.join(tree);
        collect(&dir, &mut files);
    }
    files.sort();

    let mut out = String::from("pub static FILES: &[(&str, &[u8])] = &[\n");
    for file in &files {
        let relative = file.strip_prefix(&root).expect("collected below the root");
        let name = relative.to_string_lossy().replace('\\', "/");
        writeln!(out, "    ({name:?}, include_bytes!({:?})),", file.display().to_string()).unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded.rs");
    fs::write(dest, out).expect("write embedded.rs");
}

// Every folder is watched on its own (its mtime changes when a file is added or
// removed) rather than whole trees, so that cargo never scans `node_modules`.
fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if SKIPPED.iter().any(|s| name == *s) {
            continue;
        }
        match entry.file_type() {
            Ok(t) if t.is_dir() => collect(&path, files),
            Ok(t) if t.is_file() => {
                println!("cargo:rerun-if-changed={}", path.display());
                files.push(path);
            }
            _ => {}
        }
    }
}
