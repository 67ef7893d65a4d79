//! Picking the device a session runs on: `auto | webgpu | cpu` in, what actually runs out.
//! Nothing falls back silently: a session always reports its backend and, after a fallback,
//! why.

use std::fmt;
use std::str::FromStr;

use burn::tensor::{Device, Tensor};
use serde::Serialize;
use thiserror::Error;

/// What the caller asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    /// WebGPU when an adapter is available, the CPU otherwise.
    #[default]
    Auto,
    /// WebGPU or an error.
    Webgpu,
    /// The CPU (SIMD128 in a wasm build with `+simd128`).
    Cpu,
}

/// The valid spellings of [`DeviceChoice`], for error messages.
pub const DEVICE_CHOICES: &str = "'auto', 'webgpu', 'cpu'";

impl FromStr for DeviceChoice {
    type Err = DeviceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(DeviceChoice::Auto),
            "webgpu" | "gpu" | "wgpu" => Ok(DeviceChoice::Webgpu),
            "cpu" => Ok(DeviceChoice::Cpu),
            other => Err(DeviceError::UnknownChoice(other.to_string())),
        }
    }
}

/// The backend a session actually runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Backend {
    /// burn's wgpu backend on a WebGPU (or native GPU) adapter.
    #[serde(rename = "webgpu")]
    Webgpu,
    /// burn's flex backend with WebAssembly SIMD128.
    #[serde(rename = "cpu-simd")]
    CpuSimd,
    /// burn's flex backend without wasm SIMD (native builds use the host's vector units).
    #[serde(rename = "cpu")]
    Cpu,
}

impl Backend {
    /// `"webgpu"`, `"cpu-simd"` or `"cpu"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Webgpu => "webgpu",
            Backend::CpuSimd => "cpu-simd",
            Backend::Cpu => "cpu",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why no device could be set up.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DeviceError {
    /// The requested device name is not one of [`DEVICE_CHOICES`].
    #[error("unknown device '{0}'; use one of {DEVICE_CHOICES}")]
    UnknownChoice(String),
    /// WebGPU was required but this build or browser cannot provide it.
    #[error("WebGPU is not available: {0}. Use device 'cpu' or 'auto' to run on the CPU")]
    WebgpuUnavailable(String),
    /// This build has no CPU backend (built without the `cpu` feature).
    #[error("this build of kindling has no CPU backend (the `cpu` feature is off)")]
    CpuUnavailable,
}

impl DeviceError {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            DeviceError::UnknownChoice(_) => "DEVICE_UNKNOWN",
            DeviceError::WebgpuUnavailable(_) => "WEBGPU_UNAVAILABLE",
            DeviceError::CpuUnavailable => "CPU_UNAVAILABLE",
        }
    }
}

/// A ready device and what it is.
#[derive(Debug, Clone)]
pub struct SelectedDevice {
    /// The burn device tensors are created on.
    pub device: Device,
    /// The backend behind it.
    pub backend: Backend,
    /// Why `auto` did not get WebGPU, when it did not.
    pub fallback_reason: Option<String>,
}

/// Sets up the device for `choice`. `auto` tries WebGPU first and falls back to the CPU,
/// recording why in [`SelectedDevice::fallback_reason`].
pub async fn select_device(choice: DeviceChoice) -> Result<SelectedDevice, DeviceError> {
    match choice {
        DeviceChoice::Cpu => cpu_device(None),
        DeviceChoice::Webgpu => webgpu_device().await,
        DeviceChoice::Auto => match webgpu_device().await {
            Ok(d) => Ok(d),
            Err(e) => cpu_device(Some(e.to_string())),
        },
    }
}

/// The CPU device of this build.
pub fn cpu_device(fallback_reason: Option<String>) -> Result<SelectedDevice, DeviceError> {
    #[cfg(feature = "cpu")]
    {
        let backend = if cfg!(all(target_arch = "wasm32", target_feature = "simd128")) {
            Backend::CpuSimd
        } else {
            Backend::Cpu
        };
        Ok(SelectedDevice {
            device: Device::flex(),
            backend,
            fallback_reason,
        })
    }
    #[cfg(not(feature = "cpu"))]
    {
        let _ = fallback_reason;
        Err(DeviceError::CpuUnavailable)
    }
}

#[cfg(feature = "webgpu")]
mod gpu {
    use std::cell::RefCell;

    use super::{Backend, DeviceError, SelectedDevice};
    use burn::tensor::Device;

    thread_local! {
        /// wgpu initializes once per runtime: later sessions reuse the device (or the failure).
        static GPU: RefCell<Option<Result<Device, String>>> = const { RefCell::new(None) };
    }

    pub(super) async fn init() -> Result<SelectedDevice, DeviceError> {
        if let Some(done) = GPU.with(|g| g.borrow().clone()) {
            return wrap(done);
        }
        let result = probe().await;
        GPU.with(|g| *g.borrow_mut() = Some(result.clone()));
        wrap(result)
    }

    fn wrap(result: Result<Device, String>) -> Result<SelectedDevice, DeviceError> {
        result
            .map(|device| SelectedDevice {
                device,
                backend: Backend::Webgpu,
                fallback_reason: None,
            })
            .map_err(DeviceError::WebgpuUnavailable)
    }

    async fn probe() -> Result<Device, String> {
        #[cfg(target_arch = "wasm32")]
        crate::wasm::gpu_adapter_present().await?;
        Device::wgpu_options()
            .init_async()
            .await
            .map_err(|e| e.to_string())
    }
}

#[cfg(feature = "webgpu")]
async fn webgpu_device() -> Result<SelectedDevice, DeviceError> {
    gpu::init().await
}

/// Without the `webgpu` feature: natively, says so; in the browser (the package's CPU module),
/// says whether the browser has no adapter or the page imported the CPU module, and how to get
/// the WebGPU one.
#[cfg(not(feature = "webgpu"))]
async fn webgpu_device() -> Result<SelectedDevice, DeviceError> {
    #[cfg(target_arch = "wasm32")]
    {
        crate::wasm::gpu_adapter_present()
            .await
            .map_err(DeviceError::WebgpuUnavailable)?;
        Err(DeviceError::WebgpuUnavailable(
            "this is the CPU module of kindling; import 'kindling/webgpu' to run on WebGPU".into(),
        ))
    }
    #[cfg(not(target_arch = "wasm32"))]
    Err(DeviceError::WebgpuUnavailable(
        "this build of kindling was compiled without the `webgpu` feature".into(),
    ))
}

/// A tensor's values read back from its device, asynchronously (a synchronous read panics on
/// WebGPU); the error is the device's, as text, for the caller to wrap.
pub(crate) async fn read_f32<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, String> {
    t.into_data_async()
        .await
        .map_err(|e| format!("{e:?}"))?
        .try_to_vec::<f32>()
        .map_err(|e| format!("{e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_choices_and_lists_valid_ones_on_error() {
        assert_eq!("cpu".parse::<DeviceChoice>(), Ok(DeviceChoice::Cpu));
        assert_eq!("auto".parse::<DeviceChoice>(), Ok(DeviceChoice::Auto));
        assert_eq!("webgpu".parse::<DeviceChoice>(), Ok(DeviceChoice::Webgpu));
        let err = "tpu".parse::<DeviceChoice>().unwrap_err();
        assert_eq!(err.code(), "DEVICE_UNKNOWN");
        assert!(err.to_string().contains("'auto', 'webgpu', 'cpu'"));
    }
}
