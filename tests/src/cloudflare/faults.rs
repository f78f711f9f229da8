//! Fault injection: make the next `n` requests that match a method and a path glob fail in a
//! chosen way, so retry and error paths of a client can be tested.

use std::time::Duration;

/// How a matched request fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer with this HTTP status and Cloudflare's error envelope (code 10013).
    Status(u16),
    /// Answer 429 with a `Retry-After` header and code 971.
    RateLimited { retry_after_secs: u64 },
    /// Close the connection without writing any response.
    DropConnection,
    /// Handle the request (its change takes effect), then close the connection without
    /// writing the response: the answer a client never hears.
    DropAfterApply,
    /// Wait this long, then handle the request normally.
    Slow(Duration),
}

/// One injected fault.
///
/// `path_pattern` is matched against the path after `/client/v4`: `*` stands for exactly one
/// segment and a trailing `**` for any rest, so `/accounts/*/workers/scripts/*` matches a
/// script upload but not its `/versions`. `method` is an HTTP method or `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub method: String,
    pub path_pattern: String,
    pub times: usize,
    pub kind: FaultKind,
}

impl Fault {
    /// A fault that strikes the next matching request once.
    pub fn new(method: &str, path_pattern: &str, kind: FaultKind) -> Fault {
        Fault {
            method: method.to_ascii_uppercase(),
            path_pattern: path_pattern.to_string(),
            times: 1,
            kind,
        }
    }

    /// Strike the next `n` matching requests instead of one.
    pub fn times(mut self, n: usize) -> Fault {
        self.times = n;
        self
    }

    /// Whether this fault applies to a request (`path` is relative to `/client/v4`).
    pub fn matches(&self, method: &str, path: &str) -> bool {
        (self.method == "*" || self.method.eq_ignore_ascii_case(method))
            && glob_matches(&self.path_pattern, path)
    }
}

/// The faults still armed, in injection order.
#[derive(Debug, Default)]
pub struct Faults {
    armed: Vec<Fault>,
}

impl Faults {
    pub fn inject(&mut self, fault: Fault) {
        if fault.times > 0 {
            self.armed.push(fault);
        }
    }

    /// The fault for this request, if any, counting one strike against it.
    pub fn take(&mut self, method: &str, path: &str) -> Option<FaultKind> {
        let index = self.armed.iter().position(|f| f.matches(method, path))?;
        let fault = &mut self.armed[index];
        fault.times -= 1;
        let kind = fault.kind.clone();
        if fault.times == 0 {
            self.armed.remove(index);
        }
        Some(kind)
    }

    /// How many strikes are left over all faults.
    pub fn remaining(&self) -> usize {
        self.armed.iter().map(|f| f.times).sum()
    }

    pub fn clear(&mut self) {
        self.armed.clear();
    }
}

/// Segment-wise glob: `*` is one segment, a final `**` any number (including none).
fn glob_matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    let path: Vec<&str> = path.trim_matches('/').split('/').collect();
    for (i, part) in pattern.iter().enumerate() {
        if *part == "**" && i == pattern.len() - 1 {
            return true;
        }
        match path.get(i) {
            Some(segment) if *part == "*" || part == segment => {}
            _ => return false,
        }
    }
    pattern.len() == path.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_by_segment() {
        let p = "/accounts/*/workers/scripts/*";
        assert!(glob_matches(p, "/accounts/abc/workers/scripts/w"));
        assert!(!glob_matches(p, "/accounts/abc/workers/scripts/w/versions"));
        assert!(!glob_matches(p, "/accounts/abc/workers/scripts"));
        assert!(glob_matches("/accounts/**", "/accounts/a/b/c"));
        assert!(glob_matches("/accounts/**", "/accounts"));
    }

    #[test]
    fn faults_are_spent_in_order() {
        let mut faults = Faults::default();
        faults.inject(Fault::new("put", "/x", FaultKind::Status(500)).times(2));
        faults.inject(Fault::new("*", "/x", FaultKind::DropConnection));
        assert_eq!(faults.take("GET", "/y"), None);
        assert_eq!(faults.take("PUT", "/x"), Some(FaultKind::Status(500)));
        assert_eq!(faults.take("PUT", "/x"), Some(FaultKind::Status(500)));
        assert_eq!(faults.take("PUT", "/x"), Some(FaultKind::DropConnection));
        assert_eq!(faults.remaining(), 0);
    }
}
