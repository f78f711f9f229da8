//! The Cloudflare API stand-in as a process, for `cargo xtask bench`: it prints one line with its
//! base URL, token and account id, then one line per request it answers
//! (`request METHOD PATH BODY_BYTES HEADER_BYTES STATUS-less`), and stops when stdin closes.

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use edge_tests::cloudflare::{FakeCloudflare, Options};

fn main() {
    let fake = FakeCloudflare::start(Options::default());
    println!(
        "ready {} {} {}",
        fake.base_url(),
        fake.token(),
        fake.account_id()
    );
    let _ = std::io::stdout().flush();

    let stdin_closed = Arc::new(AtomicBool::new(false));
    let closed = stdin_closed.clone();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            if line.is_err() {
                break;
            }
        }
        closed.store(true, Ordering::SeqCst);
    });

    let mut printed = 0;
    loop {
        let done = stdin_closed.load(Ordering::SeqCst);
        let log = fake.requests();
        let mut out = std::io::stdout().lock();
        for request in &log[printed.min(log.len())..] {
            let header_bytes: usize = request
                .headers
                .iter()
                .map(|(name, value)| name.len() + value.len() + 4)
                .sum();
            let path = match &request.query {
                Some(query) => format!("{}?{query}", request.path),
                None => request.path.clone(),
            };
            let _ = writeln!(
                out,
                "request {} {} {} {}",
                request.method, path, request.body_bytes, header_bytes
            );
        }
        let _ = out.flush();
        printed = log.len();
        if done {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
