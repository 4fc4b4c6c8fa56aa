//! Running the do-it-yourself backfill script (`crates/bench/diy/backfill.py`) with the workspace venv's
//! Python, and reading its progress lines.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde::{Deserialize, Serialize};

use crate::error::BenchError;
use crate::stack::Service;

/// The workspace root, where `sdk/python/` and `.venv` live.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The script.
fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("diy/backfill.py")
}

/// `python`, else `TANDEM_PYTHON`, else the workspace's `.venv/bin/python`.
fn python(python: Option<&Path>) -> Result<PathBuf, BenchError> {
    let path = python
        .map(Path::to_owned)
        .or_else(|| std::env::var_os("TANDEM_PYTHON").map(PathBuf::from))
        .unwrap_or_else(|| workspace_root().join(".venv/bin/python"));
    if path.exists() {
        Ok(path)
    } else {
        Err(BenchError::Unexpected(format!(
            "no Python at {}: run scripts/test once (it creates .venv with Microsoft's SDKs), or pass --python",
            path.display()
        )))
    }
}

/// What the script did.
#[derive(Debug, Clone, Serialize)]
pub struct DiyRun {
    /// Incidents it copied.
    pub incidents: usize,
    /// Seconds from its first page request to its last write.
    pub seconds: f64,
    /// Seconds spent importing the SDKs and building clients.
    pub setup_seconds: f64,
    /// Its time for every incident of the run: measured when it copied them all, else setup plus the
    /// measured time per incident times the count.
    pub projected_seconds: f64,
    /// True when `projected_seconds` is extrapolated.
    pub extrapolated: bool,
    /// `(seconds, incidents)` samples of the measured part.
    pub samples: Vec<(f64, usize)>,
}

impl DiyRun {
    /// Measured milliseconds per incident copied.
    pub fn ms_per_incident(&self) -> f64 {
        self.seconds * 1e3 / self.incidents.max(1) as f64
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Line {
    Done {
        incidents: usize,
        seconds: f64,
        setup_seconds: f64,
    },
    Progress {
        done: usize,
        seconds: f64,
    },
}

/// Runs the script from `xdr` into `siem` for `limit` incidents, extrapolating to `total`.
pub async fn run(
    python_path: Option<&Path>,
    xdr: &Service,
    siem: &Service,
    limit: usize,
    total: usize,
) -> Result<DiyRun, BenchError> {
    let mut env: Vec<(String, String)> = Vec::new();
    for (prefix, service, url_key) in [
        ("XDR", xdr, "TANDEM_XDR_URL"),
        ("SIEM", siem, "TANDEM_SIEM_URL"),
    ] {
        env.push((
            format!("{prefix}_URL"),
            service.credential(url_key)?.to_owned(),
        ));
        for key in ["TENANT_ID", "CLIENT_ID", "CLIENT_SECRET"] {
            env.push((
                format!("{prefix}_{key}"),
                service.credential(&format!("TANDEM_{key}"))?.to_owned(),
            ));
        }
    }
    for key in ["SUBSCRIPTION_ID", "RESOURCE_GROUP", "WORKSPACE_NAME"] {
        env.push((
            format!("SIEM_{key}"),
            siem.credential(&format!("TANDEM_SIEM_{key}"))?.to_owned(),
        ));
    }
    let output = tokio::process::Command::new(python(python_path)?)
        .arg(script())
        .args(["--limit", &limit.to_string()])
        .env("PYTHONPATH", workspace_root().join("sdk/python"))
        .envs(env)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(BenchError::io("run the do-it-yourself script"))?;
    if !output.status.success() {
        return Err(BenchError::Unexpected(format!(
            "the do-it-yourself script failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    parse(&String::from_utf8_lossy(&output.stdout), total)
}

/// Reads the script's output lines into a run, extrapolated to `total` incidents.
fn parse(stdout: &str, total: usize) -> Result<DiyRun, BenchError> {
    let mut samples = vec![(0.0, 0)];
    for line in stdout.lines().filter(|l| l.starts_with('{')) {
        let parsed: Line = serde_json::from_str(line)
            .map_err(|e| BenchError::Unexpected(format!("script output {line:?}: {e}")))?;
        match parsed {
            Line::Progress { done, seconds } => samples.push((seconds, done)),
            Line::Done {
                incidents,
                seconds,
                setup_seconds,
            } => {
                samples.push((seconds, incidents));
                let extrapolated = incidents < total;
                let per = seconds / incidents.max(1) as f64;
                return Ok(DiyRun {
                    incidents,
                    seconds,
                    setup_seconds,
                    projected_seconds: if extrapolated {
                        setup_seconds + per * total as f64
                    } else {
                        setup_seconds + seconds
                    },
                    extrapolated,
                    samples,
                });
            }
        }
    }
    Err(BenchError::Unexpected(format!(
        "the do-it-yourself script printed no final line: {stdout:?}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extrapolates_from_a_subset() {
        let out = "{\"done\": 100, \"seconds\": 1.0}\n{\"incidents\": 200, \"seconds\": 2.0, \"setup_seconds\": 3.0}\n";
        let run = parse(out, 1000).unwrap();
        assert!(run.extrapolated);
        assert_eq!(run.projected_seconds, 3.0 + 10.0);
        assert_eq!(run.samples, vec![(0.0, 0), (1.0, 100), (2.0, 200)]);
        assert_eq!(run.ms_per_incident(), 10.0);
    }

    #[test]
    fn a_full_run_is_measured() {
        let out = "{\"incidents\": 50, \"seconds\": 2.0, \"setup_seconds\": 1.0}\n";
        let run = parse(out, 50).unwrap();
        assert!(!run.extrapolated);
        assert_eq!(run.projected_seconds, 3.0);
        assert!(parse("nothing", 5).is_err());
    }
}
