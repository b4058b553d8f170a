//! How the analyzer asks the operating system for memory.
//!
//! A large snapshot is read into a few GiB of small objects that are touched once. With
//! transparent huge pages on (`always`, the default of many distributions), every first touch of a
//! 2 MiB region makes the kernel clear all of it, and when free memory is fragmented it first
//! compacts memory to find one: on the `large` benchmark that cost 2 to 5 s of system time per
//! run, and varied from run to run (docs/benchmarks.md). Ordinary 4 KiB pages cost less and cost
//! the same every time.

/// Turns transparent huge pages off for this process (Linux; elsewhere nothing). Memory already
/// mapped is affected too; child processes inherit the setting. Failure (an old kernel) is
/// harmless: the analysis is the same, only slower.
pub fn prefer_small_pages() {
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::thread::disable_transparent_huge_pages(true);
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_os = "linux")]
    #[test]
    fn huge_pages_are_off_afterwards() {
        super::prefer_small_pages();
        // The kernel reports the process flag in /proc (`THP_enabled: 0` once disabled, Linux 6.x);
        // where the line is missing, the call itself must at least have succeeded.
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        if let Some(line) = status.lines().find(|l| l.starts_with("THP_enabled:")) {
            assert!(line.ends_with('0'), "{line}");
        } else {
            assert!(rustix::thread::transparent_huge_pages_are_disabled().unwrap());
        }
    }
}
