//! The pages in a real browser: tests/browser/run.mjs drives Debian's Chromium through
//! playwright-core against the real server, and saves a screenshot of every page to
//! tests/artifacts/browser/ (look at them before trusting a change to the pages).
//! `.ci/run` installs chromium and the npm package; without them this test fails and says so.

mod support;

use std::path::Path;
use std::process::Command;

use support::Server;

#[test]
fn a_journalist_finds_filters_downloads_charts_switches_language_and_embeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let driver = root.join("tests/browser");
    assert!(
        driver.join("node_modules/playwright-core").is_dir(),
        "playwright-core is missing: run `npm ci` in tests/browser (.ci/run does)"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: install Debian's chromium (.ci/run does)"
    );
    let server = Server::seeded();
    let out = root.join("tests/artifacts/browser");
    let output = Command::new("node")
        .current_dir(&driver)
        .arg("run.mjs")
        .arg(&server.url)
        .arg(&out)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser run failed:\n{stdout}\n{stderr}\nscreenshots in {}",
        out.display()
    );
    assert!(stdout.contains("every step passed"), "{stdout}");
    for shot in [
        "01-home",
        "02-dataset",
        "03-filtered",
        "04-next-page",
        "05-indicator",
        "06-indicator-en",
        "07-embedded",
        "08-dark-dataset",
        "09-phone-home",
        "10-phone-dataset",
        "11-phone-indicator",
        "12-phone-sources",
    ] {
        let path = out.join(format!("{shot}.png"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(bytes.starts_with(b"\x89PNG"), "{shot} is not a PNG");
    }
}
