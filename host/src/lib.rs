//! logam: an open-data edge service for the metal-working small industry of Purbalingga.
//!
//! The rooms, and which way data flows through them (request → api → store → response):
//! - [`store`]: SQLite, datasets, revisions, queries. The only room that writes SQL.
//! - [`export`]: formats that turn batches of rows into bytes (CSV, JSON, NDJSON).
//! - [`plugins`]: sandboxed WebAssembly indicators (wasmtime). The only room that knows wasm.
//! - [`api`]: the open HTTP API (axum). Knows HTTP, never SQL.
//! - [`web`]: pages for people.
//! - [`cli`] and [`server`]: the command line and the process around the router.

pub mod accounts;
pub mod api;
pub mod cli;
pub mod export;
pub mod plugins;
pub mod server;
pub mod store;
pub mod web;
