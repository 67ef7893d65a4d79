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

/// Threads the pool has (1 without one).
pub fn threads() -> usize {
    #[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
    return rayon::current_num_threads();
    #[cfg(not(any(feature = "threads", not(target_arch = "wasm32"))))]
    1
}
