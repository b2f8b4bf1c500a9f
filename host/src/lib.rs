//! logam: an open-data edge service for the metal-working small industry of Purbalingga.
//!
//! The rooms, and which way they import (each only from those listed after it):
//! - [`cli`] and [`server`]: the command line and the process around the router.
//! - [`app`]: the router: the open API, the pages and the token routes with their middleware.
//! - [`api`]: the JSON API and the office's endpoints. [`web`]: pages for people. Neither
//!   imports the other.
//! - [`http`]: what api and web share: state, the one error shape, extractors, auth, layout.
//! - [`plugins`]: sandboxed WebAssembly indicators and exporters. The only room that knows wasm.
//! - [`export`]: formats that turn batches of rows into bytes (CSV, JSON, NDJSON), and the
//!   `Exporter` trait plugin formats implement.
//! - [`store`]: SQLite, datasets, revisions, queries, tokens. The only room that writes SQL.

pub mod api;
pub mod app;
pub mod cli;
pub mod export;
pub mod http;
pub mod plugins;
pub mod server;
pub mod store;
pub mod web;
