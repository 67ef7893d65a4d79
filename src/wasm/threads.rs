//! CPU threads in the browser. The `threads` build (the package's `kindling/threads` module)
//! runs burn flex's rayon kernels on a pool of Web Workers sharing the module's memory
//! (wasm-bindgen-rayon); the other builds run on one thread and say why.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;

use super::KindlingError;

/// How many threads a session's CPU work runs on, and why only one when that is so.
#[derive(Debug, Clone)]
pub(crate) struct Threads {
    /// Threads in the pool (1 without one).
    pub count: usize,
    /// Why the session runs on one thread though more were possible or asked for.
    pub fallback_reason: Option<String>,
}

fn global(name: &str) -> JsValue {
    Reflect::get(&js_sys::global(), &name.into()).unwrap_or(JsValue::UNDEFINED)
}

/// Whether this code runs in a Web Worker (where blocking waits are allowed).
fn in_worker() -> bool {
    !global("WorkerGlobalScope").is_undefined()
}

/// `navigator.hardwareConcurrency` (1 when the browser does not say).
#[cfg(feature = "threads")]
fn hardware_concurrency() -> usize {
    Reflect::get(&global("navigator"), &"hardwareConcurrency".into())
        .ok()
        .and_then(|n| n.as_f64())
        .map_or(1, |n| n.max(1.0) as usize)
}

/// Reads `options.threads`: a whole number ≥ 1, or absent.
pub(crate) fn wanted(value: JsValue) -> Result<Option<usize>, KindlingError> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    match value.as_f64() {
        Some(n) if n >= 1.0 && n.fract() == 0.0 && n <= 256.0 => Ok(Some(n as usize)),
        _ => Err(KindlingError::new(
            "INVALID_ARGUMENT",
            format!("threads must be a whole number from 1 to 256, got {value:?}"),
        )),
    }
}

#[cfg(feature = "threads")]
mod pool {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use wasm_bindgen::prelude::*;
    use wasm_bindgen_futures::JsFuture;

    use super::{KindlingError, Threads, hardware_concurrency, in_worker};

    /// Threads of the started pool; 0 until one is started.
    static POOL: AtomicUsize = AtomicUsize::new(0);

    thread_local! {
        /// The pool's start in progress (or done) on this thread, and its size.
        static STARTING: std::cell::RefCell<Option<(js_sys::Promise, usize)>> =
            const { std::cell::RefCell::new(None) };
    }

    /// Starts the rayon pool with `threads` workers (default `navigator.hardwareConcurrency`)
    /// unless one runs already; resolves to the pool's size. Only in a Web Worker: the threads
    /// block while they wait for each other, which a page's main thread may not do.
    #[wasm_bindgen(js_name = initThreads)]
    pub async fn init_threads(threads: Option<usize>) -> Result<usize, KindlingError> {
        if !in_worker() {
            return Err(KindlingError::new(
                "THREADS_MAIN_THREAD",
                "the threaded module must run in a Web Worker (its threads block while they \
                 wait for each other, which the page's main thread may not do); import \
                 'kindling' on the main thread",
            ));
        }
        let running = POOL.load(Ordering::Acquire);
        if running > 0 {
            return Ok(running);
        }
        // A second call while the first one starts the pool waits for that same start.
        let (starting, n) = STARTING.with(|slot| {
            slot.borrow_mut()
                .get_or_insert_with(|| {
                    let n = threads.unwrap_or_else(hardware_concurrency).clamp(1, 256);
                    (wasm_bindgen_rayon::init_thread_pool(n), n)
                })
                .clone()
        });
        JsFuture::from(starting)
            .await
            .map_err(|e| KindlingError::new("THREADS_START_FAILED", format!("{e:?}")))?;
        POOL.store(n, Ordering::Release);
        Ok(n)
    }

    /// The pool the session uses, started here when it was not yet.
    pub(super) async fn prepare(wanted: Option<usize>) -> Result<Threads, KindlingError> {
        let count = init_threads(wanted).await?;
        let fallback_reason = match wanted {
            Some(asked) if asked != count => Some(format!(
                "the pool was started with {count} threads before {asked} were asked for"
            )),
            _ => None,
        };
        Ok(Threads {
            count,
            fallback_reason,
        })
    }
}

#[cfg(feature = "threads")]
pub use pool::init_threads;

/// The threads a new session runs on; in the threaded build this starts the pool if needed.
pub(crate) async fn prepare(wanted: Option<usize>) -> Result<Threads, KindlingError> {
    #[cfg(feature = "threads")]
    {
        pool::prepare(wanted).await
    }
    #[cfg(not(feature = "threads"))]
    {
        Ok(single_thread(wanted))
    }
}

/// Why a module without threads runs on one thread (none when one was asked for).
#[cfg(not(feature = "threads"))]
fn single_thread(wanted: Option<usize>) -> Threads {
    let reason = if wanted == Some(1) {
        None
    } else if global("crossOriginIsolated").as_bool() != Some(true) {
        Some(
            "the page is not cross-origin isolated (serve it with \
             Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: \
             require-corp), so wasm threads cannot share memory"
                .to_string(),
        )
    } else if !in_worker() {
        Some(
            "threads need a Web Worker (they block while they wait for each other, which the \
             page's main thread may not do)"
                .to_string(),
        )
    } else {
        Some(
            "this is the single-threaded module: import 'kindling/threads' here for threads".into(),
        )
    };
    Threads {
        count: 1,
        fallback_reason: reason,
    }
}
