//! The README's two commands stay true: each command line of its "The two commands" block is
//! one `.ci/run` runs verbatim, on a clean clone, as root (where its result decides whether the
//! work lands), and the subcommands they name exist.
#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::Command;

fn workspace_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The command lines (not comments) of the README's first sh block after "## The two commands".
fn readme_commands() -> Vec<String> {
    let readme = workspace_file("README.md");
    let section = readme
        .split("## The two commands")
        .nth(1)
        .expect("a \"## The two commands\" section");
    let block = section
        .split("```sh")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("an sh block");
    block
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_two_commands_are_what_ci_runs() {
    let commands = readme_commands();
    assert_eq!(commands.len(), 2, "{commands:?}");
    assert!(
        commands[0].starts_with("cargo run"),
        "the main job first: {commands:?}"
    );
    assert!(
        commands[1].starts_with("cargo test"),
        "the tests second: {commands:?}"
    );
    let ci = workspace_file(".ci/run");
    for c in &commands {
        assert!(
            ci.lines().any(|l| l.trim() == c.as_str()),
            ".ci/run does not run the README's {c:?}"
        );
    }
}

#[test]
fn the_main_job_names_a_command_the_binary_has() {
    let commands = readme_commands();
    let args: Vec<&str> = commands[0]
        .split(" -- ")
        .nth(1)
        .expect("cargo run ... -- ARGS")
        .split_whitespace()
        .collect();
    let o = Command::new(env!("CARGO_BIN_EXE_carrack"))
        .args(&args)
        .arg("--help")
        .output()
        .expect("carrack");
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}
