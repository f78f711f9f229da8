use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;

/// A one-route upstream answering `body` to every request.
async fn upstream(body: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                let _ = stream.read(&mut buffer).await;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    port
}

async fn get(addr: SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /x HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

async fn proxy(hold: Duration) -> ProxyHandle {
    start(TcpListener::bind("127.0.0.1:0").await.unwrap(), hold, None).unwrap()
}

#[tokio::test]
async fn requests_during_a_restart_wait_for_the_new_upstream() {
    let proxy = proxy(Duration::from_secs(10)).await;
    let (old, new) = (upstream("old").await, upstream("new").await);
    proxy.ready(old);
    assert!(get(proxy.addr).await.ends_with("old"));

    proxy.restarting(Duration::from_secs(1)).await;
    let waiting = tokio::spawn(get(proxy.addr));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "a request during a restart is held");
    proxy.ready(new);
    assert!(waiting.await.unwrap().ends_with("new"));
}

#[tokio::test]
async fn a_request_held_too_long_gets_a_clear_503() {
    let proxy = proxy(Duration::from_millis(100)).await;
    let response = get(proxy.addr).await;
    assert!(response.starts_with("HTTP/1.1 503"), "{response}");
    assert!(response.contains("did not come up in time"), "{response}");
}

#[test]
fn cron_expressions_are_decoded_from_the_query() {
    assert_eq!(percent_decode("%2A%2F5+*+*+*+*"), "*/5 * * * *");
    assert_eq!(percent_decode("*/5%20*%20*%20*%20*"), "*/5 * * * *");
    assert_eq!(percent_decode("%zz"), "%zz");
}
