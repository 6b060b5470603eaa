//! `--parallel COUNT` of the `--all` forms: the apps are done COUNT at a time (`-1`: as many
//! as the machine has CPUs), each one tried even when another fails.

use anyhow::{bail, Result};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The number of workers `--parallel VALUE` asks for: a positive count, or `-1` for the
/// number of CPUs; 1 when the flag is absent.
pub fn count(value: Option<&str>) -> Result<usize> {
    let Some(v) = value else {
        return Ok(1);
    };
    match v.trim().parse::<i64>() {
        Ok(-1) => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
        Ok(n) if (1..=1024).contains(&n) => Ok(n as usize),
        _ => bail!("invalid --parallel value {v:?}: use a number of apps at a time (1 to 1024), or -1 for one per CPU"),
    }
}

/// Runs `f` on every item, `workers` at a time. Every item is tried; the first error in the
/// items' order is returned once all are done.
pub fn for_each<T: Sync>(
    items: &[T],
    workers: usize,
    f: impl Fn(&T) -> Result<()> + Sync,
) -> Result<()> {
    let next = AtomicUsize::new(0);
    let errors: Mutex<Vec<(usize, anyhow::Error)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..workers.clamp(1, items.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(item) = items.get(i) else {
                    break;
                };
                if let Err(e) = f(item) {
                    errors
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((i, e));
                }
            });
        }
    });
    let mut errors = errors.into_inner().unwrap_or_else(|p| p.into_inner());
    errors.sort_by_key(|(i, _)| *i);
    match errors.into_iter().next() {
        Some((_, e)) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn counts() {
        assert_eq!(count(None).unwrap(), 1);
        assert_eq!(count(Some("3")).unwrap(), 3);
        assert!(count(Some("-1")).unwrap() >= 1);
        for bad in ["0", "-2", "x", "", "1.5", "99999"] {
            assert!(count(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn runs_count_at_a_time_and_reports_the_first_error() {
        let items: Vec<u32> = (0..4).collect();
        let t = Instant::now();
        for_each(&items, 2, |_| {
            std::thread::sleep(Duration::from_millis(200));
            Ok(())
        })
        .unwrap();
        let took = t.elapsed();
        assert!(
            took >= Duration::from_millis(400) && took < Duration::from_millis(750),
            "{took:?}"
        );
        let done = AtomicUsize::new(0);
        let e = for_each(&items, 3, |i| {
            done.fetch_add(1, Ordering::SeqCst);
            if *i >= 2 {
                bail!("item {i}");
            }
            Ok(())
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "item 2");
        assert_eq!(done.load(Ordering::SeqCst), 4);
    }
}
