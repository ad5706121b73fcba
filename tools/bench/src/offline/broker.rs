//! The Kafka-compatible broker the relay figure publishes to: the one
//! `KAFKA_BROKERS` names, or else a Tansu broker (in memory, on a free
//! port) started for the run if its binary is installed (`TANSU_BIN`, or
//! cargo's bin directory), killed when the run ends.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::time::Duration;

use tokio::process::{Child, Command};

use bazaar_runtime::config::Settings;

/// A broker to publish to.
pub(crate) enum Broker {
    /// Configured by the operator.
    Configured(String),
    /// Started here; stopped when dropped.
    Started {
        /// `127.0.0.1:<port>`.
        address: String,
        /// The broker process (killed on drop).
        _process: Child,
    },
}

impl Broker {
    /// The bootstrap servers.
    pub(crate) fn brokers(&self) -> String {
        match self {
            Self::Configured(brokers) => brokers.clone(),
            Self::Started { address, .. } => address.clone(),
        }
    }
}

/// The configured broker, a started Tansu, or why there is none.
pub(crate) async fn find(settings: &Settings) -> Result<Broker, String> {
    if let Some(relay) = settings.kafka.relay() {
        return Ok(Broker::Configured(relay.brokers));
    }
    let bin = std::env::var_os("TANSU_BIN")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin/tansu")))
        .filter(|bin| bin.is_file())
        .ok_or("no KAFKA_BROKERS and no Tansu broker installed (TANSU_BIN)")?;
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    let url = format!("tcp://127.0.0.1:{port}");
    let process = Command::new(&bin)
        .args([
            "broker",
            "--listener-url",
            &url,
            "--advertised-listener-url",
            &url,
        ])
        .args(["--storage-engine", "memory://tansu/"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let address = format!("127.0.0.1:{port}");
    wait_listening(&address).await?;
    Ok(Broker::Started {
        address,
        _process: process,
    })
}

async fn wait_listening(address: &str) -> Result<(), String> {
    let socket: SocketAddr = address.parse().map_err(|e| format!("{e}"))?;
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(socket).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("the Tansu broker never listened on {address}"))
}
