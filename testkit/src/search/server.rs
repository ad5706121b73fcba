//! A real Elasticsearch API server per test: noida-db on a free 127.0.0.1
//! port with its own temporary data directory, stopped (killed) and the
//! directory removed when dropped.
//!
//! The binary is `$NOIDA_DB_BIN`, else the one `scripts/elasticsearch.sh`
//! installs into the repository's `.local/noida`. Without it the test
//! fails, loudly: a live test that silently skips would prove nothing.
//!
//! noida-db keeps its data in the directory, so a restart on the same port
//! finds the indices, aliases and documents it had (as a real node does).

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// A running (or stopped) noida-db server on a fixed port.
pub struct Server {
    bin: PathBuf,
    port: u16,
    data: PathBuf,
    child: Option<Child>,
}

impl Server {
    /// Starts a server on a free port and waits until it answers `GET /`.
    pub async fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let data =
            std::env::temp_dir().join(format!("noida-{port}-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&data).expect("a data directory");
        let mut server = Self {
            bin: noida_bin(),
            port,
            data,
            child: None,
        };
        server.spawn().await;
        server
    }

    /// `http://127.0.0.1:PORT`, for `EsSettings::new`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log_path(&self) -> PathBuf {
        self.data.with_extension("log")
    }

    async fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("server log file");
        let child = Command::new(&self.bin)
            .args(["start", "--only", "elasticsearch", "--host", "127.0.0.1"])
            .arg("--data-dir")
            .arg(&self.data)
            .args(["--elasticsearch-port", &self.port.to_string()])
            .stdout(log.try_clone().expect("server log file"))
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.bin.display()));
        self.child = Some(child);
        self.wait_answering().await;
    }

    async fn wait_answering(&mut self) {
        let address = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(address).await.is_err() {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!(
                    "noida-db exited ({status}); log: {}",
                    self.log_path().display()
                );
            }
            assert!(
                Instant::now() < deadline,
                "noida-db did not listen on {address}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the server as an operator would (SIGTERM, then waits for it
    /// to exit); its data stays. Not SIGKILL: noida-db writes its data
    /// directory periodically and on shutdown, so a killed server forgets
    /// writes it acknowledged last, where Elasticsearch's translog keeps
    /// them (a loss only a rebuild repairs, out of these tests' scope).
    pub async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Some(pid) = child.id() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
        }
        if tokio::time::timeout(Duration::from_secs(10), child.wait())
            .await
            .is_err()
        {
            let _ = child.kill().await;
        }
    }

    /// Starts the server again on the same port and data directory.
    pub async fn start_again(&mut self) {
        self.stop().await;
        self.spawn().await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            // SIGKILL to the child this harness started; reaped by tokio
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.data);
        if std::thread::panicking() {
            eprintln!("noida-db log: {}", self.log_path().display());
        } else {
            let _ = std::fs::remove_file(self.log_path());
        }
    }
}

/// The noida-db binary, or a failed test saying how to get it.
fn noida_bin() -> PathBuf {
    let bin = std::env::var_os("NOIDA_DB_BIN")
        .map(PathBuf::from)
        .or_else(installed);
    match bin {
        Some(bin) if bin.is_file() => bin,
        other => panic!(
            "the live search tests need noida-db (an Elasticsearch API server), not found \
             at {other:?}: run `. scripts/elasticsearch.sh && ensure_noida` (or \
             scripts/test.sh), set NOIDA_DB_BIN, or point ELASTICSEARCH_URL at a cluster"
        ),
    }
}

/// Where `scripts/elasticsearch.sh` installs it: the wheel's binary in
/// `.local/noida/lib/python3.*/site-packages/noida_db/`.
fn installed() -> Option<PathBuf> {
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.local/noida/lib");
    std::fs::read_dir(lib)
        .ok()?
        .filter_map(Result::ok)
        .map(|python| python.path().join("site-packages/noida_db/noida-db"))
        .find(|bin| bin.is_file())
}
