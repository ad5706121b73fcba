//! A private Postgres cluster for one test: `initdb` into a temporary
//! folder, started on a free port with the settings the test asks for, and
//! stopped and removed when dropped. For tests that must exhaust a
//! server's connection slots, or stop and restart the server, without
//! disturbing the other tests on the shared one, or that need a streaming
//! hot standby of their own ([`PrivateCluster::standby`]: `pg_basebackup
//! -R` of the cluster, started on a port of its own). Binaries are found
//! as `scripts/postgres.sh` finds them
//! (`PG_BIN`, then the newest `/usr/lib/postgresql/*/bin`, then
//! `pg_config --bindir`); when none can start, the test fails, never skips.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;

/// A running private cluster.
pub(crate) struct PrivateCluster {
    bin: PathBuf,
    data: PathBuf,
    /// The server's options (`pg_ctl -o`), kept for restarts.
    options: String,
    /// The `-c name=value` settings it was started with.
    settings: Vec<(String, String)>,
    /// The port it listens on, on 127.0.0.1.
    pub(crate) port: u16,
}

impl PrivateCluster {
    /// Creates and starts a cluster with `settings` (`-c name=value`).
    pub(crate) fn start(tag: &str, settings: &[(&str, &str)]) -> Self {
        let bin = bin_dir().expect(
            "no Postgres binaries (initdb, pg_ctl) found: install PostgreSQL or set PG_BIN",
        );
        let data = empty_root(tag).join("data");
        run(as_owner(&bin.join("initdb")).arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ]));
        let settings = settings
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        Self::launch_new(bin, data, settings)
    }

    /// A streaming hot standby of this cluster: `pg_basebackup -R` (which
    /// writes `standby.signal` and the `primary_conninfo` back to this
    /// cluster) into a temporary folder, started on a free port with this
    /// cluster's settings. The cluster's defaults allow it: `wal_level =
    /// replica`, `max_wal_senders = 10` and `initdb -A trust`'s
    /// `host replication all 127.0.0.1/32 trust`.
    pub(crate) fn standby(&self, tag: &str) -> Self {
        let data = empty_root(tag).join("data");
        run(as_owner(&self.bin.join("pg_basebackup"))
            .arg("-D")
            .arg(&data)
            .args(["-R", "-X", "stream", "-c", "fast", "--no-sync"])
            .args(["-h", "127.0.0.1", "-U", "postgres", "-p"])
            .arg(self.port.to_string()));
        Self::launch_new(self.bin.clone(), data, self.settings.clone())
    }

    /// Starts the server of `data` on a free port with `settings` and
    /// waits until it accepts connections (a standby: once consistent).
    fn launch_new(bin: PathBuf, data: PathBuf, settings: Vec<(String, String)>) -> Self {
        let root = data.parent().expect("data has a parent");
        let port = free_port();
        let mut options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            root.display()
        );
        for (name, value) in &settings {
            options.push_str(&format!(" -c {name}={value}"));
        }
        let cluster = Self {
            bin,
            data,
            options,
            settings,
            port,
        };
        cluster.launch();
        cluster
    }

    /// Stops the server with a fast shutdown (every session is ended with
    /// SQLSTATE 57P01 and new connections are refused), leaves it down for
    /// `down`, then starts it again on the same port with the same
    /// settings. Blocks until it accepts connections again.
    pub(crate) fn restart(&self, down: Duration) {
        run(self.pg_ctl().args(["-m", "fast", "-w", "stop"]));
        std::thread::sleep(down);
        self.launch();
    }

    /// Starts the server and waits until it accepts connections.
    fn launch(&self) {
        run(self
            .pg_ctl()
            .arg("-l")
            .arg(self.root().join("server.log"))
            .args(["-w", "-o", &self.options, "start"]));
    }

    fn pg_ctl(&self) -> Command {
        let mut command = as_owner(&self.bin.join("pg_ctl"));
        command.arg("-D").arg(&self.data);
        command
    }

    /// Options reaching database `database` as the superuser.
    pub(crate) fn options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .host("127.0.0.1")
            .port(self.port)
            .username("postgres")
            .database(database)
    }

    /// The URL of database `database`.
    pub(crate) fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Where logs and the data folder live.
    pub(crate) fn root(&self) -> &Path {
        self.data.parent().expect("data has a parent")
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = self
            .pg_ctl()
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(self.root());
    }
}

/// A new, empty folder for one cluster (owned by `postgres` when the
/// tests run as root).
fn empty_root(tag: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("bazaar-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("temp dir");
    if is_root() {
        run(Command::new("chown").args(["postgres"]).arg(&root));
    }
    root
}

fn bin_dir() -> Option<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("PG_BIN").map(PathBuf::from) {
        return has_tools(&dir).then_some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, dir)| has_tools(dir))
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.pop() {
        return Some(dir);
    }
    let output = Command::new("pg_config").arg("--bindir").output().ok()?;
    let dir = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim());
    has_tools(&dir).then_some(dir)
}

/// Postgres refuses to run as root: run its tools as `postgres` then.
fn as_owner(tool: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(tool);
        command
    } else {
        Command::new(tool)
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

fn run(command: &mut Command) {
    let output = command.output().expect("command runs");
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
