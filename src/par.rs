//! Data parallelism over the machine's cores, with deterministic results.
//!
//! Work is split into contiguous chunks, one per core ([`chunks`]), or into
//! numbered batches that free workers take in turn ([`batches`]); either
//! way the results come back in order, so the output never depends on
//! scheduling.

/// Below this many items the work runs on the calling thread.
const MIN_PARALLEL: usize = 256;

std::thread_local! {
    static OVERRIDE: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// The number of worker threads to use: one per core, unless overridden by
/// [`with_workers`] on this thread.
#[must_use]
pub fn workers() -> usize {
    OVERRIDE
        .with(std::cell::Cell::get)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get))
        .max(1)
}

/// Runs `f` with a fixed number of workers (for tests showing that results
/// do not depend on it).
pub fn with_workers<R>(n: usize, f: impl FnOnce() -> R) -> R {
    let previous = OVERRIDE.with(|o| o.replace(Some(n)));
    let result = f();
    OVERRIDE.with(|o| o.set(previous));
    result
}

/// Applies `f` to contiguous chunks of `items` on separate threads and
/// returns the results in chunk order. `f` receives the chunk and the index
/// of its first item.
pub fn chunks<T: Sync, R: Send>(items: &[T], f: impl Fn(&[T], usize) -> R + Sync) -> Vec<R> {
    let n = workers().min(items.len().div_ceil(MIN_PARALLEL)).max(1);
    if n == 1 {
        return vec![f(items, 0)];
    }
    let size = items.len().div_ceil(n);
    std::thread::scope(|scope| {
        let f = &f;
        let handles: Vec<_> = items
            .chunks(size)
            .enumerate()
            .map(|(i, chunk)| scope.spawn(move || f(chunk, i * size)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Applies `f` to consecutive batches of `size` items, each taken by
/// whichever worker is free first, and returns the results in batch order.
/// For work whose items differ in cost, or that waits on the kernel (where
/// fixed chunks leave one core idle while the other finishes). Each worker
/// makes its own `state` once.
pub fn batches<T: Sync, S, R: Send>(
    items: &[T],
    size: usize,
    state: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, &[T]) -> R + Sync,
) -> Vec<R> {
    let size = size.max(1);
    let n = workers().min(items.len().div_ceil(MIN_PARALLEL)).max(1);
    if n == 1 {
        let mut s = state();
        return items.chunks(size).map(|batch| f(&mut s, batch)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut s = state();
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let start = i.saturating_mul(size);
            if start >= items.len() {
                break;
            }
            let batch = &items[start..items.len().min(start + size)];
            done.push((i, f(&mut s, batch)));
        }
        done
    };
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n).map(|_| scope.spawn(work)).collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn batches_in_order_whatever_the_workers() {
        let items: Vec<usize> = (0..5_000).collect();
        for workers in [1, 2, 3, 8] {
            let sums = super::with_workers(workers, || {
                super::batches(
                    &items,
                    7,
                    || 0usize,
                    |calls, b| {
                        *calls += 1;
                        (b[0], b.iter().sum::<usize>())
                    },
                )
            });
            assert_eq!(sums.len(), 5_000usize.div_ceil(7));
            let firsts: Vec<usize> = sums.iter().map(|(f, _)| *f).collect();
            let expected: Vec<usize> = (0..5_000).step_by(7).collect();
            assert_eq!(firsts, expected, "{workers} workers");
            assert_eq!(
                sums.iter().map(|(_, s)| s).sum::<usize>(),
                items.iter().sum::<usize>()
            );
        }
    }

    #[test]
    fn results_in_order() {
        let items: Vec<usize> = (0..10_000).collect();
        let sums = super::chunks(&items, |c, start| (start, c.iter().sum::<usize>()));
        let total: usize = sums.iter().map(|(_, s)| s).sum();
        assert_eq!(total, items.iter().sum::<usize>());
        let starts: Vec<usize> = sums.iter().map(|(s, _)| *s).collect();
        let mut sorted = starts.clone();
        sorted.sort_unstable();
        assert_eq!(starts, sorted);
    }
}
