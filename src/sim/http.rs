//! The request and response values that the service handlers work on, decoupled from hyper: a
//! fully read body, percent-decoded path segments and form-decoded query pairs.

use hyper::header::{HeaderName, CONTENT_TYPE};
use hyper::{HeaderMap, Method, StatusCode};
use percent_encoding::percent_decode_str;
use serde_json::Value;

/// One received request, read completely.
#[derive(Debug)]
pub(crate) struct SimRequest {
    pub(crate) method: Method,
    /// Path segments after percent-decoding each one, without empty segments.
    pub(crate) segments: Vec<String>,
    /// The query string as sent, without the `?`.
    pub(crate) raw_query: String,
    /// Query pairs, form-decoded (`+` is a space).
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

/// The bearer credential of a request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Bearer<'a> {
    Missing,
    /// An `Authorization` header that is not `Bearer <token>`.
    Malformed,
    Token(&'a str),
}

impl SimRequest {
    pub(crate) fn new(
        method: Method,
        raw_path: &str,
        raw_query: Option<&str>,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> Self {
        let raw_query = raw_query.unwrap_or_default().to_owned();
        let query = url::form_urlencoded::parse(raw_query.as_bytes())
            .into_owned()
            .collect();
        Self {
            method,
            segments: decode_path_segments(raw_path),
            raw_query,
            query,
            headers,
            body,
        }
    }

    /// Returns the decoded path, segments joined with `/`.
    pub(crate) fn decoded_path(&self) -> String {
        format!("/{}", self.segments.join("/"))
    }

    /// Returns the first value of a query parameter, matching its name case-insensitively.
    pub(crate) fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Returns a header as text, if present and valid UTF-8.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub(crate) fn bearer(&self) -> Bearer<'_> {
        let Some(value) = self.header("authorization") else {
            return Bearer::Missing;
        };
        let mut parts = value.trim().splitn(2, ' ');
        let scheme = parts.next().unwrap_or_default();
        let token = parts.next().unwrap_or_default().trim();
        if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() {
            Bearer::Token(token)
        } else {
            Bearer::Malformed
        }
    }
}

/// Splits a raw path on `/` and percent-decodes each segment, so `%3B` becomes `;` while an
/// encoded `%2F` stays inside its segment. Empty segments (doubled or trailing slashes) are dropped.
pub(crate) fn decode_path_segments(raw_path: &str) -> Vec<String> {
    raw_path
        .split('/')
        .filter(|segment| !segment.is_empty())
        .map(|segment| percent_decode_str(segment).decode_utf8_lossy().into_owned())
        .collect()
}

/// A response, plus facts about it for the request log.
#[derive(Debug)]
pub(crate) struct SimResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: Vec<(HeaderName, String)>,
    pub(crate) body: Vec<u8>,
    /// The service's error code (ARM `error.code`, `AADSTS…` number), recorded in the request log.
    pub(crate) error_code: Option<String>,
    /// The `jti` of a client assertion that Entra received, recorded in the request log.
    pub(crate) assertion_id: Option<String>,
}

impl SimResponse {
    pub(crate) fn empty(status: StatusCode) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            error_code: None,
            assertion_id: None,
        }
    }

    pub(crate) fn json(status: StatusCode, body: &Value) -> Self {
        let mut response = Self::empty(status);
        response.body = serde_json::to_vec(body).unwrap_or_default();
        response.with_header(CONTENT_TYPE, "application/json; charset=utf-8")
    }

    pub(crate) fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub(crate) fn with_error_code(mut self, code: impl Into<String>) -> Self {
        self.error_code = Some(code.into());
        self
    }

    pub(crate) fn has_header(&self, name: &HeaderName) -> bool {
        self.headers.iter().any(|(existing, _)| existing == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_decode_encoded_semicolon() {
        let raw = decode_path_segments("/a/IaasVMContainer%3Biaasvmcontainerv2%3brg%3Bvm/VM;x");
        assert_eq!(
            raw,
            ["a", "IaasVMContainer;iaasvmcontainerv2;rg;vm", "VM;x"]
        );
    }

    #[test]
    fn path_segments_keep_encoded_slash_inside_segment() {
        assert_eq!(decode_path_segments("/a%2Fb/c/"), ["a/b", "c"]);
    }

    #[test]
    fn query_decodes_plus_and_matches_names_case_insensitively() {
        let request = SimRequest::new(
            Method::GET,
            "/x",
            Some("api-version=1&%24filter=status+eq+%27InProgress%27&$SkipToken=abc"),
            HeaderMap::new(),
            Vec::new(),
        );
        assert_eq!(
            request.query_value("$filter"),
            Some("status eq 'InProgress'")
        );
        assert_eq!(request.query_value("$skiptoken"), Some("abc"));
        assert_eq!(request.query_value("missing"), None);
    }

    #[test]
    fn bearer_parsing() {
        let mut headers = HeaderMap::new();
        let request = |headers: HeaderMap| SimRequest::new(Method::GET, "/", None, headers, vec![]);
        assert_eq!(request(headers.clone()).bearer(), Bearer::Missing);
        headers.insert("authorization", "Basic abc".parse().unwrap());
        assert_eq!(request(headers.clone()).bearer(), Bearer::Malformed);
        headers.insert("authorization", "bearer tok123".parse().unwrap());
        assert_eq!(request(headers).bearer(), Bearer::Token("tok123"));
    }
}
