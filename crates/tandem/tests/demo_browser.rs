//! The consoles' acceptance test in a real browser, run by `cargo test`: `e2e/consoles.mjs` drives the
//! system's Chromium through playwright-core against the built `tandem demo`. An analyst finds the
//! multi-stage incident in the SIEM console, sees its four products' alerts and its entities, closes it
//! as a true positive with a comment and follows its link to the XDR console, where it shows resolved
//! with that classification and comment; a reader sees every page of both consoles and can change
//! nothing. Screenshots of each step land in `test-artifacts/consoles/`.
//!
//! Needs Node.js (`TANDEM_NODE`, else `node` on `PATH`), Chromium (`TANDEM_CHROMIUM`, else
//! `/usr/bin/chromium`) and `e2e/node_modules` (`npm ci` in `e2e/`; `scripts/test` runs it).

use std::path::{Path, PathBuf};
use std::process::Command;

use tandem_testkit::workspace_root;

#[test]
fn analyst_closes_in_the_siem_console_and_the_xdr_follows() {
    let e2e = workspace_root().join("e2e");
    let node = program("TANDEM_NODE", "node");
    let chromium = chromium();
    assert!(
        e2e.join("node_modules/playwright-core/package.json")
            .exists(),
        "playwright-core is not installed in {}: run `npm ci` there (scripts/test does)",
        e2e.display()
    );
    let output = Command::new(&node)
        .arg(e2e.join("consoles.mjs"))
        .env("TANDEM_BIN", env!("CARGO_BIN_EXE_tandem"))
        .env("TANDEM_CHROMIUM", &chromium)
        .env(
            "TANDEM_ARTIFACTS",
            workspace_root().join("test-artifacts/consoles"),
        )
        .current_dir(&e2e)
        .output()
        .unwrap_or_else(|e| panic!("run {} e2e/consoles.mjs: {e}", node.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        output.status.success(),
        "the browser test failed ({}); its screenshots and demo.log are in test-artifacts/consoles/:\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("every step passed"),
        "the browser test ended early:\n{stdout}"
    );
}

/// `$env_var`, else `name` on `PATH`; fails saying how to install Node.js when neither is there.
fn program(env_var: &str, name: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(env_var) {
        return PathBuf::from(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!("{name} is not on PATH (nor set in {env_var}): install Node.js 20 or later with npm (apt-get install -y nodejs npm)")
        })
}

/// `TANDEM_CHROMIUM`, else Debian's `/usr/bin/chromium`; fails saying how to install it.
fn chromium() -> PathBuf {
    let path = std::env::var_os("TANDEM_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(
        Path::new(&path).is_file(),
        "no Chromium at {}: install it with `apt-get install -y chromium` (.ci/run does), or set TANDEM_CHROMIUM",
        path.display()
    );
    path
}
