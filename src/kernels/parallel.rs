//! Splitting a kernel's output into chunks that run on rayon's pool where there is one (native
//! builds, and the `threads` build in the browser), one after the other elsewhere.

/// Runs `f(index, chunk)` on every `chunk_len`-long chunk of `out` (the last may be shorter),
/// in parallel when `parallel` and a pool of more than one thread exist.
pub fn for_each_chunk<F>(out: &mut [f32], chunk_len: usize, parallel: bool, f: F)
where
    F: Fn(usize, &mut [f32]) + Send + Sync,
{
    #[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
    if parallel && rayon::current_num_threads() > 1 {
        use rayon::prelude::*;
        out.par_chunks_mut(chunk_len)
            .enumerate()
            .for_each(|(i, chunk)| f(i, chunk));
        return;
    }
    let _ = parallel;
    for (i, chunk) in out.chunks_mut(chunk_len).enumerate() {
        f(i, chunk);
    }
}

/// Runs `f(item, out)` for each `item_len`-long item of `input` and its `out_len`-long slot of
/// `out`, items in parallel when the pool has more than one thread and there are several items
/// (each call gets its own `S::default()` scratch state).
pub fn for_each_item<S, F>(input: &[f32], item_len: usize, out: &mut [f32], out_len: usize, f: F)
where
    S: Default,
    F: Fn(&mut S, &[f32], &mut [f32]) + Send + Sync,
{
    let items = input.len() / item_len.max(1);
    #[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
    if items > 1 && rayon::current_num_threads() > 1 {
        use rayon::prelude::*;
        input
            .par_chunks_exact(item_len)
            .zip(out.par_chunks_exact_mut(out_len))
            .for_each_init(S::default, |scratch, (item, slot)| f(scratch, item, slot));
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
    {
        use rayon::prelude::*;
        (0..count).into_par_iter().map(f).collect()
    }
    #[cfg(not(any(feature = "threads", not(target_arch = "wasm32"))))]
    (0..count).map(f).collect()
}

/// Runs `f` — a whole forward pass — on the pool while its other threads poll for the pass's
/// parallel work instead of going to sleep between its loops. A sleeping pool thread is woken
/// through `Atomics.notify` in the browser, tens of microseconds per loop on this kind of
/// machine, which is the whole loop's worth of work for a small layer; polling threads pick a
/// split up at once. They poll only while `f` runs (then they sleep as before). Without a pool
/// of several threads, `f` just runs.
pub fn busy_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    #[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
    if rayon::current_num_threads() > 1 {
        use std::sync::atomic::{AtomicBool, Ordering};
        let done = &AtomicBool::new(false);
        return rayon::scope(|s| {
            let owner = rayon::current_thread_index();
            for _ in 1..rayon::current_num_threads() {
                s.spawn(move |_| {
                    // The thread that runs `f` may pick a poller up while it waits inside `f`
                    // (a join whose other half was stolen): that one must return at once, or
                    // it would wait for the end of the pass it is part of.
                    if rayon::current_thread_index() == owner {
                        return;
                    }
                    while !done.load(Ordering::Acquire) {
                        if rayon::yield_now() != Some(rayon::Yield::Executed) {
                            std::hint::spin_loop();
                        }
                    }
                });
            }
            let out = f();
            done.store(true, Ordering::Release);
            out
        });
    }
    f()
}

/// Threads the pool has (1 without one).
pub fn threads() -> usize {
    #[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
    return rayon::current_num_threads();
    #[cfg(not(any(feature = "threads", not(target_arch = "wasm32"))))]
    1
}
