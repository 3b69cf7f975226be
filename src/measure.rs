//! Readings of the process's own CPU time and memory, for `kbsite build -v` (per stage and
//! within the render pass) and the folder threads.

use std::time::Duration;

/// CPU time of this process, all threads: user and kernel (Linux; zeros elsewhere).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CpuTime {
    pub user: Duration,
    pub system: Duration,
}

impl CpuTime {
    pub fn now() -> CpuTime {
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        CpuTime::parse(&stat).unwrap_or_default()
    }

    /// From `/proc/<pid>/stat`: utime and stime are fields 14 and 15, in USER_HZ ticks (100 per
    /// second on Linux). The command name (field 2) may hold spaces, so fields count after `)`.
    fn parse(stat: &str) -> Option<CpuTime> {
        let mut after = stat.rsplit_once(')')?.1.split_whitespace();
        let ticks = |v: &str| v.parse::<u64>().ok().map(|t| Duration::from_millis(t * 10));
        let user = ticks(after.nth(11)?)?;
        let system = ticks(after.next()?)?;
        Some(CpuTime { user, system })
    }

    /// Cores kept busy on average over `wall`.
    pub fn cores(&self, wall: Duration) -> f64 {
        (self.user + self.system).as_secs_f64() / wall.as_secs_f64().max(1e-9)
    }
}

/// Resident and peak resident memory of this process in KiB (Linux; zeros elsewhere).
pub fn resident_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The CPU time (user and system) the calling thread has used so far. A system call: not for
/// every file.
pub fn thread_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(u64::try_from(t.tv_sec).unwrap_or(0), u32::try_from(t.tv_nsec).unwrap_or(0))
}

/// A duration in nanoseconds, for adding up in an atomic counter (saturating at `u64::MAX`).
pub fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_reads_utime_and_stime_after_the_command_name() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
        let stat = "4242 (kb site) x) R 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 56 0 0 20 0 3 0";
        let cpu = CpuTime::parse(stat).unwrap();
        assert_eq!(cpu.user, Duration::from_millis(12_340));
        assert_eq!(cpu.system, Duration::from_millis(560));
        assert!((cpu.cores(Duration::from_millis(6_450)) - 2.0).abs() < 1e-9);
        assert_eq!(CpuTime::parse("garbage"), None);
        // The live process's own line parses (on Linux).
        if let Ok(own) = std::fs::read_to_string("/proc/self/stat") {
            assert!(CpuTime::parse(&own).is_some(), "{own}");
        }
    }
}
