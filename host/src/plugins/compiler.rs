//! Where Cranelift runs: in a child process of this same binary, under CPU-time and
//! address-space limits, so a component that compiles slowly or hugely costs that child and
//! not the server. The child (`logam plugin compile-worker`) reads the component on stdin and
//! writes the engine's precompiled artifact on stdout; the server loads it with
//! `Component::deserialize`. The wasmparser precheck ([`super::precheck`]) catches the known
//! shapes of compile bomb before this; the child is the bound for the shapes it does not know.
//!
//! A library user without the `logam` binary (the benches) compiles in its own process.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::PluginError;

/// What one compilation may cost.
#[derive(Debug, Clone, Copy)]
pub struct CompileBudget {
    /// CPU time of the compiling process (all its threads together).
    pub cpu: Duration,
    /// Address space of the compiling process: its heap, Cranelift's, the threads' stacks
    /// and the artifact together.
    pub memory_bytes: u64,
}

impl Default for CompileBudget {
    fn default() -> Self {
        CompileBudget {
            cpu: Duration::from_secs(10),
            memory_bytes: 1 << 30,
        }
    }
}

/// How components are compiled.
#[derive(Debug, Clone, Default)]
pub enum Compiler {
    /// In this process, unbounded: for library users that trust what they load.
    #[default]
    InProcess,
    /// In a child process running `exe plugin compile-worker`, under `budget`.
    Child { exe: PathBuf, budget: CompileBudget },
}

impl Compiler {
    /// The child-process compiler on this very executable.
    pub fn this_executable(budget: CompileBudget) -> std::io::Result<Compiler> {
        Ok(Compiler::Child {
            exe: std::env::current_exe()?,
            budget,
        })
    }
}

/// The exit code a worker uses for a component wasmtime refused (as opposed to a limit).
pub const INVALID_EXIT: i32 = 3;
/// Wall time the child may take beyond its CPU budget (start-up, waiting for a core).
const WALL_MARGIN: Duration = Duration::from_secs(5);
/// Most bytes of the worker's stderr kept for the refusal's message.
const STDERR_BYTES: u64 = 4096;

/// Compiles `bytes` in a child and returns the precompiled artifact. A child stopped by its
/// CPU or memory limit, or by the wall-clock deadline, is `plugin_too_complex`; one that
/// reports an invalid component is `plugin_not_a_component` with wasmtime's message.
pub fn compile_in_child(
    exe: &std::path::Path,
    budget: CompileBudget,
    fuel: bool,
    name: &str,
    bytes: &[u8],
) -> Result<Vec<u8>, PluginError> {
    let refuse = |code: &'static str, reason: String| PluginError::Refused {
        plugin: name.to_string(),
        code,
        reason,
    };
    let cpu_seconds = budget.cpu.as_secs().max(1);
    let mut command = Command::new(exe);
    command
        .args(["plugin", "compile-worker", "--cpu-seconds"])
        .arg(cpu_seconds.to_string())
        .arg("--memory-bytes")
        .arg(budget.memory_bytes.to_string())
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if fuel {
        command.arg("--fuel");
    }
    let mut child = command
        .spawn()
        .map_err(|e| PluginError::Engine(format!("could not start the compiler process: {e}")))?;
    let (Some(mut stdin), Some(mut stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(PluginError::Engine(
            "the compiler process has no pipes".into(),
        ));
    };
    std::thread::scope(|scope| {
        // A child that dies early closes its stdin; the write error is then not the story,
        // its exit status is.
        scope.spawn(move || {
            let _ = stdin.write_all(bytes);
        });
        let artifact = scope.spawn(move || {
            let mut artifact = Vec::new();
            stdout.read_to_end(&mut artifact).map(|_| artifact)
        });
        let message = scope.spawn(move || {
            let mut message = String::new();
            let _ = stderr.take(STDERR_BYTES).read_to_string(&mut message);
            message
        });
        let deadline = Instant::now() + Duration::from_secs(cpu_seconds) + WALL_MARGIN;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(PluginError::Engine(format!(
                        "waiting for the compiler process: {e}"
                    )));
                }
            }
        };
        let artifact = artifact.join().unwrap_or_else(|_| Ok(Vec::new()));
        let message = message.join().unwrap_or_default();
        let limits = format!(
            "{cpu_seconds} s of CPU and {} MiB of memory",
            budget.memory_bytes >> 20
        );
        let Some(status) = status else {
            return Err(refuse(
                "plugin_too_complex",
                format!("compiling it took longer than its budget of {limits}"),
            ));
        };
        if status.success() {
            return artifact
                .map_err(|e| PluginError::Engine(format!("reading the compiled plugin: {e}")));
        }
        if status.code() == Some(INVALID_EXIT) {
            return Err(refuse(
                "plugin_not_a_component",
                format!("not a valid component: {}", message.trim()),
            ));
        }
        // Killed by SIGXCPU, or aborted on a failed allocation: either way, past a limit.
        let how = describe_exit(&status);
        tracing::warn!(plugin = name, exit = %how, "a plugin compilation was stopped");
        Err(refuse(
            "plugin_too_complex",
            format!("compiling it went past its budget of {limits} ({how})"),
        ))
    })
}

fn describe_exit(status: &std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        match status.signal() {
            Some(24) => return "stopped at its CPU limit".into(),
            Some(6) => return "stopped at its memory limit".into(),
            Some(signal) => return format!("killed by signal {signal}"),
            None => {}
        }
    }
    format!("exit status {}", status.code().unwrap_or(-1))
}

/// The worker's side: limits itself, compiles stdin with an engine configured as the
/// server's, writes the artifact to stdout. Returns the process exit code.
pub fn run_worker(cpu_seconds: u64, memory_bytes: u64, fuel: bool) -> i32 {
    if let Err(e) = limit_this_process(cpu_seconds, memory_bytes) {
        eprintln!("could not set the compiler's limits: {e}");
        return 1;
    }
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
        eprintln!("reading the component: {e}");
        return 1;
    }
    let engine = match wasmtime::Engine::new(&super::engine::engine_config(fuel, None)) {
        Ok(engine) => engine,
        Err(e) => {
            eprintln!("starting the engine: {e:#}");
            return 1;
        }
    };
    match engine.precompile_component(&bytes) {
        Ok(artifact) => match std::io::stdout().lock().write_all(&artifact) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("writing the artifact: {e}");
                1
            }
        },
        Err(e) => {
            eprintln!("{e:#}");
            INVALID_EXIT
        }
    }
}

fn limit_this_process(cpu_seconds: u64, memory_bytes: u64) -> std::io::Result<()> {
    use rustix::process::{Resource, Rlimit, setrlimit};
    let limit = |n: u64| Rlimit {
        current: Some(n),
        maximum: Some(n),
    };
    // The soft CPU limit sends SIGXCPU (which kills); the hard one a second later SIGKILL.
    setrlimit(
        Resource::Cpu,
        Rlimit {
            current: Some(cpu_seconds),
            maximum: Some(cpu_seconds + 1),
        },
    )?;
    setrlimit(Resource::As, limit(memory_bytes))?;
    setrlimit(Resource::Core, limit(0))?;
    Ok(())
}
