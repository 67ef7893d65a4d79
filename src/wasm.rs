//! The JavaScript API (wasm32 only): `Session.load`, `session.predict`, `session.dispose`,
//! with failures as `Error`s that carry a stable `code`.

mod error;
mod fetch;
mod js_session;
mod sync_client;
mod types;

pub use error::KindlingError;
pub use js_session::Session;
pub use sync_client::SyncClient;

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// Installs a panic hook that logs Rust panics to the console with their message.
#[wasm_bindgen(start)]
pub fn start() {
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
