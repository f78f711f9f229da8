//! `cargo xtask demo`: the hints are printed once the worker answers, not before it is built.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Child;
use std::time::{Duration, Instant};

/// Ask the dev server for `/` until it answers (its proxy holds requests until workerd is up).
/// `false` when `cargo edge dev` exits first (its messages say why).
pub fn wait_until_serving(port: u16, child: &mut Child) -> bool {
    let started = Instant::now();
    let mut said = Duration::ZERO;
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if answers(port) {
            return true;
        }
        if started.elapsed() >= said + Duration::from_secs(30) {
            said = started.elapsed();
            eprintln!("xtask: waiting for the worker to answer on port {port} ({:.0?} so far; cargo edge dev is building it)", said);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// One `GET /` that gets any HTTP answer within a second.
fn answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let request = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut first = [0u8; 5];
    stream.read_exact(&mut first).is_ok() && &first == b"HTTP/"
}

pub fn print_hints(port: u16, elapsed: Duration) {
    let base = format!("http://127.0.0.1:{port}");
    eprintln!("\nxtask: fixtures/full-stack answers on {base} ({elapsed:.1?} after `cargo xtask demo` started).");
    eprintln!("It has KV, D1, R2, a queue, a cron and a Durable Object; state persists in fixtures/full-stack/.edge/state. Ctrl-C stops it. Try:");
    eprintln!("  curl -X PUT -d 'hello' {base}/kv/greeting && curl {base}/kv/greeting");
    eprintln!("  curl -X POST -d 'my first note' {base}/notes && curl {base}/notes");
    eprintln!("  curl -X POST -d 'cat.jpg' {base}/jobs && sleep 1 && curl {base}/processed\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_answers_only_once_something_speaks_http_on_it() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        // Accepted but silent (a proxy holding the request while workerd starts): no answer.
        let silent = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            std::thread::sleep(Duration::from_millis(1500));
            drop(stream);
            listener
        });
        assert!(!answers(port));
        let listener = silent.join().unwrap();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut buf = [0u8; 512];
            let _ = stream.read(&mut buf);
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                .unwrap();
        });
        assert!(answers(port));
        server.join().unwrap();
    }
}
