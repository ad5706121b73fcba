//! A real Kafka-compatible broker per test: Tansu with in-memory storage on
//! a free 127.0.0.1 port, stopped (killed) when dropped.
//!
//! The binary is `$TANSU_BIN`, else `~/.cargo/bin/tansu` (`scripts/kafka.sh`
//! installs it). Without it the test fails, loudly: a relay test that
//! silently skips would prove nothing.
//!
//! Memory storage forgets everything on restart: topics, records, offsets.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// Partitions of every topic the harness creates.
pub const PARTITIONS: u32 = 3;

/// A running (or stopped) Tansu broker on a fixed port.
pub struct Broker {
    bin: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl Broker {
    /// Starts a broker on a free port and waits until it accepts connections.
    pub async fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let mut broker = Self {
            bin: tansu_bin(),
            port,
            child: None,
        };
        broker.spawn().await;
        broker
    }

    /// `127.0.0.1:PORT`, for `bootstrap.servers`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Where the broker writes its log (kept only if the test fails).
    fn log_path(&self) -> PathBuf {
        std::env::temp_dir().join(format!("tansu-{}.log", self.port))
    }

    fn url(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    async fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("broker log file");
        let child = Command::new(&self.bin)
            .args(["broker", "--listener-url", &self.url()])
            .args(["--advertised-listener-url", &self.url()])
            .args(["--storage-engine", "memory://tansu/"])
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.bin.display()));
        self.child = Some(child);
        self.wait_accepting().await;
    }

    async fn wait_accepting(&self) {
        let address = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(address).await.is_err() {
            assert!(
                Instant::now() < deadline,
                "tansu did not listen on {address}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Creates `name` with [`PARTITIONS`] partitions through Tansu's CLI.
    pub async fn create_topic(&self, name: &str) {
        let status = Command::new(&self.bin)
            .args(["topic", "create", name])
            .args(["--partitions", &PARTITIONS.to_string()])
            .args(["--broker", &self.url()])
            .stdout(Stdio::null())
            .status()
            .await
            .expect("tansu topic create runs");
        assert!(status.success(), "tansu topic create {name}: {status}");
    }

    /// Kills the broker (SIGKILL: no goodbye to its clients).
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Starts the broker again on the same port, empty.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.spawn().await;
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            // SIGKILL to the child this harness started; reaped by tokio
            let _ = child.start_kill();
        }
        if std::thread::panicking() {
            eprintln!("tansu log: {}", self.log_path().display());
        } else {
            let _ = std::fs::remove_file(self.log_path());
        }
    }
}

/// The Tansu binary, or a failed test saying how to get it.
fn tansu_bin() -> PathBuf {
    let bin = std::env::var_os("TANSU_BIN")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo/bin/tansu"))
        });
    match bin {
        Some(bin) if bin.is_file() => bin,
        other => panic!(
            "the Kafka relay tests need the Tansu broker, not found at {other:?}: \
             set TANSU_BIN, or run `. scripts/kafka.sh && ensure_tansu` \
             (cargo install tansu --locked --features dynostore,postgres)"
        ),
    }
}
