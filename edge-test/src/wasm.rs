//! Inside workerd (`cargo edge test --wasm`): the `Env` of the worker under test.

use wasm_bindgen::{JsCast, JsValue};

/// The worker's `Env`, with every binding of its `[package.metadata.edge]` served locally on
/// fresh state, for a `#[wasm_bindgen_test]` run by `cargo edge test --wasm`.
///
/// ```ignore
/// #[wasm_bindgen_test::wasm_bindgen_test]
/// async fn counts_in_kv() {
///     let kv = edge_test::env().kv("CACHE").unwrap();
///     kv.put("k", "v").unwrap().execute().await.unwrap();
///     assert_eq!(kv.get("k").text().await.unwrap().as_deref(), Some("v"));
/// }
/// ```
///
/// # Panics
/// Outside a test run by `cargo edge test --wasm` (no harness has provided an `Env`).
pub fn env() -> worker::Env {
    let key = JsValue::from_str("__edge_test_env");
    let value = js_sys::Reflect::get(&js_sys::global(), &key).unwrap_or(JsValue::UNDEFINED);
    if value.is_undefined() {
        panic!("edge_test::env() has no Env: run this test with `cargo edge test --wasm`");
    }
    value.unchecked_into()
}
