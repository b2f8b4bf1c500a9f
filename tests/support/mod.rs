//! The real thing, for tests: the `logam` binary on an ephemeral port over a real SQLite file.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_logam");

/// The binary servers are started from: `LOGAM_BIN` when set (the soak runs a release build
/// from a debug test), else the one this test was built with.
pub fn binary() -> String {
    std::env::var("LOGAM_BIN").unwrap_or_else(|_| BIN.to_string())
}

pub struct Server {
    pub url: String,
    pub db: PathBuf,
    child: Option<Child>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// A server on a fresh, seeded database in its own temporary folder.
    pub fn seeded() -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("logam.db");
        let mut server = Server::start(&db);
        server._dir = Some(dir);
        server
    }

    /// A server on a fresh database holding only `rows` synthetic enterprises (`logam gen`).
    pub fn generated(rows: u64) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("gen.db");
        generate(&db, rows);
        let mut server = Server::start(&db);
        server._dir = Some(dir);
        server
    }

    /// [`Server::generated`] with extra `serve` flags.
    pub fn generated_with(rows: u64, args: &[&str]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("gen.db");
        generate(&db, rows);
        let mut server = Server::start_with(&db, args, &[]);
        server._dir = Some(dir);
        server
    }

    /// `host:port` of the server, for raw sockets.
    pub fn authority(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    /// The server's resident memory now, in KiB (Linux `/proc`).
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.pid())
    }

    /// A server on `db` (created and seeded if missing).
    pub fn start(db: &Path) -> Server {
        Server::start_with(db, &[], &[])
    }

    /// A seeded server in its own temporary folder, started with extra `serve` flags and
    /// environment variables (e.g. `--admin-token`, `--plugins-dir`).
    pub fn seeded_with(args: &[&str], envs: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("logam.db");
        let mut server = Server::start_with(&db, args, envs);
        server._dir = Some(dir);
        server
    }

    /// A server on `db` with extra `serve` flags and environment variables.
    pub fn start_with(db: &Path, args: &[&str], envs: &[(&str, &str)]) -> Server {
        let mut child = Command::new(binary())
            .args(["serve", "--addr", "127.0.0.1:0", "--db"])
            .arg(db)
            .args(args)
            .envs(envs.iter().copied())
            .env("LOGAM_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start logam");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the first line");
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .trim_end_matches('/')
            .to_string();
        // Drain stderr (the request log) so the server never blocks on a full pipe, and keep
        // it for assertions.
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("stderr");
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(n) = pipe.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        Server {
            url,
            db: db.to_path_buf(),
            child: Some(child),
            stderr,
            _dir: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Sends SIGTERM and waits for the process to exit; returns its exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "server did not stop within 10 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Resident memory of a process, in KiB (`VmRSS` in `/proc/PID/status`).
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// Writes a synthetic database with `logam gen`.
/// The Purbalingga seed (the bundled indicators and `bench-trivial` read it) plus `rows`
/// synthetic enterprises in one file: `logam token list` creates and seeds it, `logam gen`
/// adds the synthetic dataset.
pub fn seeded_and_generated(db: &Path, rows: u64) {
    let output = Command::new(binary())
        .args(["token", "list", "--db"])
        .arg(db)
        .output()
        .expect("run logam token list");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    generate(db, rows);
}

pub fn generate(db: &Path, rows: u64) {
    let output = Command::new(binary())
        .args(["gen", "--rows", &rows.to_string(), "--db"])
        .arg(db)
        .output()
        .expect("run logam gen");
    assert!(
        output.status.success(),
        "logam gen failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

/// A client that does not decompress, to see the Content-Encoding the server chose.
pub fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

pub async fn get_json(url: &str) -> (u16, serde_json::Value) {
    let response = client().get(url).send().await.expect("GET");
    let status = response.status().as_u16();
    let body = response.text().await.expect("body");
    let value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{url}: not JSON ({e}): {body}"));
    (status, value)
}

pub async fn get_text(url: &str) -> (u16, String) {
    let response = client().get(url).send().await.expect("GET");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// An independent read of the same file, for checking the API's answers against SQLite.
pub fn sqlite(db: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open db read-only")
}
