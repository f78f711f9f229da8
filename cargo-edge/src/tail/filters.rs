//! `cargo edge tail`'s filters, turned into the message the tail socket expects first:
//! `{"filters": [...], "debug": false}` with the shapes wrangler sends (outcome, method,
//! header, query, client_ip, sampling_rate). `--version-id` is applied to the events here.

use serde_json::{json, Value};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TailFilters {
    /// `ok`, `error` or `canceled`.
    pub status: Vec<String>,
    pub method: Vec<String>,
    /// `KEY` or `KEY:VALUE`.
    pub header: Option<String>,
    pub search: Option<String>,
    pub ip: Vec<String>,
    pub sampling_rate: Option<f64>,
    pub version_id: Option<String>,
}

impl TailFilters {
    /// The filter message, or what is wrong with a filter.
    pub fn message(&self) -> Result<Value, String> {
        let mut filters = Vec::new();
        if let Some(rate) = self.sampling_rate {
            if !(rate > 0.0 && rate < 1.0) {
                return Err(format!("a sampling rate of {rate} has no effect: give one between 0 and 1 (0.25 keeps a quarter of the events)"));
            }
            filters.push(json!({"sampling_rate": rate}));
        }
        if !self.status.is_empty() {
            let mut outcomes = Vec::new();
            for status in &self.status {
                let add: &[&str] = match status.as_str() {
                    "ok" => &["ok"],
                    "canceled" => &["canceled"],
                    "error" => &["exception", "exceededCpu", "exceededMemory", "unknown"],
                    other => {
                        return Err(format!(
                            "`{other}` is not a status: use ok, error or canceled"
                        ))
                    }
                };
                outcomes.extend(
                    add.iter()
                        .filter(|o| !outcomes.contains(*o))
                        .copied()
                        .collect::<Vec<_>>(),
                );
            }
            filters.push(json!({"outcome": outcomes}));
        }
        if !self.method.is_empty() {
            filters.push(json!({"method": self.method}));
        }
        if let Some(header) = &self.header {
            let filter = match header.split_once(':') {
                Some((key, value)) => json!({"key": key.trim(), "query": value.trim()}),
                None => json!({"key": header.trim()}),
            };
            filters.push(json!({"header": filter}));
        }
        if !self.ip.is_empty() {
            filters.push(json!({"client_ip": self.ip}));
        }
        if let Some(search) = &self.search {
            filters.push(json!({"query": search}));
        }
        Ok(json!({"filters": filters, "debug": false}))
    }

    /// Whether an event passes the filters applied here (`--version-id`).
    pub fn keeps(&self, event: &Value) -> bool {
        match &self.version_id {
            Some(id) => event["scriptVersion"]["id"] == id.as_str(),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_filters_become_the_api_message() {
        let filters = TailFilters {
            status: vec!["error".into(), "ok".into()],
            method: vec!["POST".into()],
            header: Some("x-user: ada".into()),
            search: Some("boom".into()),
            ip: vec!["203.0.113.7".into()],
            sampling_rate: Some(0.5),
            version_id: None,
        };
        assert_eq!(
            filters.message().unwrap(),
            json!({"filters": [
                {"sampling_rate": 0.5},
                {"outcome": ["exception", "exceededCpu", "exceededMemory", "unknown", "ok"]},
                {"method": ["POST"]},
                {"header": {"key": "x-user", "query": "ada"}},
                {"client_ip": ["203.0.113.7"]},
                {"query": "boom"},
            ], "debug": false})
        );
        let bad = TailFilters {
            sampling_rate: Some(1.0),
            ..Default::default()
        };
        assert!(bad.message().unwrap_err().contains("between 0 and 1"));
        let bad = TailFilters {
            status: vec!["fine".into()],
            ..Default::default()
        };
        assert!(bad.message().unwrap_err().contains("ok, error or canceled"));
    }
}
