//! Minimal keep-alive HTTP/1.1 for load: a client that sends one request at a time per
//! connection, and the message reader the fake Telegram serves with. Little allocation beyond the
//! buffers, so the load generator and the fake take as little of the machine's CPU from the
//! service as redis-benchmark takes from Redis.

use tokio::{
    io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
};

/// Reads one message (start line, headers, a `Content-Length` body) into `start` and `body`;
/// false at the end of the stream.
pub async fn read_message<R: AsyncBufRead + Unpin>(
    stream: &mut R,
    start: &mut String,
    body: &mut Vec<u8>,
) -> std::io::Result<bool> {
    start.clear();
    if stream.read_line(start).await? == 0 {
        return Ok(false);
    }
    let mut length = 0usize;
    let mut header = String::new();
    loop {
        header.clear();
        if stream.read_line(&mut header).await? == 0 {
            return Err(std::io::Error::other("connection closed in the headers"));
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    body.clear();
    body.resize(length, 0);
    stream.read_exact(body).await?;
    Ok(true)
}

/// One request to send.
pub struct Request {
    pub method: &'static str,
    pub path: String,
    pub body: Option<String>,
    pub bearer: Option<String>,
}

impl Request {
    pub fn post(path: &str, body: String) -> Self {
        Self {
            method: "POST",
            path: path.to_string(),
            body: Some(body),
            bearer: None,
        }
    }

    pub fn get(path: &str, bearer: &str) -> Self {
        Self {
            method: "GET",
            path: path.to_string(),
            body: None,
            bearer: Some(bearer.to_string()),
        }
    }
}

pub struct Connection {
    addr: String,
    stream: Option<BufReader<TcpStream>>,
    out: Vec<u8>,
    line: String,
}

impl Connection {
    pub fn new(addr: &str) -> Self {
        Self {
            addr: addr.to_string(),
            stream: None,
            out: Vec::with_capacity(512),
            line: String::new(),
        }
    }

    /// Sends `request` and returns the status and body; reconnects once if the connection was
    /// closed.
    pub async fn send(&mut self, request: &Request) -> std::io::Result<(u16, Vec<u8>)> {
        match self.try_send(request).await {
            Ok(answer) => Ok(answer),
            Err(_) => {
                self.stream = None;
                self.try_send(request).await
            }
        }
    }

    async fn try_send(&mut self, request: &Request) -> std::io::Result<(u16, Vec<u8>)> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(&self.addr).await?;
            stream.set_nodelay(true)?;
            self.stream = Some(BufReader::new(stream));
        }
        let stream = self.stream.as_mut().expect("connected above");
        self.out.clear();
        let body = request.body.as_deref().unwrap_or("");
        self.out.extend_from_slice(
            format!(
                "{} {} HTTP/1.1\r\nHost: bench\r\nContent-Length: {}\r\n",
                request.method,
                request.path,
                body.len()
            )
            .as_bytes(),
        );
        if request.body.is_some() {
            self.out
                .extend_from_slice(b"Content-Type: application/json\r\n");
        }
        if let Some(token) = &request.bearer {
            self.out
                .extend_from_slice(format!("Authorization: Bearer {token}\r\n").as_bytes());
        }
        self.out.extend_from_slice(b"\r\n");
        self.out.extend_from_slice(body.as_bytes());
        stream.get_mut().write_all(&self.out).await?;

        let mut body = Vec::new();
        if !read_message(stream, &mut self.line, &mut body).await? {
            return Err(std::io::Error::other("connection closed"));
        }
        let status: u16 = self
            .line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other("no status line"))?;
        Ok((status, body))
    }
}
