//! Compiled components kept on disk, so a restart (or a test server) loads machine code in
//! milliseconds instead of compiling every plugin again.
//!
//! Loading machine code is `unsafe`: wasmtime runs whatever the file holds. So an artifact is
//! loaded only if this host wrote it: each file carries an HMAC-SHA256 under a random key
//! that lives in the cache folder (created 0700, key file 0600) and never leaves it. A file
//! copied from elsewhere, truncated, or edited fails the check and is compiled afresh. Files
//! are named by the component's sha256 and the engine's compatibility hash (wasmtime version,
//! target, settings), so an upgraded host never reads an old host's code.

use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use wasmtime::Engine;
use wasmtime::component::Component;

type HmacSha256 = Hmac<Sha256>;

const KEY_FILE: &str = "artifact.key";
const TAG_BYTES: usize = 32;

pub struct ArtifactCache {
    dir: PathBuf,
    key: Vec<u8>,
    engine_hash: String,
}

impl ArtifactCache {
    pub fn open(dir: &Path, engine: &Engine) -> std::io::Result<ArtifactCache> {
        create_private_dir(dir)?;
        let key_path = dir.join(KEY_FILE);
        let key = match fs::read(&key_path) {
            Ok(key) if key.len() == 32 => key,
            _ => {
                let mut key = vec![0u8; 32];
                getrandom(&mut key)?;
                write_private(&key_path, &key)?;
                key
            }
        };
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Ok(ArtifactCache {
            dir: dir.to_path_buf(),
            key,
            engine_hash: format!("{:016x}", hasher.finish()),
        })
    }

    fn path(&self, sha256: &str) -> PathBuf {
        self.dir
            .join(format!("{sha256}-{}.cwasm", self.engine_hash))
    }

    fn tag(&self, code: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length; 32 random bytes cannot fail.
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(self.engine_hash.as_bytes());
        mac.update(code);
        mac.finalize().into_bytes().to_vec()
    }

    /// The artifact for `sha256`, if this host wrote it and it is intact.
    pub fn load(&self, engine: &Engine, sha256: &str) -> Option<Component> {
        let file = fs::read(self.path(sha256)).ok()?;
        if file.len() <= TAG_BYTES {
            return None;
        }
        let (tag, code) = file.split_at(TAG_BYTES);
        let mut mac = HmacSha256::new_from_slice(&self.key).ok()?;
        mac.update(self.engine_hash.as_bytes());
        mac.update(code);
        if mac.verify_slice(tag).is_err() {
            tracing::warn!(
                sha256,
                "a cached plugin artifact failed its check; recompiling"
            );
            return None;
        }
        // SAFETY: the bytes were produced by `Component::serialize` of this process's engine
        // configuration (the file name carries the compatibility hash) and are unchanged since
        // (the HMAC under this cache's private key verifies).
        unsafe { Component::deserialize(engine, code) }.ok()
    }

    /// Writes the artifact atomically (temporary file, then rename). Failures only cost a
    /// recompilation next time, so they are logged, not returned.
    pub fn store(&self, sha256: &str, component: &Component) {
        let Ok(code) = component.serialize() else {
            return;
        };
        let path = self.path(sha256);
        let temporary = path.with_extension(format!("tmp{}", std::process::id()));
        let result = (|| {
            let mut file = fs::File::create(&temporary)?;
            file.write_all(&self.tag(&code))?;
            file.write_all(&code)?;
            file.sync_all()?;
            fs::rename(&temporary, &path)
        })();
        if let Err(e) = result {
            let _ = fs::remove_file(&temporary);
            tracing::warn!(error = %e, "could not cache a compiled plugin");
        }
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temporary = path.with_extension(format!("tmp{}", std::process::id()));
    {
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    fs::rename(&temporary, path)
}

/// Fills `out` from the operating system's random source.
fn getrandom(out: &mut [u8]) -> std::io::Result<()> {
    use std::io::Read;
    fs::File::open("/dev/urandom")?.read_exact(out)
}

/// Where compiled plugins are cached when no folder is given: `$XDG_CACHE_HOME/logam` or
/// `~/.cache/logam`.
pub fn default_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|base| base.join("logam").join("plugins"))
}
