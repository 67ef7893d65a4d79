//! Rust errors as JavaScript `Error` objects with `name = "KindlingError"` and a stable `code`.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;

use crate::bundle::BundleError;
use crate::device::DeviceError;
use crate::preprocess::PreprocessError;
use crate::session::SessionError;

/// An error to hand to JavaScript: a code and a message a person can act on.
#[derive(Debug, Clone)]
pub struct KindlingError {
    /// Stable machine-readable code, e.g. `BUNDLE_HASH_MISMATCH`.
    pub code: &'static str,
    /// What went wrong and what to do.
    pub message: String,
}

impl KindlingError {
    /// An error with `code` and `message`.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl From<KindlingError> for JsValue {
    fn from(e: KindlingError) -> JsValue {
        let err = js_sys::Error::new(&e.message);
        err.set_name("KindlingError");
        // Setting a property on a fresh Error object cannot fail.
        let _ = Reflect::set(&err, &"code".into(), &e.code.into());
        err.into()
    }
}

macro_rules! from_coded {
    ($($t:ty),*) => {$(
        impl From<$t> for KindlingError {
            fn from(e: $t) -> Self {
                KindlingError::new(e.code(), e.to_string())
            }
        }
    )*};
}
from_coded!(BundleError, DeviceError, SessionError, PreprocessError);
