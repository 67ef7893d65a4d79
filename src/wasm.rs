//! The JavaScript API (wasm32 only): `Session.load`, `session.predict`, `session.dispose`,
//! with failures as `Error`s that carry a stable `code`.

mod backbone_cache;
mod digest;
mod error;
mod fetch;
mod file_cache;
mod js_session;
mod label_errors;
mod local_head_options;
mod queue;
mod sync_client;
mod threads;
mod types;

pub use error::KindlingError;
pub use js_session::Session;
pub use label_errors::likely_errors_js;
pub use queue::rank_queue;
pub use sync_client::SyncClient;
#[cfg(feature = "threads")]
pub use threads::init_threads;

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

unsafe extern "C" {
    /// Runs the static constructors of the module (synthesized by wasm-ld).
    fn __wasm_call_ctors();
}

/// Runs the module's static constructors once (dependencies such as `inventory`, via cubecl's
/// IR, register themselves in them).
///
/// wasm-ld wraps *every* export in a call to `__wasm_call_ctors` unless the module calls it
/// explicitly somewhere. With the wrapper, each call from JavaScript re-ran all constructors
/// (≈ 0.15 ms per call, even for a getter, and for every poll of a future). This explicit,
/// guarded call turns the wrapping off.
pub(crate) fn init_once() {
    static INIT: std::sync::Once = std::sync::Once::new();
    // SAFETY: `__wasm_call_ctors` only runs the constructors wasm-ld collected; the `Once`
    // guarantees it runs a single time, before any code that needs them (start, Session.load).
    INIT.call_once(|| unsafe { __wasm_call_ctors() });
}

/// Runs the static constructors and installs a panic hook that logs Rust panics to the console.
#[wasm_bindgen(start)]
pub fn start() {
    init_once();
    console_error_panic_hook::set_once();
}

/// The backends this wasm build was compiled with, e.g. `["cpu-simd", "webgpu"]`.
#[wasm_bindgen(js_name = compiledBackends, unchecked_return_type = "string[]")]
pub fn compiled_backends() -> js_sys::Array {
    let list = js_sys::Array::new();
    if cfg!(feature = "cpu") {
        let cpu = if cfg!(target_feature = "simd128") {
            "cpu-simd"
        } else {
            "cpu"
        };
        list.push(&cpu.into());
    }
    if cfg!(feature = "webgpu") {
        list.push(&"webgpu".into());
    }
    list
}

/// Resolves when `navigator.gpu.requestAdapter()` yields an adapter, and says why not otherwise.
pub(crate) async fn gpu_adapter_present() -> Result<(), String> {
    let global = js_sys::global();
    let navigator = Reflect::get(&global, &"navigator".into()).unwrap_or(JsValue::UNDEFINED);
    let gpu = Reflect::get(&navigator, &"gpu".into()).unwrap_or(JsValue::UNDEFINED);
    if gpu.is_undefined() || gpu.is_null() {
        return Err(
            "navigator.gpu is missing (a browser without WebGPU, or a page that is not a \
                    secure context)"
                .into(),
        );
    }
    let request = Reflect::get(&gpu, &"requestAdapter".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or("navigator.gpu.requestAdapter is not a function")?;
    let promise = request
        .call0(&gpu)
        .map_err(|e| format!("requestAdapter() threw: {e:?}"))?;
    let adapter = JsFuture::from(js_sys::Promise::from(promise))
        .await
        .map_err(|e| format!("requestAdapter() failed: {e:?}"))?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err("navigator.gpu.requestAdapter() returned no adapter".into());
    }
    Ok(())
}
