//! Trace export (cargo feature `otel`): `bazaar migrate` sends its span to
//! an OTLP/HTTP collector, here a minimal one on a local port that
//! records what it is sent.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::scratch::{run_bazaar, Scratch};

/// One HTTP request: its head (request line and headers) and body.
struct Request {
    head: String,
    body: Vec<u8>,
}

#[tokio::test]
async fn migrate_exports_its_span_to_the_collector() {
    let scratch = Scratch::new("otel");
    let collector = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", collector.local_addr().unwrap());
    let received = tokio::spawn(async move {
        let (mut stream, _) = collector.accept().await.unwrap();
        let request = read_request(&mut stream).await;
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .await
            .unwrap();
        request
    });

    let url = scratch.url();
    let output = tokio::task::spawn_blocking(move || {
        run_bazaar(
            &["migrate"],
            &[
                ("DATABASE_URL", &url),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
                ("OTEL_SERVICE_NAME", "bazaar-otel-test"),
            ],
        )
    })
    .await
    .unwrap();
    let request = tokio::time::timeout(Duration::from_secs(10), received).await;

    scratch.drop_database().await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let request = request.expect("the collector was called").unwrap();
    assert!(
        request.head.starts_with("POST /v1/traces "),
        "{}",
        request.head
    );
    assert!(request
        .head
        .to_ascii_lowercase()
        .contains("content-type: application/x-protobuf"));
    let body = String::from_utf8_lossy(&request.body);
    assert!(
        body.contains("bazaar-otel-test"),
        "service.name is exported"
    );
    assert!(body.contains("migrate"), "the migrate span is exported");
}

async fn read_request(stream: &mut tokio::net::TcpStream) -> Request {
    let mut bytes = Vec::new();
    let mut chunk = [0_u8; 8192];
    loop {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed mid-request");
        bytes.extend_from_slice(&chunk[..n]);
        let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
        let length: usize = head
            .lines()
            .find_map(|line| {
                line.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap())
            })
            .expect("a content-length");
        while bytes.len() < end + 4 + length {
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "connection closed mid-body");
            bytes.extend_from_slice(&chunk[..n]);
        }
        return Request {
            head,
            body: bytes[end + 4..end + 4 + length].to_vec(),
        };
    }
}
