//! What `acdhub_build_info` says of the binary besides its version: the git commit it was built
//! from (`ACDHUB_REVISION`, the short hash) and the compiler that built it (`ACDHUB_RUSTC`, as
//! `rustc --version` prints it).
//!
//! Neither may fail the build: outside a git checkout of this repository (a tarball, a crate
//! vendored into another project's checkout), without git, or with a compiler that does not
//! answer, the value is `unknown`.

use std::path::{Path, PathBuf};
use std::process::Command;

const UNKNOWN: &str = "unknown";

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    println!("cargo:rerun-if-changed=build.rs");
    // A build without the checkout (a container build, a tarball) may name its commit.
    println!("cargo:rerun-if-env-changed=ACDHUB_REVISION");
    let given = std::env::var("ACDHUB_REVISION")
        .ok()
        .filter(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_alphanumeric()));
    let revision = given
        .or_else(|| revision(&manifest_dir))
        .unwrap_or_else(|| UNKNOWN.to_owned());
    println!("cargo:rustc-env=ACDHUB_REVISION={revision}");
    let rustc = rustc_version().unwrap_or_else(|| UNKNOWN.to_owned());
    println!("cargo:rustc-env=ACDHUB_RUSTC={rustc}");
}

/// `git <args>` in `dir`: its trimmed standard output, or `None` when git is missing, fails or
/// prints nothing.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// The short hash of the commit checked out in `manifest_dir`, when it is the top of a git work
/// tree: a copy of the sources inside some other repository's work tree has no revision of its
/// own, and that repository's would be a lie.
fn revision(manifest_dir: &Path) -> Option<String> {
    let top = git(manifest_dir, &["rev-parse", "--show-toplevel"])?;
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same(Path::new(&top), manifest_dir) {
        return None;
    }
    rerun_on_new_commit(manifest_dir);
    let hash = git(manifest_dir, &["rev-parse", "--short", "HEAD"])?;
    hash.chars().all(|c| c.is_ascii_hexdigit()).then_some(hash)
}

/// Runs this script again when HEAD moves: a commit, a checkout, a reset. Only files that
/// exist are named (Cargo reruns on every build for a missing one): HEAD, the loose file of the
/// branch it points to (or, while the branch has none, the nearest folder above it that exists,
/// where committing creates it), and packed-refs.
fn rerun_on_new_commit(manifest_dir: &Path) {
    let git_path = |name: &str| {
        git(manifest_dir, &["rev-parse", "--git-path", name]).map(|p| manifest_dir.join(p))
    };
    let mut watched = Vec::new();
    watched.extend(git_path("HEAD"));
    if let (Some(branch), Some(refs)) = (
        git(manifest_dir, &["symbolic-ref", "-q", "HEAD"]),
        git_path("refs"),
    ) {
        // A folder is watched whole: go up no further than refs/.
        let mut at = git_path(&branch);
        while let Some(path) = at.filter(|path| path.starts_with(&refs)) {
            if path.exists() {
                watched.push(path);
                break;
            }
            at = path.parent().map(Path::to_path_buf);
        }
    }
    watched.extend(git_path("packed-refs"));
    for path in watched.into_iter().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

/// `$RUSTC --version`: the compiler Cargo builds this package with.
fn rustc_version() -> Option<String> {
    let rustc = std::env::var_os("RUSTC")?;
    let output = Command::new(rustc).arg("--version").output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    // One line of plain text: it becomes a label value and an environment variable.
    (!text.is_empty() && !text.contains(['\n', '\r'])).then_some(text)
}
