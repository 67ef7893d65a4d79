//! Security headers: every API answer is inert data (no sniffing, no scripts, no framing), and
//! the app's pages run only their own scripts and wasm and are cross-origin isolated.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

/// The API's content security policy: nothing an answer contains may run or load anything,
/// even when a browser is pointed at it directly (an item's content, a model file).
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

/// The app's content security policy: its own scripts and wasm (`wasm-unsafe-eval` lets
/// WebAssembly compile, nothing else), its own workers, images from its own origin, `blob:`
/// URLs it makes from item bytes, and requests to its own server only. The app's stylesheet is
/// inline in `index.html`, hence `'unsafe-inline'` for styles (never for scripts).
pub const APP_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     worker-src 'self' blob:; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

fn common(headers: &mut HeaderMap) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

/// Adds the API's security headers to an answer.
pub async fn api(mut response: Response) -> Response {
    let headers = response.headers_mut();
    common(headers);
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(API_CSP),
    );
    response
}

/// Adds the app's security headers, and makes its pages cross-origin isolated (COOP/COEP) so
/// its inference worker may share wasm memory between threads (the `kindling/threads`
/// module). Everything the app loads is same-origin, which `require-corp` allows.
pub async fn app(mut response: Response) -> Response {
    use axum::http::header::HeaderName;
    let headers = response.headers_mut();
    common(headers);
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(APP_CSP),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-embedder-policy"),
        HeaderValue::from_static("require-corp"),
    );
    response
}
