//! A `cargo edge dev` session on an editable copy of `fixtures/fidelity`, and the HTTP and
//! WebSocket clients the checks use.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use edge_tests::{cargo_edge_bin, fixture_target_dir, free_port, output_text, root, workerd_bin};

/// `fixtures/fidelity` as a crate of its own named `name` in a temporary folder (same
/// dependencies, lock file and profiles as the fixtures' workspace, so nothing but the crate
/// itself compiles; its own name, so no other copy built at the same time overwrites its wasm).
pub fn standalone_fidelity(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = root().join("fixtures");
    let workspace = std::fs::read_to_string(fixtures.join("Cargo.toml")).unwrap();
    let deps = section(&workspace, "[workspace.dependencies]");
    let profiles = &workspace[workspace.find("[profile.release]").unwrap()..];
    let own = std::fs::read_to_string(fixtures.join("fidelity/Cargo.toml")).unwrap();
    let mut manifest = String::new();
    for line in own.lines() {
        let line = match line.split_once(".workspace = true") {
            Some(("version", _)) => "version = \"0.1.0\"".to_string(),
            Some(("edition", _)) => "edition = \"2021\"".to_string(),
            Some(("publish", _)) => "publish = false".to_string(),
            Some((dep, _)) => deps
                .iter()
                .find(|d| d.starts_with(&format!("{dep} =")))
                .cloned()
                .unwrap_or_else(|| panic!("no workspace dependency `{dep}`")),
            None if line == "name = \"fidelity\"" => format!("name = \"{name}\""),
            None => line.to_string(),
        };
        manifest.push_str(&line);
        manifest.push('\n');
    }
    manifest.push_str(&format!("\n[workspace]\n\n{profiles}"));
    std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(fixtures.join("Cargo.lock"), dir.path().join("Cargo.lock")).unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::copy(
        fixtures.join("fidelity/src/lib.rs"),
        dir.path().join("src/lib.rs"),
    )
    .unwrap();
    dir
}

/// The `name = value` lines of a TOML section, as written.
fn section(text: &str, header: &str) -> Vec<String> {
    text[text.find(header).unwrap() + header.len()..]
        .lines()
        .take_while(|l| !l.starts_with('['))
        .filter(|l| l.contains(" = "))
        .map(str::to_string)
        .collect()
}

/// `cargo edge <args>` on `manifest` with the fixtures' target folder; status and all output.
pub fn cargo_edge(command: &str, manifest: &Path, extra: &[&str]) -> (bool, String) {
    let output = Command::new(cargo_edge_bin())
        .args(["edge", command, "--manifest-path"])
        .arg(manifest)
        .arg("--target-dir")
        .arg(fixture_target_dir())
        .args(["--profile", "fast"])
        .args(extra)
        .env_remove("CLOUDFLARE_API_TOKEN")
        .output()
        .expect("cargo-edge runs");
    (output.status.success(), output_text(&output))
}

/// One running `cargo edge dev`, killed with everything it started when dropped.
pub struct Dev {
    child: Child,
    pub port: u16,
    logs: PathBuf,
    _logs_dir: tempfile::TempDir,
}

impl Dev {
    pub fn start(manifest: &Path, extra: &[&str]) -> Dev {
        let logs_dir = tempfile::tempdir().unwrap();
        let logs = logs_dir.path().join("dev.log");
        let port = free_port();
        let child = Command::new(cargo_edge_bin())
            .args(["edge", "dev", "--manifest-path"])
            .arg(manifest)
            .args(["--port", &port.to_string(), "--profile", "fast"])
            .arg("--target-dir")
            .arg(fixture_target_dir())
            .arg("--workerd")
            .arg(workerd_bin())
            .args(extra)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&logs).unwrap())
            .stderr(std::fs::File::options().append(true).open(&logs).unwrap())
            .process_group(0)
            .spawn()
            .expect("cargo-edge starts");
        let dev = Dev {
            child,
            port,
            logs,
            _logs_dir: logs_dir,
        };
        assert!(
            dev.wait_for_log("Serving http://", Duration::from_secs(240)),
            "dev did not start:\n{}",
            dev.logs()
        );
        dev
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.logs).unwrap_or_default()
    }

    pub fn wait_for_log(&self, needle: &str, limit: Duration) -> bool {
        self.wait_for_count(needle, 1, limit)
    }

    /// Until `needle` appears `count` times.
    pub fn wait_for_count(&self, needle: &str, count: usize, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.logs().matches(needle).count() >= count {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// The running workerd's pid and HTTP port (from its command line).
    pub fn workerd(&self) -> (u32, u16) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            for pid in children(self.child.id()) {
                let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                let args = String::from_utf8_lossy(&cmdline).replace('\0', " ");
                let port = args
                    .split("http=127.0.0.1:")
                    .nth(1)
                    .and_then(|rest| rest.split(' ').next())
                    .and_then(|p| p.parse().ok());
                if let (Some(port), true) = (port, state(pid) != Some('Z')) {
                    return (pid, port);
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("no workerd under dev:\n{}", self.logs());
    }

    /// Children of dev that are zombies (exited, never reaped).
    pub fn zombies(&self) -> Vec<u32> {
        children(self.child.id())
            .into_iter()
            .filter(|p| state(*p) == Some('Z'))
            .collect()
    }

    /// Ctrl-C, then wait for the exit.
    pub fn stop(mut self) {
        signal(&self.child.id().to_string(), "-INT");
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("dev did not stop on SIGINT:\n{}", self.logs());
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        signal(&format!("-{}", self.child.id()), "-KILL");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn signal(target: &str, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, "--", target])
        .stderr(Stdio::null())
        .status();
}

fn children(pid: u32) -> Vec<u32> {
    let output = Command::new("pgrep")
        .args(["-P", &pid.to_string()])
        .output()
        .expect("pgrep runs");
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// A process's state letter (`R`, `S`, `Z`, ...).
fn state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .next()?
        .chars()
        .next()
}

/// One HTTP request: status, body and headers, whatever the status.
pub fn call(method: &str, url: &str, body: &str) -> (u16, String, ureq::http::HeaderMap) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let response = match method {
        "GET" => agent.get(url).call(),
        "DELETE" => agent.delete(url).call(),
        "PUT" => agent.put(url).send(body),
        other => panic!("no helper for {other}"),
    };
    let mut response = response.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (status, text, headers)
}

/// Open `/ws` on `port`, send `hello`, read the echo, send a close frame with `code` and
/// `reason`, and return the echo and the close frame that came back (code, reason).
pub fn websocket_close(port: u16, code: u16, reason: &str) -> (String, Option<(u16, String)>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let request =
        "GET /ws HTTP/1.1\r\nHost: fidelity\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    stream.write_all(request.as_bytes()).unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8];
        stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_string();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    stream.write_all(&frame(1, b"hello")).unwrap();
    let echo = read_frame(&mut stream).map(|(_, data)| String::from_utf8_lossy(&data).to_string());
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(reason.as_bytes());
    stream.write_all(&frame(8, &payload)).unwrap();
    let close = read_frame(&mut stream).and_then(|(op, data)| {
        (op == 8 && data.len() >= 2).then(|| {
            let code = u16::from_be_bytes([data[0], data[1]]);
            (code, String::from_utf8_lossy(&data[2..]).to_string())
        })
    });
    (echo.unwrap_or_default(), close)
}

/// A masked client frame (payloads under 126 bytes).
fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x12u8, 0x34, 0x56, 0x78];
    let mut out = vec![0x80 | opcode, 0x80 | payload.len() as u8];
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    out
}

/// One unmasked server frame: opcode and payload.
fn read_frame(stream: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let mut head = [0u8; 2];
    stream.read_exact(&mut head).ok()?;
    let mut len = (head[1] & 0x7f) as usize;
    if len == 126 {
        let mut ext = [0u8; 2];
        stream.read_exact(&mut ext).ok()?;
        len = u16::from_be_bytes(ext) as usize;
    }
    let mut data = vec![0u8; len];
    stream.read_exact(&mut data).ok()?;
    Some((head[0] & 0x0f, data))
}
