//! HTTP/1.1 request framing for the local token endpoint, sans-IO: the host feeds the bytes it read
//! and gets back a request head, a body framing, or the refusal to answer with. Every limit and
//! every refusal is decided here, so every server front answers hostile input the same way and the
//! rules can be fuzzed.
//!
//! What is refused, and with which status (each answered with an RFC 6749 JSON error, then the
//! connection is closed):
//! * a request head (request line + headers) over [`Limits::head_bytes`] or with more than
//!   [`MAX_HEADERS`] fields: 431;
//! * a malformed request line or header, binary garbage, a request target that is not
//!   origin-form, absolute-form or `*` (OPTIONS only), HTTP/1.1 without exactly one `Host`: 400;
//! * an HTTP version other than 1.0 and 1.1: 505;
//! * a `Content-Length` that is not plain digits, negative, repeated (even with the same value) or
//!   sent with `Transfer-Encoding`; `Transfer-Encoding` on HTTP/1.0 or repeated: 400;
//! * a transfer coding other than `chunked`: 501;
//! * a body over [`Limits::body_bytes`] (declared, or reached while decoding chunks): 413;
//! * a malformed chunk (size, extension or trailer line): 400.
//!
//! Methods are not refused here: [`crate::endpoint`] answers them (a 405 for what it does not serve).

use std::fmt;

use crate::secret::Secret;

/// The most header fields a request may have.
pub const MAX_HEADERS: usize = 64;

/// How large a request may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Request line and headers, CRLFs included (8 KiB).
    pub head_bytes: usize,
    /// The body, after chunked decoding (64 KiB).
    pub body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { head_bytes: 8 * 1024, body_bytes: 64 * 1024 }
    }
}

/// A request that will not be answered normally: the status and the RFC 6749 error description.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status (400, 413, 431, 501, 505).
    pub status: u16,
    /// For the `error_description` member (fixed text: never quotes the request).
    pub description: &'static str,
}

const fn refuse(status: u16, description: &'static str) -> Refusal {
    Refusal { status, description }
}

/// The request methods the endpoint knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `HEAD`: a `GET` without the body.
    Head,
    /// `OPTIONS`.
    Options,
    /// Any other (valid token) method.
    Other,
}

impl Method {
    /// The method named `name` (case-sensitive, as RFC 9110 §9.1 says).
    pub fn parse(name: &str) -> Self {
        match name {
            "GET" => Self::Get,
            "POST" => Self::Post,
            "HEAD" => Self::Head,
            "OPTIONS" => Self::Options,
            _ => Self::Other,
        }
    }

    /// The method's name for the access log (`OTHER` for the rest: the log never quotes input).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Head => "HEAD",
            Self::Options => "OPTIONS",
            Self::Other => "OTHER",
        }
    }
}

/// How the request's body is framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body.
    None,
    /// `Content-Length` bytes follow the head.
    Length(usize),
    /// Chunked: feed the bytes after the head to a [`ChunkedDecoder`].
    Chunked,
}

/// A parsed, validated request head.
#[derive(Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// The method.
    pub method: Method,
    /// The path without the query (origin-form, or the path of an absolute-form target; `*`).
    pub path: String,
    /// `true` for HTTP/1.1, `false` for HTTP/1.0.
    pub http11: bool,
    /// Whether the connection may stay open after the answer.
    pub keep_alive: bool,
    /// The body framing.
    pub body: BodyFraming,
    /// The `Authorization` header (a secret).
    pub authorization: Option<Secret>,
}

impl fmt::Debug for RequestHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestHead")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("http11", &self.http11)
            .field("keep_alive", &self.keep_alive)
            .field("body", &self.body)
            .field("authorization", &self.authorization.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// What the bytes read so far hold.
#[derive(Debug, PartialEq, Eq)]
pub enum Head {
    /// Not a whole head yet: read more (the bytes are within the limit).
    Partial,
    /// A head of `len` bytes; its body (if any) starts at `len`.
    Complete {
        /// The head.
        head: RequestHead,
        /// Its length in bytes.
        len: usize,
    },
    /// Answer with this and close.
    Refused(Refusal),
}

/// Reads a request head from the start of `buf`.
pub fn parse_head(buf: &[u8], limits: &Limits) -> Head {
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut fields);
    let len = match request.parse(buf) {
        Ok(httparse::Status::Complete(len)) if len <= limits.head_bytes => len,
        Ok(httparse::Status::Complete(_)) => return Head::Refused(refuse(431, "the request head is too large")),
        Ok(httparse::Status::Partial) if buf.len() > limits.head_bytes => {
            return Head::Refused(refuse(431, "the request head is too large"))
        }
        Ok(httparse::Status::Partial) => return Head::Partial,
        Err(httparse::Error::TooManyHeaders) => return Head::Refused(refuse(431, "too many header fields")),
        Err(httparse::Error::Version) => return Head::Refused(refuse(505, "only HTTP/1.0 and HTTP/1.1 are served")),
        Err(_) => return Head::Refused(refuse(400, "malformed request")),
    };
    match validate(&request) {
        Ok(head) => Head::Complete { head, len },
        Err(refusal) => Head::Refused(refusal),
    }
}

fn validate(request: &httparse::Request<'_, '_>) -> Result<RequestHead, Refusal> {
    let http11 = match request.version {
        Some(1) => true,
        Some(0) => false,
        _ => return Err(refuse(505, "only HTTP/1.0 and HTTP/1.1 are served")),
    };
    let method = Method::parse(request.method.unwrap_or_default());
    let target = request.path.unwrap_or_default();
    let path = if target.starts_with('/') {
        target.split(['?', '#']).next().unwrap_or_default()
    } else if target == "*" && method == Method::Options {
        "*"
    } else if let Some(rest) = target.strip_prefix("http://").or_else(|| target.strip_prefix("https://")) {
        // absolute-form (RFC 9112 §3.2.2): the authority is ignored, the path served.
        let path = rest.find('/').map_or("/", |i| &rest[i..]);
        path.split(['?', '#']).next().unwrap_or("/")
    } else {
        return Err(refuse(400, "the request target must be a path"));
    };

    let mut hosts = 0;
    let mut content_length: Option<usize> = None;
    let mut transfer_encoding: Option<&[u8]> = None;
    let mut connection_close = false;
    let mut connection_keep_alive = false;
    let mut authorization: Option<Secret> = None;
    for field in request.headers.iter() {
        let name = field.name;
        let value = field.value;
        if name.eq_ignore_ascii_case("host") {
            hosts += 1;
        } else if name.eq_ignore_ascii_case("content-length") {
            if content_length.is_some() {
                return Err(refuse(400, "Content-Length is repeated"));
            }
            content_length = Some(parse_length(value)?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            if transfer_encoding.is_some() {
                return Err(refuse(400, "Transfer-Encoding is repeated"));
            }
            transfer_encoding = Some(trim(value));
        } else if name.eq_ignore_ascii_case("connection") {
            for option in value.split(|b| *b == b',').map(trim) {
                connection_close |= option.eq_ignore_ascii_case(b"close");
                connection_keep_alive |= option.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if name.eq_ignore_ascii_case("authorization") {
            if authorization.is_some() {
                return Err(refuse(400, "Authorization is repeated"));
            }
            let text = std::str::from_utf8(value).map_err(|_| refuse(400, "Authorization is not UTF-8"))?;
            authorization = Some(Secret::new(text.trim()));
        }
    }
    if http11 && hosts != 1 {
        return Err(refuse(400, "an HTTP/1.1 request needs exactly one Host header"));
    }
    let body = match (transfer_encoding, content_length) {
        (Some(_), Some(_)) => return Err(refuse(400, "Content-Length and Transfer-Encoding together")),
        (Some(_), None) if !http11 => return Err(refuse(400, "Transfer-Encoding in an HTTP/1.0 request")),
        (Some(coding), None) if coding.eq_ignore_ascii_case(b"chunked") => BodyFraming::Chunked,
        (Some(_), None) => return Err(refuse(501, "only the chunked transfer coding is supported")),
        (None, Some(0) | None) => BodyFraming::None,
        (None, Some(n)) => BodyFraming::Length(n),
    };
    let keep_alive = if http11 { !connection_close } else { connection_keep_alive && !connection_close };
    Ok(RequestHead { method, path: path.to_owned(), http11, keep_alive, body, authorization })
}

fn trim(value: &[u8]) -> &[u8] {
    let start = value.iter().position(|b| !matches!(b, b' ' | b'\t')).unwrap_or(value.len());
    let end = value.iter().rposition(|b| !matches!(b, b' ' | b'\t')).map_or(start, |i| i + 1);
    &value[start..end]
}

/// `Content-Length = 1*DIGIT` (RFC 9110 §8.6); a value too large for memory is as good as too
/// large for the limit, so it saturates.
fn parse_length(value: &[u8]) -> Result<usize, Refusal> {
    let digits = trim(value);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(refuse(400, "Content-Length must be a non-negative decimal number"));
    }
    Ok(digits.iter().fold(0usize, |n, d| n.saturating_mul(10).saturating_add(usize::from(d - b'0'))))
}

/// Checks a declared body length against the limit.
pub fn check_body_length(len: usize, limits: &Limits) -> Result<(), Refusal> {
    if len > limits.body_bytes {
        return Err(refuse(413, "the request body is too large"));
    }
    Ok(())
}

/// Decodes a chunked body (RFC 9112 §7.1), sans-IO: feed bytes as they come.
#[derive(Debug)]
pub struct ChunkedDecoder {
    state: Chunk,
    line: Vec<u8>,
    body: Vec<u8>,
    limit: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Chunk {
    /// Reading a chunk-size line (with its extensions).
    Size,
    /// Reading `n` more data bytes.
    Data(usize),
    /// The CRLF after a chunk's data.
    DataEnd,
    /// Trailer lines, until an empty one.
    Trailer,
    Done,
}

/// What [`ChunkedDecoder::feed`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Chunked {
    /// Feed more bytes.
    More,
    /// The body is complete; `used` bytes of the last feed belonged to it (the rest is the next
    /// pipelined request).
    Done {
        /// How many of the fed bytes were consumed.
        used: usize,
    },
    /// Answer with this and close.
    Refused(Refusal),
}

/// The longest chunk-size or trailer line accepted.
const MAX_CHUNK_LINE: usize = 4096;

impl ChunkedDecoder {
    /// A decoder that refuses bodies over `limits.body_bytes`.
    pub fn new(limits: &Limits) -> Self {
        Self { state: Chunk::Size, line: Vec::new(), body: Vec::new(), limit: limits.body_bytes }
    }

    /// The decoded body so far.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Consumes `bytes`.
    pub fn feed(&mut self, bytes: &[u8]) -> Chunked {
        let mut i = 0;
        while i < bytes.len() {
            match self.state {
                Chunk::Done => break,
                Chunk::Data(n) => {
                    let take = n.min(bytes.len() - i);
                    self.body.extend_from_slice(&bytes[i..i + take]);
                    i += take;
                    self.state = if take == n { Chunk::DataEnd } else { Chunk::Data(n - take) };
                }
                Chunk::Size | Chunk::DataEnd | Chunk::Trailer => {
                    let b = bytes[i];
                    i += 1;
                    if b != b'\n' {
                        if self.line.len() >= MAX_CHUNK_LINE {
                            return Chunked::Refused(refuse(400, "a chunk line is too long"));
                        }
                        self.line.push(b);
                        continue;
                    }
                    let line = std::mem::take(&mut self.line);
                    let line = line.strip_suffix(b"\r").unwrap_or(&line);
                    if let Err(refusal) = self.end_of_line(line) {
                        return Chunked::Refused(refusal);
                    }
                }
            }
        }
        if self.state == Chunk::Done {
            Chunked::Done { used: i }
        } else {
            Chunked::More
        }
    }

    fn end_of_line(&mut self, line: &[u8]) -> Result<(), Refusal> {
        self.state = match self.state {
            Chunk::Size => {
                let size = line.split(|b| *b == b';').next().map(trim).unwrap_or_default();
                if size.is_empty() || size.len() > 16 || !size.iter().all(u8::is_ascii_hexdigit) {
                    return Err(refuse(400, "malformed chunk size"));
                }
                let n = size.iter().fold(0usize, |n, d| {
                    let digit = char::from(*d).to_digit(16).unwrap_or(0) as usize;
                    n.saturating_mul(16).saturating_add(digit)
                });
                if n > self.limit.saturating_sub(self.body.len()) {
                    return Err(refuse(413, "the request body is too large"));
                }
                if n == 0 {
                    Chunk::Trailer
                } else {
                    Chunk::Data(n)
                }
            }
            Chunk::DataEnd if line.is_empty() => Chunk::Size,
            Chunk::DataEnd => return Err(refuse(400, "chunk data longer than its size")),
            Chunk::Trailer if line.is_empty() => Chunk::Done,
            // Trailer fields are read and dropped, within the line bound.
            state => state,
        };
        Ok(())
    }
}

/// The reason phrase of the statuses the endpoint answers with.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// One answer's bytes, head and body in one buffer (one write: with Nagle off nothing waits for a
/// delayed ACK). JSON, `Cache-Control: no-store`; `Connection: close` when the connection ends,
/// `keep-alive` for an HTTP/1.0 client that asked for it; `Allow` when given; no body for `HEAD`.
pub fn response(
    status: u16,
    body: &[u8],
    http11: bool,
    keep_alive: bool,
    head_only: bool,
    allow: Option<&str>,
) -> Vec<u8> {
    response_typed(status, "application/json", body, http11, keep_alive, head_only, allow)
}

/// `Content-Type` of Prometheus's text exposition format (a server's `/metrics`).
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// [`response`] with another `Content-Type` (`/metrics` answers [`PROMETHEUS_TEXT`]).
pub fn response_typed(
    status: u16,
    content_type: &str,
    body: &[u8],
    http11: bool,
    keep_alive: bool,
    head_only: bool,
    allow: Option<&str>,
) -> Vec<u8> {
    use std::io::Write;
    let mut out = Vec::with_capacity(160 + body.len());
    let version = if http11 { "HTTP/1.1" } else { "HTTP/1.0" };
    // Writing to a Vec cannot fail.
    let _ = write!(out, "{version} {status} {}\r\n", reason(status));
    if status != 204 {
        let _ = write!(out, "Content-Type: {content_type}\r\nContent-Length: {}\r\n", body.len());
    }
    out.extend_from_slice(b"Cache-Control: no-store\r\nPragma: no-cache\r\n");
    if let Some(methods) = allow {
        let _ = write!(out, "Allow: {methods}\r\n");
    }
    match (keep_alive, http11) {
        (false, _) => out.extend_from_slice(b"Connection: close\r\n"),
        (true, false) => out.extend_from_slice(b"Connection: keep-alive\r\n"),
        (true, true) => {}
    }
    out.extend_from_slice(b"\r\n");
    if !head_only && status != 204 {
        out.extend_from_slice(body);
    }
    out
}

#[cfg(test)]
mod tests;
