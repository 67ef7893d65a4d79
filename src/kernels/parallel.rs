//! Splitting a kernel's output into chunks that run on rayon's pool where there is one (native
//! builds, and the `threads` build in the browser), one after the other elsewhere.
//!
//! A parallel loop here is flat: the calling thread and up to `threads − 1` spawned jobs take
//! items off one shared counter inside a `rayon::scope`, so no thread ever waits inside a
//! loop's item (no nested joins) — only the caller, at the scope's end. That is what lets
//! [`busy_pool`]'s pollers tell whether they may poll: every stack frame that holds a pass's
//! state (an item being computed, the pass itself) is marked ([`Busy`]), and a poller that
//! finds its thread marked returns at once instead of waiting, on top of that state, for the
//! pass to end.

#[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
mod pool {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    thread_local! {
        /// Frames of this thread that hold a pass's or a loop's state.
        static BUSY: Cell<usize> = const { Cell::new(0) };
    }

    /// Marks this thread busy with a pass's work while it lives.
    pub(super) struct Busy;

    impl Busy {
        pub(super) fn enter() -> Busy {
            BUSY.with(|b| b.set(b.get() + 1));
            Busy
        }

        fn on_this_thread() -> bool {
            BUSY.with(|b| b.get() > 0)
        }
    }

    impl Drop for Busy {
        fn drop(&mut self) {
            BUSY.with(|b| b.set(b.get() - 1));
        }
    }

    /// Threads of the current pool.
    pub(super) fn threads() -> usize {
        rayon::current_num_threads()
    }

    /// `job(i)` for every `i < items`: the calling thread and up to `threads − 1` spawned jobs
    /// take indices off one counter. `worker_state` makes each worker's scratch state.
    pub(super) fn run<S>(
        items: usize,
        worker_state: impl Fn() -> S + Sync,
        job: impl Fn(&mut S, usize) + Sync,
    ) {
        let next = AtomicUsize::new(0);
        let work = || {
            let _busy = Busy::enter();
            let mut state = worker_state();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items {
                    break;
                }
                job(&mut state, i);
            }
        };
        rayon::scope(|s| {
            for _ in 1..threads().min(items) {
                s.spawn(|_| work());
            }
            work();
        });
    }

    /// A poller: runs the pool's pending jobs as they come until `done`, and says whether it
    /// polled. On top of a pass's state (picked up while its thread waits for a scope),
    /// waiting for the pass to end would wait on itself: it returns at once instead.
    pub(super) fn poll_until(done: &AtomicBool) -> bool {
        if Busy::on_this_thread() {
            return false;
        }
        let _busy = Busy::enter();
        while !done.load(Ordering::Acquire) {
            if rayon::yield_now() != Some(rayon::Yield::Executed) {
                std::hint::spin_loop();
            }
        }
        true
    }

    /// See [`super::busy_pool`].
    pub(super) fn busy<R: Send>(f: impl FnOnce() -> R + Send) -> R {
        let done = &AtomicBool::new(false);
        rayon::scope(|s| {
            for _ in 1..threads() {
                s.spawn(move |_| {
                    poll_until(done);
                });
            }
            let out = {
                let _busy = Busy::enter();
                f()
            };
            done.store(true, Ordering::Release);
            out
        })
    }
}

/// `*mut f32` that may cross threads: [`for_each_chunk`]'s workers write disjoint chunks.
#[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
#[derive(Clone, Copy)]
struct SharedOut(*mut f32);
// SAFETY: each chunk index is taken by exactly one worker (one shared counter), so no two
// threads touch the same values; the scope ends before the borrow of `out` does.
#[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
unsafe impl Send for SharedOut {}
#[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
unsafe impl Sync for SharedOut {}

#[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
impl SharedOut {
    /// `len` values from `offset`.
    ///
    /// # Safety
    /// `offset..offset + len` must lie in the slice this was made from, and no other live
    /// slice may cover any of it.
    #[allow(clippy::mut_from_ref)]
    unsafe fn slice(&self, offset: usize, len: usize) -> &mut [f32] {
        // SAFETY: the caller's guarantee.
        unsafe { std::slice::from_raw_parts_mut(self.0.add(offset), len) }
    }
}

/// Runs `f(index, chunk)` on every `chunk_len`-long chunk of `out` (the last may be shorter),
/// in parallel when `parallel` and a pool of more than one thread exist.
pub fn for_each_chunk<F>(out: &mut [f32], chunk_len: usize, parallel: bool, f: F)
where
    F: Fn(usize, &mut [f32]) + Send + Sync,
{
    let chunk_len = chunk_len.max(1);
    #[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
    if parallel && out.len() > chunk_len && pool::threads() > 1 {
        let chunks = out.len().div_ceil(chunk_len);
        let (len, base) = (out.len(), SharedOut(out.as_mut_ptr()));
        pool::run(
            chunks,
            || (),
            |_, i| {
                let start = i * chunk_len;
                let end = (start + chunk_len).min(len);
                // SAFETY: `start..end` lies in `out`, and chunk `i` is this call's alone.
                let chunk = unsafe { base.slice(start, end - start) };
                f(i, chunk);
            },
        );
        return;
    }
    let _ = parallel;
    for (i, chunk) in out.chunks_mut(chunk_len).enumerate() {
        f(i, chunk);
    }
}

/// Runs `f(item, out)` for each `item_len`-long item of `input` and its `out_len`-long slot of
/// `out`, items in parallel when the pool has more than one thread and there are several items
/// (each worker gets its own `S::default()` scratch state).
pub fn for_each_item<S, F>(input: &[f32], item_len: usize, out: &mut [f32], out_len: usize, f: F)
where
    S: Default,
    F: Fn(&mut S, &[f32], &mut [f32]) + Send + Sync,
{
    let items = (input.len() / item_len.max(1)).min(out.len() / out_len.max(1));
    #[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
    if items > 1 && pool::threads() > 1 {
        let base = SharedOut(out.as_mut_ptr());
        pool::run(items, S::default, |scratch, i| {
            // SAFETY: slot `i` lies in `out` (`i < items`), and it is this call's alone.
            let slot = unsafe { base.slice(i * out_len, out_len) };
            f(scratch, &input[i * item_len..(i + 1) * item_len], slot);
        });
        return;
    }
    let mut scratch = S::default();
    for (item, slot) in input
        .chunks_exact(item_len)
        .zip(out.chunks_exact_mut(out_len))
        .take(items)
    {
        f(&mut scratch, item, slot);
    }
}

/// `f(0), f(1), …, f(count − 1)`, in parallel where there is a pool.
pub fn map_indices<T, F>(count: usize, f: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize) -> T + Send + Sync,
{
    #[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
    if count > 1 && pool::threads() > 1 {
        let results = std::sync::Mutex::new(Vec::with_capacity(count));
        pool::run(
            count,
            || (),
            |_, i| {
                let value = f(i);
                results
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((i, value));
            },
        );
        let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
        results.sort_unstable_by_key(|(i, _)| *i);
        return results.into_iter().map(|(_, v)| v).collect();
    }
    (0..count).map(f).collect()
}

/// Runs `f` — a whole forward pass — on the pool while its other threads poll for the pass's
/// parallel work instead of going to sleep between its loops. A sleeping pool thread is woken
/// through `Atomics.notify` in the browser, tens of microseconds per loop on this kind of
/// machine, which is the whole loop's worth of work for a small layer; polling threads pick an
/// item up at once. They poll only while `f` runs (then they sleep as before). Without a pool
/// of several threads, `f` just runs.
pub fn busy_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    #[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
    if pool::threads() > 1 {
        return pool::busy(f);
    }
    f()
}

/// Threads the pool has (1 without one).
pub fn threads() -> usize {
    #[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
    return pool::threads();
    #[cfg(not(any(feature = "threads", not(target_arch = "wasm32"))))]
    1
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// Passes of parallel loops inside `busy_pool` on a pool of `threads`, each checked.
    fn passes(threads: usize, count: usize) {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            for pass in 0..count {
                let total = busy_pool(|| {
                    let mut out = vec![0.0f32; 4096];
                    for layer in 0..6 {
                        for_each_chunk(&mut out, 64, true, |i, chunk| {
                            chunk.iter_mut().for_each(|v| *v += (i + layer) as f32)
                        });
                        let mut items = vec![0.0f32; 32];
                        for_each_item(&out[..32 * 16], 16, &mut items, 1, |_: &mut (), x, y| {
                            y[0] = x.iter().sum()
                        });
                        let parts = map_indices(threads * 2, |g| g * layer);
                        assert_eq!(
                            parts.iter().sum::<usize>(),
                            layer * threads * (threads * 2 - 1)
                        );
                    }
                    out.iter().map(|&v| v as f64).sum::<f64>()
                });
                // Chunk i of 64 values gains i + layer in each of the 6 layers.
                let expected: f64 = (0..64).map(|i| 64.0 * (6 * i + 15) as f64).sum();
                assert_eq!(total, expected, "pass {pass}");
            }
        });
    }

    /// `f()` on a new thread, or `None` when it has not returned within `secs` seconds.
    fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (answer, answered) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = answer.send(f());
        });
        answered.recv_timeout(Duration::from_secs(secs)).ok()
    }

    #[test]
    fn a_poller_on_a_thread_that_holds_a_passs_state_returns_at_once() {
        use std::sync::atomic::AtomicBool;
        let on_an_item = within(10, || {
            let _item = pool::Busy::enter(); // this thread is computing an item of a pass
            pool::poll_until(&AtomicBool::new(false))
        });
        assert_eq!(
            on_an_item,
            Some(false),
            "it must not wait for a pass that cannot end before it returns"
        );
        let idle = within(10, || pool::poll_until(&AtomicBool::new(true)));
        assert_eq!(idle, Some(true), "an idle thread polls");
    }

    #[test]
    fn busy_pool_passes_compute_the_same_on_pools_of_2_to_8_threads_and_finish() {
        for threads in [2, 3, 4, 8] {
            assert!(
                within(60, move || passes(threads, 2000)).is_some(),
                "{threads} threads: 2,000 passes did not finish in 60 s (a poller waiting on its own pass)"
            );
        }
    }
}
