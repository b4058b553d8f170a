//! Phase timings, as `tracing` events of [`crate::environment::TIMINGS_TARGET`] (on stderr when
//! [`crate::environment::TIMINGS`] is set): a profiling aid, never in reports.

use std::cell::Cell;
use std::time::Instant;

/// Times the phases of one piece of work: each [`Timer::lap`] prints the wall and CPU time since the
/// last one, and the process' memory.
pub struct Timer {
    on: bool,
    at: Cell<Instant>,
    cpu: Cell<f64>,
}

impl Timer {
    /// Starts timing (a no-op unless timings are asked for).
    pub fn start() -> Timer {
        Timer {
            on: crate::environment::timings_enabled(),
            at: Cell::new(Instant::now()),
            cpu: Cell::new(cpu_seconds()),
        }
    }

    /// Prints the time since the last lap.
    pub fn lap(&self, what: &str) {
        if self.on {
            let now = Instant::now();
            let cpu = cpu_seconds();
            tracing::info!(
                target: crate::environment::TIMINGS_TARGET,
                "timing: {what}: {:.3}s (cpu {:.3}s, rss {})",
                (now - self.at.get()).as_secs_f64(),
                cpu - self.cpu.get(),
                resident_memory().unwrap_or_else(|| "?".into())
            );
            self.at.set(now);
            self.cpu.set(cpu);
        }
    }
}

/// The CPU time the process has used so far, all threads (`CLOCK_PROCESS_CPUTIME_ID`).
pub fn cpu_seconds() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
}

/// The process' resident and peak resident memory, from `/proc/self/status` (Linux only: no
/// portable call reports the current resident size, and rustix has no `getrusage`).
fn resident_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some(format!(
        "{} MiB, peak {} MiB",
        field("VmRSS:")? / 1024,
        field("VmHWM:")? / 1024
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn cpu_time_grows_with_work() {
        let before = super::cpu_seconds();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(std::hint::black_box(i));
        }
        std::hint::black_box(x);
        assert!(super::cpu_seconds() > before);
    }
}
