//! A process's footprint from Linux's `/proc`: peak resident memory (`VmHWM` in `/proc/<pid>/status`)
//! and CPU time (`utime` + `stime` in `/proc/<pid>/stat`).

use serde::Serialize;

use crate::error::BenchError;

/// Memory and CPU of one process at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Footprint {
    /// Peak resident set size so far, in MiB.
    pub peak_rss_mib: f64,
    /// Current resident set size, in MiB.
    pub rss_mib: f64,
    /// User plus system CPU time so far, in seconds.
    pub cpu_seconds: f64,
}

/// Reads the footprint of process `pid`.
pub fn footprint(pid: u32) -> Result<Footprint, BenchError> {
    let status = read(&format!("/proc/{pid}/status"))?;
    let stat = read(&format!("/proc/{pid}/stat"))?;
    Ok(Footprint {
        peak_rss_mib: status_kib(&status, "VmHWM")? / 1024.0,
        rss_mib: status_kib(&status, "VmRSS")? / 1024.0,
        cpu_seconds: cpu_ticks(&stat)? as f64 / ticks_per_second()?,
    })
}

fn read(path: &str) -> Result<String, BenchError> {
    std::fs::read_to_string(path).map_err(BenchError::io(format!("read {path}")))
}

/// A `Name:   1234 kB` line of `/proc/<pid>/status`, in KiB.
fn status_kib(status: &str, name: &str) -> Result<f64, BenchError> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| BenchError::Unexpected(format!("/proc status has no readable {name}")))
}

/// `utime` + `stime` (fields 14 and 15) of `/proc/<pid>/stat`, in clock ticks. The command name (field
/// 2) may hold spaces, so fields are counted after its closing parenthesis.
fn cpu_ticks(stat: &str) -> Result<u64, BenchError> {
    let unreadable = || BenchError::Unexpected(format!("/proc stat is unreadable: {stat:?}"));
    let rest = stat.rsplit_once(')').ok_or_else(unreadable)?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name, field 3 (state) is at index 0, so field n is at index n - 3.
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
    Ok(field(14).ok_or_else(unreadable)? + field(15).ok_or_else(unreadable)?)
}

/// The kernel's clock ticks per second (`getconf CLK_TCK`; 100 on every common Linux build).
fn ticks_per_second() -> Result<f64, BenchError> {
    let output = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .map_err(BenchError::io("run getconf CLK_TCK"))?;
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .map_err(|_| BenchError::Unexpected("getconf CLK_TCK gave no number".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let own = footprint(std::process::id()).unwrap();
        assert!(
            own.peak_rss_mib >= own.rss_mib && own.rss_mib > 0.0,
            "{own:?}"
        );
    }

    #[test]
    fn parses_a_name_with_spaces_and_parentheses() {
        let stat = "42 (tandem (x) y) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0";
        assert_eq!(cpu_ticks(stat).unwrap(), 300);
        assert!(cpu_ticks("garbage").is_err());
    }

    #[test]
    fn status_lines() {
        let status = "Name:\ttandem\nVmHWM:\t  20480 kB\nVmRSS:\t 10240 kB\n";
        assert_eq!(status_kib(status, "VmHWM").unwrap(), 20480.0);
        assert!(status_kib(status, "VmSwap").is_err());
    }
}
