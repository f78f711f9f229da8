//! The worker driven from `cargo test` (or `cargo edge test`) with the edge-test crate: built
//! and run in workerd the way `cargo edge dev` runs it, on a port and a state folder of its own.
#![cfg(not(target_arch = "wasm32"))]

#[tokio::test]
async fn greets() -> edge_test::Result<()> {
    let worker = edge_test::Worker::build(".").start().await?;
    let res = worker.fetch("/").send().await?;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "Hello from {{name}}!");
    Ok(())
}
