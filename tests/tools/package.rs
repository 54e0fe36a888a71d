//! The Debian package `cargo deb` builds from Cargo.toml's `[package.metadata.deb]`, built with
//! the real cargo-deb (test.sh installs it) and read back with dpkg-deb: what it installs where,
//! its conffiles and maintainer scripts, a stripped binary that runs, and a systemd unit that
//! `systemd-analyze verify` accepts. The package is built from the binary this test run built
//! (`--no-build`, placed where cargo-deb looks for the release one): the layout is what is under
//! test, not the optimisation.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?}: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn text(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8")
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("acdhub-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Builds the package into `dir` and returns its path.
fn build_package(dir: &Path) -> PathBuf {
    let release = dir.join("target/release");
    std::fs::create_dir_all(&release).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_acdhub"), release.join("acdhub")).unwrap();
    let deb = dir.join("acdhub.deb");
    run(Command::new("cargo")
        .args(["deb", "--no-build", "--strip", "--fast"])
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .arg("--output")
        .arg(&deb)
        .current_dir(env!("CARGO_MANIFEST_DIR")));
    deb
}

#[test]
fn cargo_deb_packages_the_binary_the_unit_the_configuration_and_a_user() {
    let dir = fresh_dir("deb");
    let deb = build_package(&dir);

    let info = text(&run(Command::new("dpkg-deb").arg("--info").arg(&deb)));
    for line in ["Package: acdhub", "Section: net", "Architecture: amd64"] {
        assert!(info.contains(line), "{line} in\n{info}");
    }
    let depends = info
        .lines()
        .find(|l| l.trim_start().starts_with("Depends:"))
        .expect("Depends");
    assert!(
        depends.contains("adduser") && depends.contains("libc6"),
        "{depends}"
    );

    let contents = text(&run(Command::new("dpkg-deb").arg("--contents").arg(&deb)));
    let mode_of = |path: &str| {
        contents
            .lines()
            .find(|l| l.ends_with(&format!(".{path}")))
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_else(|| panic!("{path} not in\n{contents}"))
            .to_owned()
    };
    assert_eq!(mode_of("/usr/bin/acdhub"), "-rwxr-xr-x");
    assert_eq!(mode_of("/lib/systemd/system/acdhub.service"), "-rw-r--r--");
    // The demo's passwords are public: the configuration is not world-readable.
    assert_eq!(mode_of("/etc/acdhub/acdhub.toml"), "-rw-r-----");
    assert_eq!(mode_of("/etc/default/acdhub"), "-rw-r--r--");
    mode_of("/usr/share/doc/acdhub/README.md");

    let control = dir.join("control");
    run(Command::new("dpkg-deb")
        .arg("--control")
        .arg(&deb)
        .arg(&control));
    let conffiles = std::fs::read_to_string(control.join("conffiles")).unwrap();
    let mut conffiles: Vec<&str> = conffiles.lines().collect();
    conffiles.sort();
    assert_eq!(
        conffiles,
        ["/etc/acdhub/acdhub.toml", "/etc/default/acdhub"]
    );
    let postinst = std::fs::read_to_string(control.join("postinst")).unwrap();
    assert!(
        postinst
            .contains("adduser --system --group --no-create-home --home /var/lib/acdhub acdhub"),
        "{postinst}"
    );
    run(Command::new("sh").arg("-n").arg(control.join("postinst")));
    run(Command::new("sh").arg("-n").arg(control.join("postrm")));

    // What it installs: the repository's files, a stripped binary that runs.
    let root = dir.join("root");
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root));
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let unit = std::fs::read_to_string(root.join("lib/systemd/system/acdhub.service")).unwrap();
    assert_eq!(
        unit,
        std::fs::read_to_string(repo.join("dist/acdhub.service")).unwrap()
    );
    assert_eq!(
        std::fs::read(root.join("etc/acdhub/acdhub.toml")).unwrap(),
        std::fs::read(repo.join("config/demo.toml")).unwrap()
    );
    let binary = root.join("usr/bin/acdhub");
    let built = std::fs::metadata(env!("CARGO_BIN_EXE_acdhub"))
        .unwrap()
        .len();
    let packaged = std::fs::metadata(&binary).unwrap().len();
    assert!(
        packaged < built / 2,
        "stripped: {packaged} of {built} bytes"
    );
    let version = text(&run(Command::new(&binary).arg("--version")));
    assert_eq!(
        version.trim(),
        format!("acdhub {}", env!("CARGO_PKG_VERSION"))
    );

    // The unit as systemd reads it, its ExecStart pointed at the packaged binary.
    for key in [
        "Type=notify",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "EnvironmentFile=-/etc/default/acdhub",
        "AmbientCapabilities=CAP_NET_BIND_SERVICE",
        "ProtectSystem=strict",
        "StateDirectory=acdhub",
        "LimitNOFILE=",
        "User=acdhub",
    ] {
        assert!(unit.contains(key), "{key} in the unit");
    }
    let check = dir.join("acdhub.service");
    std::fs::write(
        &check,
        unit.replace("/usr/bin/acdhub", binary.to_str().unwrap()),
    )
    .unwrap();
    let verify = run(Command::new("systemd-analyze").arg("verify").arg(&check));
    let said = format!(
        "{}{}",
        text(&verify),
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(said.trim().is_empty(), "systemd-analyze verify: {said}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The Dockerfile's promises, read as text: this machine has no container runtime to build it
/// with (docs/operations.md says so), so what can be checked without one is: a build stage on a
/// compiler no older than Cargo.toml's rust-version that strips the binary, a small glibc base,
/// a user of its own, the listeners the environment names exposed, the data directory a volume,
/// and a .dockerignore that keeps the build folders out of the context.
#[test]
fn the_dockerfile_builds_in_one_stage_and_runs_stripped_as_its_own_user_in_another() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dockerfile = std::fs::read_to_string(repo.join("Dockerfile")).unwrap();
    let lines: Vec<&str> = dockerfile
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let froms: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("FROM "))
        .collect();
    assert_eq!(froms.len(), 2, "{froms:?}");
    let rust = froms[0]
        .strip_prefix("rust:")
        .and_then(|r| r.split('-').next())
        .expect("a rust image with its version");
    let cargo = std::fs::read_to_string(repo.join("Cargo.toml")).unwrap();
    let minimum = cargo
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .unwrap()
        .trim_matches('"');
    let version = |v: &str| -> Vec<u32> { v.split('.').map(|n| n.parse().unwrap()).collect() };
    assert!(version(rust) >= version(minimum), "rust {rust} < {minimum}");
    assert!(froms[0].ends_with(" AS build"), "{}", froms[0]);
    assert!(
        froms[1].starts_with("debian:") && froms[1].ends_with("-slim"),
        "{}",
        froms[1]
    );
    assert!(dockerfile.contains("cargo build --release --locked"));
    assert!(dockerfile.contains("strip target/release/acdhub"));
    assert!(dockerfile.contains("COPY --from=build /acdhub /usr/bin/acdhub"));
    let user = lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER");
    assert_ne!(user, "root");
    assert!(dockerfile.contains("useradd --system --user-group"));
    // Each listener the environment names is exposed.
    let exposed: Vec<&str> = lines
        .iter()
        .find_map(|l| l.strip_prefix("EXPOSE "))
        .unwrap()
        .split_whitespace()
        .collect();
    for key in ["ACDHUB_WS=", "ACDHUB_WSS=", "ACDHUB_METRICS="] {
        let at = dockerfile.find(key).unwrap_or_else(|| panic!("{key}"));
        let value = dockerfile[at + key.len()..]
            .split_whitespace()
            .next()
            .unwrap();
        let port = value.rsplit(':').next().unwrap();
        assert!(
            exposed.contains(&port),
            "{key}{value} not in EXPOSE {exposed:?}"
        );
    }
    assert!(dockerfile.contains("ACDHUB_DATA=/var/lib/acdhub"));
    assert!(dockerfile.contains(r#"VOLUME ["/var/lib/acdhub"]"#));
    assert!(dockerfile.contains(r#"ENTRYPOINT ["/usr/bin/acdhub"]"#));
    let ignored = std::fs::read_to_string(repo.join(".dockerignore")).unwrap();
    for folder in ["target/", "tests/browser/node_modules/"] {
        assert!(
            ignored.lines().any(|l| l == folder),
            "{folder} in .dockerignore"
        );
    }
}
