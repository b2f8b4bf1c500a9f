//! The API contract: `GET /openapi.json` (OpenAPI 3.1) and the route list it is checked
//! against.
//!
//! The document is built here, in one place, with utoipa's builder rather than annotations on
//! the handlers: the handlers' files change often and the dynamic parts (columns, formats,
//! indicator parameters) are not Rust types anyway. It is built per request from the live
//! registry and catalog, so the enums of dataset ids, indicators and extensions say what this
//! server holds now; the shape of every path stays the same whatever is installed.

use std::collections::BTreeSet;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::MethodRouter;
use serde_json::{Value, json};
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn,
    ParameterStyle, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    Components, Content, Header, InfoBuilder, LicenseBuilder, OpenApi, OpenApiBuilder, Paths,
    RefOr, Required, Response as ApiResponse, ResponseBuilder, Schema,
};

use crate::export::FormatInfo;
use crate::http::caching::json_tagged;
use crate::http::{ApiError, AppState};

/// Every open route as `app()` registers it (axum's syntax), with its methods. `app()` checks
/// its own routes against this list at start (see [`Recorder`]) and a test checks this list
/// against the document's paths, so a route cannot be served without being described.
pub const OPEN_ROUTES: &[(&str, &[&str])] = &[
    ("/healthz", &["GET"]),
    ("/api", &["GET"]),
    ("/api/formats", &["GET"]),
    ("/api/datasets", &["GET"]),
    ("/api/datasets/{id}", &["GET"]),
    ("/api/datasets/{id}/revisions", &["GET"]),
    ("/api/datasets/{id}/changes", &["GET"]),
    ("/api/datasets/{id}/{resource}", &["GET"]),
    ("/api/datasets/{id}/rows/{key}", &["GET"]),
    ("/api/datasets/{id}/queries", &["GET"]),
    ("/api/datasets/{id}/queries/{name}", &["GET"]),
    ("/api/indicators", &["GET"]),
    ("/api/indicators/{id}", &["GET"]),
    ("/api/plugins", &["GET"]),
    ("/api/plugins/{id}", &["GET"]),
    ("/api/sql", &["GET", "POST"]),
    ("/api/sql.csv", &["GET", "POST"]),
    ("/api/sql.json", &["GET", "POST"]),
    ("/api/sql.ndjson", &["GET", "POST"]),
    ("/openapi.json", &["GET"]),
    ("/api/docs", &["GET"]),
];

/// The catalog endpoints being added on another branch. They are described already so the
/// document is complete once that branch lands; until then the router may lack them, and the
/// route check lets them be absent. Change or drop them here (and in [`catalog_paths`]) if
/// they turn out differently.
pub const CATALOG_ROUTES: &[(&str, &[&str])] = &[
    ("/catalog.jsonld", &["GET"]),
    ("/data.json", &["GET"]),
    ("/datapackage.json", &["GET"]),
    ("/datasets/{id}/datapackage.json", &["GET"]),
];

/// The methods a route answers, for the `Allow` header of a 405 (GET routes answer HEAD too).
pub fn allowed_methods(route: &str) -> Option<String> {
    let (_, methods) = OPEN_ROUTES
        .iter()
        .chain(CATALOG_ROUTES)
        .find(|(path, _)| *path == route)?;
    let mut allowed: Vec<&str> = Vec::new();
    for method in *methods {
        allowed.push(method);
        if *method == "GET" {
            allowed.push("HEAD");
        }
    }
    Some(allowed.join(", "))
}

/// A `Router` that remembers the paths given to it, so `app()` can compare its open routes
/// with [`OPEN_ROUTES`] without a second list to keep in step.
pub struct Recorder {
    router: Router<AppState>,
    paths: Vec<&'static str>,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}

impl Recorder {
    pub fn new() -> Self {
        Recorder {
            router: Router::new(),
            paths: Vec::new(),
        }
    }

    pub fn route(mut self, path: &'static str, method_router: MethodRouter<AppState>) -> Self {
        self.paths.push(path);
        self.router = self.router.route(path, method_router);
        self
    }

    /// Ends the open routes. A mismatch is a programming error: debug builds (every test)
    /// refuse to start; a release build logs it and serves on.
    pub fn finish(self) -> Router<AppState> {
        if let Err(problem) = check_routes(&self.paths) {
            if cfg!(debug_assertions) {
                panic!("{problem}");
            }
            tracing::error!(%problem, "the OpenAPI route list is out of date");
        }
        self.router
    }
}

/// Compares registered open routes with [`OPEN_ROUTES`] (catalog routes may be absent).
pub fn check_routes(registered: &[&str]) -> Result<(), String> {
    let listed: BTreeSet<&str> = OPEN_ROUTES.iter().map(|(p, _)| *p).collect();
    let pending: BTreeSet<&str> = CATALOG_ROUTES.iter().map(|(p, _)| *p).collect();
    let registered: BTreeSet<&str> = registered.iter().copied().collect();
    let missing: Vec<&str> = listed.difference(&registered).copied().collect();
    let unlisted: Vec<&str> = registered
        .iter()
        .filter(|p| !listed.contains(*p) && !pending.contains(*p))
        .copied()
        .collect();
    if missing.is_empty() && unlisted.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "api::openapi::OPEN_ROUTES is out of step with app(): listed but not served {missing:?}, \
             served but not listed (nor described in /openapi.json) {unlisted:?}"
        ))
    }
}

/// What the document enumerates from the running server. Empty lists leave the schemas open.
#[derive(Debug, Clone, Default)]
pub struct Live {
    pub datasets: Vec<String>,
    /// Each indicator's id and its declared parameters (manifest JSON).
    pub indicators: Vec<(String, Vec<Value>)>,
    pub plugins: Vec<String>,
    pub formats: Vec<FormatInfo>,
    /// Each exporter plugin's extension and its declared parameters (manifest JSON).
    pub exporter_parameters: Vec<(String, Vec<Value>)>,
}

impl Live {
    pub async fn read(app: &AppState) -> Result<Live, ApiError> {
        let datasets = app
            .store
            .read(|session| session.datasets(true))
            .await?
            .into_iter()
            .map(|d| d.id)
            .collect();
        let parameters = |manifest: Value| {
            manifest["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        };
        let indicators = app
            .plugins
            .indicators()
            .iter()
            .filter_map(|p| {
                let info = p.indicator_info()?;
                Some((p.id.clone(), parameters(info.to_json())))
            })
            .collect();
        let exporter_parameters = app
            .plugins
            .exporters()
            .iter()
            .filter_map(|p| {
                let info = p.exporter_info()?;
                Some((info.extension.clone(), parameters(info.to_json())))
            })
            .collect();
        Ok(Live {
            datasets,
            indicators,
            plugins: app.plugins.plugins().iter().map(|p| p.id.clone()).collect(),
            formats: crate::http::all_formats(&app.plugins),
            exporter_parameters,
        })
    }

    fn formats_for(&self, indicators: bool) -> Vec<&FormatInfo> {
        self.formats
            .iter()
            .filter(|f| if indicators { f.indicators } else { f.datasets })
            .collect()
    }
}

pub async fn openapi_json(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let live = Live::read(&app).await?;
    let value = serde_json::to_value(document(&live)).unwrap_or(Value::Null);
    Ok(json_tagged(&headers, &value))
}

// ---------------------------------------------------------------------------------------------
// Small builders, so each operation below reads as its contract.

/// A schema from a JSON literal. utoipa's model drops what it has no field for (an `allOf`
/// beside `properties`, an empty schema), so the round trip is checked: the unit tests build
/// the whole document and fail on a literal that would not be served as written.
fn schema(value: Value) -> RefOr<Schema> {
    let parsed: RefOr<Schema> = serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("not a schema utoipa can hold ({e}): {value}"));
    debug_assert_eq!(
        serde_json::to_value(&parsed).ok().as_ref(),
        Some(&value),
        "utoipa would not serve this schema as written"
    );
    parsed
}

fn reference(name: &str) -> RefOr<Schema> {
    schema(json!({ "$ref": format!("#/components/schemas/{name}") }))
}

fn param(
    name: &str,
    location: ParameterIn,
    required: bool,
    value: Value,
    description: &str,
) -> ParameterBuilder {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(location)
        .required(if required {
            Required::True
        } else {
            Required::False
        })
        .schema(Some(schema(value)))
        .description(Some(description))
}

fn query(name: &str, value: Value, description: &str) -> Parameter {
    param(name, ParameterIn::Query, false, value, description).build()
}

fn path(name: &str, value: Value, description: &str) -> Parameter {
    param(name, ParameterIn::Path, true, value, description).build()
}

/// A free-form set of query parameters (`style: form, explode: true` object): how the
/// column filters, SQL named parameters and plugin parameters are described.
fn free_form(name: &str, values: Value, description: &str) -> Parameter {
    param(
        name,
        ParameterIn::Query,
        false,
        json!({"type": "object", "additionalProperties": values}),
        description,
    )
    .style(Some(ParameterStyle::Form))
    .explode(Some(true))
    .build()
}

fn if_none_match() -> Parameter {
    param(
        "If-None-Match",
        ParameterIn::Header,
        false,
        json!({"type": "string"}),
        "An ETag from an earlier response: 304 without a body while the data is unchanged.",
    )
    .build()
}

fn enum_or_string(values: &[String], pattern: Option<&str>) -> Value {
    if values.is_empty() {
        match pattern {
            Some(p) => json!({"type": "string", "pattern": p}),
            None => json!({"type": "string"}),
        }
    } else {
        json!({"type": "string", "enum": values})
    }
}

fn etag_header(description: &str) -> Header {
    HeaderBuilder::new()
        .schema(schema(json!({"type": "string"})))
        .description(Some(description))
        .build()
}

fn json_response(description: &str, body: RefOr<Schema>) -> ApiResponse {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", Content::new(Some(body)))
        .header("ETag", etag_header("Weak validator for If-None-Match."))
        .build()
}

fn error_response(status: u16) -> ApiResponse {
    let description = match status {
        400 => "The request is malformed: unknown or repeated parameter, bad value, invalid SQL.",
        404 => "No such resource (dataset, row, query, indicator, plugin or format).",
        405 => "Method not allowed (the `Allow` header lists the methods).",
        413 => "The request body is too large.",
        415 => "The request body's media type is not supported.",
        422 => {
            "A plugin refused the request, or the read ran past its budget of database time (`read_budget_exceeded`: ask for less work)."
        }
        429 => {
            "This client is over a limit: requests per minute, statements or downloads in flight (`Retry-After` says when to retry)."
        }
        500 => "The server failed; details are in its log, not in the answer.",
        502 => "A plugin failed or overran a limit of its sandbox.",
        503 => {
            "The server is at capacity (every reader or download slot in use) or the database is busy; `Retry-After` says when to retry."
        }
        504 => "A plugin or the request as a whole ran out of time.",
        _ => "Error.",
    };
    ResponseBuilder::new()
        .description(description)
        .content("application/json", Content::new(Some(reference("Error"))))
        .build()
}

fn not_modified() -> ApiResponse {
    ResponseBuilder::new()
        .description("Not modified: the If-None-Match ETag still names this representation.")
        .build()
}

struct Op {
    builder: OperationBuilder,
}

impl Op {
    fn new(id: &str, tag: &str, summary: &str, description: &str) -> Op {
        Op {
            builder: OperationBuilder::new()
                .operation_id(Some(id))
                .tag(tag)
                .summary(Some(summary))
                .description(Some(description)),
        }
    }

    fn params(mut self, parameters: impl IntoIterator<Item = Parameter>) -> Op {
        for p in parameters {
            self.builder = self.builder.parameter(p);
        }
        self
    }

    fn ok(mut self, response: ApiResponse) -> Op {
        self.builder = self.builder.response("200", response);
        self
    }

    fn cached(mut self) -> Op {
        self.builder = self
            .builder
            .parameter(if_none_match())
            .response("304", not_modified());
        self
    }

    fn errors(mut self, statuses: &[u16]) -> Op {
        for status in statuses {
            self.builder = self
                .builder
                .response(status.to_string(), error_response(*status));
        }
        self
    }

    fn body(mut self, body: utoipa::openapi::request_body::RequestBody) -> Op {
        self.builder = self.builder.request_body(Some(body));
        self
    }

    /// Every operation may meet hyper's limit on the request line before logam sees it.
    fn build(self) -> Operation {
        self.builder
            .response(
                "414",
                ResponseBuilder::new()
                    .description("URI too long: refused by the HTTP layer, without a body.")
                    .build(),
            )
            .build()
    }
}

/// A path item served by `route` (an entry of [`OPEN_ROUTES`] or [`CATALOG_ROUTES`]), named
/// in `x-logam-route` so the route check can tie the two together.
fn item(route: &str, operations: Vec<(HttpMethod, Operation)>) -> PathItem {
    let mut item = PathItem::default();
    for (method, operation) in operations {
        item.merge_operations(PathItem::new(method, operation));
    }
    item.extensions = Some(Extensions::builder().add("x-logam-route", route).build());
    item
}

// ---------------------------------------------------------------------------------------------
// The document.

pub fn document(live: &Live) -> OpenApi {
    let mut paths = Paths::new();
    for (path, item) in open_paths(live).into_iter().chain(catalog_paths(live)) {
        paths.paths.insert(path, item);
    }
    let mut components = Components::new();
    for (name, value) in component_schemas() {
        components.schemas.insert(name.to_string(), schema(value));
    }
    let tags = [
        (
            "meta",
            "Indeks, kesehatan, format, dokumen ini / index, health, formats, this document",
        ),
        (
            "datasets",
            "Dataset dan metadata / datasets and their metadata",
        ),
        (
            "rows",
            "Baris, filter, halaman, unduhan / rows, filters, pages, downloads",
        ),
        (
            "sql",
            "SQL hanya-baca dan kueri siap pakai / read-only SQL and canned queries",
        ),
        (
            "indicators",
            "Indikator dari plugin / indicators computed by plugins",
        ),
        ("plugins", "Plugin terpasang / installed plugins"),
        (
            "catalog",
            "Katalog DCAT dan Data Package (cabang lain) / DCAT and Data Package catalog (another branch)",
        ),
    ];
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("logam")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(INFO_DESCRIPTION))
                .license(Some(
                    LicenseBuilder::new()
                        .name("Apache-2.0 (kode / code); lisensi data per dataset / data licence per dataset")
                        .identifier(Some("Apache-2.0"))
                        .build(),
                ))
                .build(),
        )
        .paths(paths)
        .components(Some(components))
        .tags(Some(tags.iter().map(|(name, description)| {
            TagBuilder::new()
                .name(*name)
                .description(Some(*description))
                .build()
        })))
        .build()
}

const INFO_DESCRIPTION: &str = "Data terbuka IKM logam Purbalingga: API terbuka, hanya-baca. \
Setiap galat berbentuk `{\"error\": {\"code\", \"message\", \"hint\"}}`. \
Nilai parameter paling panjang 1000 bita, paling banyak 64 parameter per permintaan.\n\n\
Open data on Purbalingga's small metal-working industry: an open, read-only API. Every error \
is `{\"error\": {\"code\", \"message\", \"hint\"}}`. Query values are at most 1000 bytes, at \
most 64 parameters per request. Responses carry weak ETags and `Cache-Control: public, \
max-age=60`; an `If-None-Match` that still matches gets 304. The admin endpoints \
(`/admin/*`, bearer token) are not part of this open contract.";

fn open_paths(live: &Live) -> Vec<(String, PathItem)> {
    let dataset_id = || {
        path(
            "id",
            enum_or_string(&live.datasets, Some("^[a-z][a-z0-9_]*$")),
            "Dataset id (see /api/datasets).",
        )
    };
    let dataset_exts: Vec<String> = live
        .formats_for(false)
        .iter()
        .map(|f| f.extension.clone())
        .collect();
    let indicator_exts: Vec<String> = live
        .formats_for(true)
        .iter()
        .map(|f| f.extension.clone())
        .collect();
    let indicator_ids: Vec<String> = live.indicators.iter().map(|(id, _)| id.clone()).collect();
    let get = |op: Op| vec![(HttpMethod::Get, op.build())];

    let mut out: Vec<(String, PathItem)> = Vec::new();
    let mut add = |path: &str, route: &str, ops: Vec<(HttpMethod, Operation)>| {
        out.push((path.to_string(), item(route, ops)));
    };

    add(
        "/healthz",
        "/healthz",
        get(Op::new(
            "health",
            "meta",
            "Kesehatan / health check",
            "200 when the database answers, with how much capacity is in use (readers for \
             pages, readers and slots for downloads). Answered on a connection of its own, so \
             it never waits for a busy pool. Never cached (`Cache-Control: no-store`).",
        )
        .ok(ResponseBuilder::new()
            .description("The service and its database answer.")
            .content("application/json", Content::new(Some(reference("Health"))))
            .build())
        .errors(&[500, 503])),
    );
    add(
        "/api",
        "/api",
        get(Op::new(
            "index",
            "meta",
            "Indeks API / API index",
            "Name, description, version, links to every endpoint and the row parameters.",
        )
        .ok(json_response("The index.", reference("Index")))
        .cached()),
    );
    add(
        "/api/formats",
        "/api/formats",
        get(Op::new(
            "formats",
            "meta",
            "Format unduhan / download formats",
            "The native formats (csv, json, ndjson) and those of the exporter plugins installed \
             now, with what each fits (datasets, indicators).",
        )
        .ok(json_response("The formats.", reference("Formats")))
        .cached()),
    );
    add(
        "/openapi.json",
        "/openapi.json",
        get(Op::new(
            "openapi",
            "meta",
            "Dokumen OpenAPI ini / this OpenAPI document",
            "OpenAPI 3.1. The enums of ids and extensions are those of this server now.",
        )
        .ok(json_response(
            "The document.",
            schema(json!({"type": "object"})),
        ))
        .cached()
        .errors(&[500, 503])),
    );
    add(
        "/api/docs",
        "/api/docs",
        get(Op::new(
            "docs",
            "meta",
            "Dokumentasi API (HTML) / API reference page",
            "This document as a page, without JavaScript. Indonesian; `?lang=en` for English.",
        )
        .params([query(
            "lang",
            json!({"type": "string"}),
            "Page language: `en` for English; any other value (or none) gives Indonesian.",
        )])
        .ok(ResponseBuilder::new()
            .description("The page.")
            .content(
                "text/html",
                Content::new(Some(schema(json!({"type": "string"})))),
            )
            .build())
        .errors(&[500, 503])),
    );

    add(
        "/api/datasets",
        "/api/datasets",
        get(Op::new(
            "datasets",
            "datasets",
            "Daftar dataset / list datasets",
            "Every published dataset with title, description, licence, revision, row count and \
             links (one per download format).",
        )
        .ok(json_response("The datasets.", reference("DatasetList")))
        .cached()
        .errors(&[500, 503])),
    );
    add(
        "/api/datasets/{id}",
        "/api/datasets/{id}",
        get(Op::new(
            "dataset",
            "datasets",
            "Metadata dataset / one dataset's metadata",
            "Columns (type, unit, bilingual title and description), primary key, source \
             column, the sources cited, licence, formats and links.",
        )
        .params([dataset_id()])
        .ok(json_response("The dataset.", reference("Dataset")))
        .cached()
        .errors(&[400, 404, 500, 503])),
    );
    add(
        "/api/datasets/{id}/revisions",
        "/api/datasets/{id}/revisions",
        get(Op::new(
            "revisions",
            "datasets",
            "Riwayat revisi / revision history",
            "Who changed the dataset, when, and how many rows (newest 1000).",
        )
        .params([dataset_id()])
        .ok(json_response("The revisions.", reference("Revisions")))
        .errors(&[400, 404, 500, 503])),
    );
    add(
        "/api/datasets/{id}/changes",
        "/api/datasets/{id}/changes",
        get(Op::new(
            "changes",
            "datasets",
            "Perubahan antar revisi / changes between revisions",
            "Rows added, removed and changed (before and after) from revision `from` to \
             revision `to` (global revision numbers), one page of touched keys at a time in key \
             order: follow `next_url` until it is null.",
        )
        .params([
            dataset_id(),
            query(
                "from",
                json!({"type": "integer", "minimum": 0}),
                "The earlier revision (0: before anything). Default: the revision before `to`.",
            ),
            query(
                "to",
                json!({"type": "integer", "minimum": 0}),
                "The later revision. Default: the dataset's current revision.",
            ),
            query(
                "_size",
                json!({"type": "integer", "minimum": 1, "maximum": 10000}),
                "Touched keys per page (default 1000).",
            ),
            query(
                "_next",
                json!({"type": "string"}),
                "The `next` token of the previous page (same `from` and `to`).",
            ),
        ])
        .ok(json_response(
            "The changes.",
            schema(json!({
                "type": "object",
                "required": ["dataset", "from", "to", "added", "removed", "changed", "truncated", "next", "next_url"],
                "properties": {
                    "dataset": {"type": "string"},
                    "from": {"type": "integer"},
                    "to": {"type": "integer"},
                    "added": {"type": "array", "items": {"type": "object"}},
                    "removed": {"type": "array", "items": {"type": "object"}},
                    "changed": {"type": "array", "items": {"type": "object"}},
                    "truncated": {"type": "boolean"},
                    "next": {"type": ["string", "null"]},
                    "next_url": {"type": ["string", "null"]}
                }
            })),
        ))
        .errors(&[400, 404, 500, 503])),
    );

    let mut page_params = vec![dataset_id()];
    page_params.extend(row_parameters(false));
    add(
        "/api/datasets/{id}/rows",
        "/api/datasets/{id}/{resource}",
        get(Op::new(
            "rows",
            "rows",
            "Halaman baris / a page of rows",
            "A page of rows (100 by default, `_size` up to 1000) with filters, sort, columns, \
             full-text search, count and facets. Follow `next_url` until it is null; pages stay \
             correct while data is added between requests.",
        )
        .params(page_params)
        .ok(json_response("A page.", reference("RowsPage")))
        .cached()
        .errors(&[400, 404, 422, 500, 503])),
    );

    let mut export_params = vec![
        dataset_id(),
        path(
            "ext",
            enum_or_string(&dataset_exts, None),
            "A format's extension: csv, json, ndjson, or an exporter plugin's (GET /api/formats).",
        ),
    ];
    export_params.extend(row_parameters(true));
    export_params.push(query(
        "_bom",
        flag_schema(),
        "`.csv` only: start with a UTF-8 byte-order mark so Excel reads Indonesian text \
         correctly (400 on other formats).",
    ));
    add(
        "/api/datasets/{id}/rows.{ext}",
        "/api/datasets/{id}/{resource}",
        get(Op::new(
            "rows_export",
            "rows",
            "Unduh semua baris / download every row",
            &format!(
                "The whole filtered result, streamed in constant memory, as a file in the format \
                 `ext`. Same filters as the page; `_size` caps the rows and `_next` starts after \
                 a page token; `_count` and `_facet` are refused. Exporter plugins may take \
                 their own parameters (given like filters): {}.",
                exporter_parameter_list(live)
            ),
        )
        .params(export_params)
        .ok(download_response(&live.formats_for(false)))
        .cached()
        .errors(&[400, 404, 422, 429, 500, 502, 503, 504])),
    );
    add(
        "/api/datasets/{id}/rows/{key}",
        "/api/datasets/{id}/rows/{key}",
        get(Op::new(
            "row",
            "rows",
            "Satu baris / one row by its key",
            "The row whose primary key is `key` (as text, e.g. `33.03.05`).",
        )
        .params([
            dataset_id(),
            path(
                "key",
                json!({"type": "string"}),
                "The row's primary key value.",
            ),
        ])
        .ok(json_response("The row.", reference("Row")))
        .cached()
        .errors(&[400, 404, 422, 500, 503])),
    );

    add(
        "/api/datasets/{id}/queries",
        "/api/datasets/{id}/queries",
        get(Op::new(
            "queries",
            "sql",
            "Kueri siap pakai / canned queries",
            "The office's ready-made SQL questions on this dataset, with their parameters.",
        )
        .params([dataset_id()])
        .ok(json_response("The queries.", reference("CannedQueries")))
        .errors(&[400, 404, 500, 503])),
    );
    let query_name = || {
        path(
            "name",
            json!({"type": "string", "pattern": "^[^.]+$"}),
            "The query's name (GET /api/datasets/{id}/queries).",
        )
    };
    let mut canned_params = vec![dataset_id(), query_name()];
    canned_params.extend(sql_parameters(false, Some("json")));
    add(
        "/api/datasets/{id}/queries/{name}",
        "/api/datasets/{id}/queries/{name}",
        get(Op::new(
            "query_run",
            "sql",
            "Jalankan kueri / run a canned query",
            "Runs the query with its named parameters from the query string; JSON, at most \
             `_size` (1000) rows.",
        )
        .params(canned_params)
        .ok(json_response("The result.", reference("SqlResult")))
        .cached()
        .errors(&[400, 404, 429, 500, 503])),
    );
    let mut canned_export = vec![
        dataset_id(),
        query_name(),
        path(
            "ext",
            json!({"type": "string", "enum": ["csv", "json", "ndjson"]}),
            "csv, json or ndjson (SQL results come in the native formats only).",
        ),
    ];
    canned_export.extend(sql_parameters(false, None));
    add(
        "/api/datasets/{id}/queries/{name}.{ext}",
        "/api/datasets/{id}/queries/{name}",
        get(Op::new(
            "query_export",
            "sql",
            "Unduh hasil kueri / download a canned query's result",
            "Every row of the result, streamed (`_bom` on `.csv`).",
        )
        .params(canned_export)
        .ok(download_response(
            &live.formats.iter().filter(|f| f.native).collect::<Vec<_>>(),
        ))
        .cached()
        .errors(&[400, 404, 429, 500, 503])),
    );

    let indicator_id = || {
        path(
            "id",
            enum_or_string(&indicator_ids, Some("^[^.]+$")),
            "Indicator id (see /api/indicators).",
        )
    };
    let indicator_params = || {
        free_form(
            "parameters",
            json!({"type": "string"}),
            &format!(
                "The indicator's own parameters, each as `name=value`; an unknown one is refused \
                 (400). Any other name starting with `_` is refused. Declared now: {}.",
                indicator_parameter_list(live)
            ),
        )
    };
    add(
        "/api/indicators",
        "/api/indicators",
        get(Op::new(
            "indicators",
            "indicators",
            "Daftar indikator / list indicators",
            "Each indicator's BPS MS-Ind metadata (konsep, definisi, rumus, satuan, \
             interpretasi), parameters, inputs, plugin and links.",
        )
        .ok(json_response("The indicators.", reference("IndicatorList")))
        .cached()),
    );
    add(
        "/api/indicators/{id}",
        "/api/indicators/{id}",
        get(Op::new(
            "indicator",
            "indicators",
            "Hasil indikator / an indicator's result",
            "Runs the indicator (or answers from its result cache) and returns its metadata, \
             columns and rows.",
        )
        .params([indicator_id(), indicator_params()])
        .ok(json_response("The result.", reference("IndicatorResult")))
        .cached()
        .errors(&[400, 404, 422, 500, 502, 503, 504])),
    );
    add(
        "/api/indicators/{id}.{ext}",
        "/api/indicators/{id}",
        get(Op::new(
            "indicator_export",
            "indicators",
            "Unduh hasil indikator / download an indicator's result",
            &format!(
                "The result as a file in the format `ext`. Exporter plugins take their own \
                 parameters too: {}.",
                exporter_parameter_list(live)
            ),
        )
        .params([
            indicator_id(),
            path(
                "ext",
                enum_or_string(&indicator_exts, None),
                "A format's extension that fits indicators (GET /api/formats).",
            ),
            indicator_params(),
            query(
                "_bom",
                flag_schema(),
                "`.csv` only: start with a UTF-8 byte-order mark for Excel.",
            ),
        ])
        .ok(download_response(&live.formats_for(true)))
        .cached()
        .errors(&[400, 404, 422, 500, 502, 503, 504])),
    );

    add(
        "/api/plugins",
        "/api/plugins",
        get(Op::new(
            "plugins",
            "plugins",
            "Plugin terpasang / installed plugins",
            "Versions, sha256, status, limits, calls, errors and latency of every plugin.",
        )
        .ok(json_response("The plugins.", reference("PluginList")))
        .cached()),
    );
    add(
        "/api/plugins/{id}",
        "/api/plugins/{id}",
        get(Op::new(
            "plugin",
            "plugins",
            "Satu plugin / one plugin",
            "One plugin with every version recorded for it.",
        )
        .params([path(
            "id",
            enum_or_string(&live.plugins, None),
            "Plugin id (see /api/plugins).",
        )])
        .ok(json_response("The plugin.", reference("Plugin")))
        .cached()
        .errors(&[400, 404, 500, 503])),
    );

    for ext in [None, Some("csv"), Some("json"), Some("ndjson")] {
        let route = match ext {
            None => "/api/sql".to_string(),
            Some(ext) => format!("/api/sql.{ext}"),
        };
        let (ok, what) = match ext {
            None => (
                json_response(
                    "The result: at most `_size` rows (1000).",
                    reference("SqlResult"),
                ),
                "as a JSON object of at most 1000 rows".to_string(),
            ),
            Some(ext) => (
                download_response(
                    &live
                        .formats
                        .iter()
                        .filter(|f| f.extension == ext)
                        .collect::<Vec<_>>(),
                ),
                format!("as a streamed `.{ext}` file of every row"),
            ),
        };
        let suffix = ext.map(|e| format!("_{e}")).unwrap_or_default();
        let description = format!(
            "One read-only SELECT over the published datasets, {what}, within a deadline of 1 s. \
             SQLite itself enforces read-only; named parameters (`:name`) come from the query \
             string. Each client may have two statements running (429 beyond)."
        );
        let get_op = Op::new(
            &format!("sql{suffix}"),
            "sql",
            "SQL hanya-baca / read-only SQL",
            &description,
        )
        .params(sql_parameters(
            true,
            ext.or(Some("json")).filter(|_| ext.is_none()),
        ))
        .ok(ok.clone())
        .cached()
        .errors(&[400, 404, 429, 500, 503]);
        let post_op = Op::new(
            &format!("sql{suffix}_post"),
            "sql",
            "SQL hanya-baca (POST) / read-only SQL (POST)",
            &format!(
                "{description} The statement and parameters come in the body (a form, or JSON \
                 `{{\"sql\": \"...\", \"params\": {{\"name\": \"value\"}}}}`), and may also be in \
                 the query string. Not cached."
            ),
        )
        .body(sql_body(ext.is_none(), ext == Some("csv")))
        .ok(ok)
        .errors(&[400, 404, 413, 415, 429, 500, 503]);
        add(
            &route,
            &route,
            vec![
                (HttpMethod::Get, get_op.build()),
                (HttpMethod::Post, post_op.build()),
            ],
        );
    }
    out
}

/// The catalog endpoints of the other branch, in one place (see [`CATALOG_ROUTES`]).
fn catalog_paths(live: &Live) -> Vec<(String, PathItem)> {
    let simple = |route: &str, id: &str, summary: &str, description: &str, media: &str| {
        let op = Op::new(id, "catalog", summary, description)
            .ok(ResponseBuilder::new()
                .description("The catalog document.")
                .content(media, Content::new(Some(schema(json!({"type": "object"})))))
                .build())
            .cached()
            .errors(&[500, 503])
            .build();
        (route.to_string(), item(route, vec![(HttpMethod::Get, op)]))
    };
    let dataset_package = Op::new(
        "dataset_datapackage",
        "catalog",
        "Data Package satu dataset / one dataset's Data Package",
        "Frictionless Data Package descriptor of one dataset: its CSV resource, table schema \
         and sources.",
    )
    .params([path(
        "id",
        enum_or_string(&live.datasets, Some("^[a-z][a-z0-9_]*$")),
        "Dataset id (see /api/datasets).",
    )])
    .ok(ResponseBuilder::new()
        .description("The descriptor.")
        .content(
            "application/json",
            Content::new(Some(schema(json!({"type": "object"})))),
        )
        .build())
    .cached()
    .errors(&[400, 404, 500, 503])
    .build();
    vec![
        simple(
            "/catalog.jsonld",
            "catalog_dcat",
            "Katalog DCAT (JSON-LD) / DCAT catalog (JSON-LD)",
            "The catalog as DCAT in JSON-LD, for data portals and harvesters.",
            "application/ld+json",
        ),
        simple(
            "/data.json",
            "catalog_data_json",
            "Katalog data.json / data.json catalog",
            "The catalog as a data.json (DCAT-US style) listing for portals.",
            "application/json",
        ),
        simple(
            "/datapackage.json",
            "catalog_datapackage",
            "Data Package seluruh katalog / the whole catalog's Data Package",
            "Frictionless Data Package descriptor with one CSV resource per dataset.",
            "application/json",
        ),
        (
            "/datasets/{id}/datapackage.json".to_string(),
            item(
                "/datasets/{id}/datapackage.json",
                vec![(HttpMethod::Get, dataset_package)],
            ),
        ),
    ]
}

fn flag_schema() -> Value {
    json!({"type": "string", "enum": ["1", "0", "true", "false"]})
}

fn column_name() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": 1000})
}

/// The rows parameters, shared by the page and the export.
fn row_parameters(export: bool) -> Vec<Parameter> {
    let mut out = vec![
        free_form(
            "filters",
            json!({"type": "string", "maxLength": 1000}),
            "Column filters, any number of them: `{column}=value` (exact match) or \
             `{column}__{op}=value` with op one of exact, not, gt, gte, lt, lte, contains, \
             startswith, in (comma list), isnull (1 or 0). Columns are the dataset's (GET \
             /api/datasets/{id}); an unknown column or operator is refused (400). Names starting \
             with `_` are reserved for the parameters below.",
        ),
        query(
            "_sort",
            column_name(),
            "Sort ascending by this column (not with `_sort_desc`).",
        ),
        query(
            "_sort_desc",
            column_name(),
            "Sort descending by this column (not with `_sort`).",
        ),
        query(
            "_size",
            if export {
                json!({"type": "integer", "minimum": 1})
            } else {
                json!({"type": "integer", "minimum": 1, "maximum": 1000, "default": 100})
            },
            if export {
                "At most this many rows."
            } else {
                "Rows per page, 1 to 1000 (default 100)."
            },
        ),
        query(
            "_next",
            json!({"type": "string"}),
            "The `next` token of the previous page.",
        ),
        ParameterBuilder::from(query(
            "_col",
            json!({"type": "array", "items": column_name()}),
            "Columns to return, a comma list (repeatable).",
        ))
        .style(Some(ParameterStyle::Form))
        .explode(Some(true))
        .build(),
        query(
            "_q",
            json!({"type": "string", "maxLength": 1000}),
            "Full-text search in the dataset's text columns (words, not FTS syntax).",
        ),
        query(
            "_as_of",
            json!({"type": "integer", "minimum": 1}),
            "A revision number: the data as it was then, citable forever.",
        ),
    ];
    if !export {
        out.push(
            ParameterBuilder::from(query(
                "_facet",
                json!({"type": "array", "items": column_name(), "maxItems": 10}),
                "Count the values of these columns in the filtered rows (repeatable; at most 10).",
            ))
            .style(Some(ParameterStyle::Form))
            .explode(Some(true))
            .build(),
        );
        out.push(query(
            "_count",
            flag_schema(),
            "1 to include the total count of the filtered rows.",
        ));
    }
    out
}

/// The SQL parameters: the statement (ad-hoc only), named parameters and options. `json`
/// marks the JSON-object answer, where `_size` applies.
fn sql_parameters(adhoc: bool, json_output: Option<&str>) -> Vec<Parameter> {
    let mut out = Vec::new();
    if adhoc {
        out.push(
            param(
                "sql",
                ParameterIn::Query,
                true,
                json!({"type": "string", "minLength": 1}),
                "One SELECT statement (or WITH ... SELECT) over the published datasets.",
            )
            .build(),
        );
    }
    out.push(free_form(
        "params",
        json!({"type": "string", "maxLength": 1000}),
        "Values of the statement's named parameters (`:name`), each as `name=value`. Names \
         starting with `_` are reserved; `lang` is ignored (the web forms send it).",
    ));
    out.push(query(
        "_timelimit",
        json!({"type": "integer", "minimum": 1, "maximum": 1000}),
        "Deadline in milliseconds (at most 1000, the default).",
    ));
    out.push(query(
        "_as_of",
        json!({"type": "integer", "minimum": 1}),
        "Read every table as it was at this revision.",
    ));
    if json_output.is_some() {
        out.push(query(
            "_size",
            json!({"type": "integer", "minimum": 1, "maximum": 1000}),
            "At most this many rows (default and maximum 1000); `truncated` says if more there were.",
        ));
    } else {
        out.push(query(
            "_bom",
            flag_schema(),
            "`.csv` only: start with a UTF-8 byte-order mark for Excel (400 on other formats).",
        ));
    }
    out
}

fn sql_body(json_output: bool, csv: bool) -> utoipa::openapi::request_body::RequestBody {
    let mut form = json!({
        "type": "object",
        "properties": {
            "sql": {"type": "string", "minLength": 1},
            "_timelimit": {"type": "string", "pattern": "^[0-9]+$"},
            "_as_of": {"type": "string", "pattern": "^[0-9]+$"},
        },
        "additionalProperties": {"type": "string", "maxLength": 1000},
    });
    let mut body = json!({
        "type": "object",
        "properties": {
            "sql": {"type": "string", "minLength": 1},
            "params": {
                "type": "object",
                "description": "Named parameters; numbers and booleans are sent as text, null is left out.",
                "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
            },
            "_timelimit": {"type": ["integer", "string"]},
            "_as_of": {"type": ["integer", "string"]},
        },
        "additionalProperties": {"type": ["string", "number"]},
    });
    if json_output {
        form["properties"]["_size"] = json!({"type": "string", "pattern": "^[0-9]+$"});
        body["properties"]["_size"] = json!({"type": ["integer", "string"]});
    }
    if csv {
        form["properties"]["_bom"] = json!({"type": "string", "enum": ["1", "0", "true", "false"]});
        body["properties"]["_bom"] = json!({"type": "string", "enum": ["1", "0", "true", "false"]});
    }
    RequestBodyBuilder::new()
        .description(Some(
            "The statement and its parameters: a form (`sql=...&name=value`) or JSON.",
        ))
        .required(Some(Required::True))
        .content(
            "application/x-www-form-urlencoded",
            Content::new(Some(schema(form))),
        )
        .content("application/json", Content::new(Some(schema(body))))
        .build()
}

/// A download in any of `formats`, keyed by media type without parameters.
fn download_response(formats: &[&FormatInfo]) -> ApiResponse {
    let mut builder = ResponseBuilder::new()
        .description("The file. `Content-Disposition: attachment` for formats meant to be saved.")
        .header(
            "ETag",
            etag_header("Weak validator; includes the exporter plugin's version."),
        );
    let mut seen = BTreeSet::new();
    for format in formats {
        let media = format
            .media_type
            .split(';')
            .next()
            .unwrap_or("application/octet-stream")
            .trim()
            .to_string();
        if !seen.insert(media.clone()) {
            continue;
        }
        let body = if media == "application/json" || media.ends_with("+json") {
            json!({"type": ["object", "array"]})
        } else {
            json!({"type": "string"})
        };
        builder = builder.content(media, Content::new(Some(schema(body))));
    }
    if formats.is_empty() {
        builder = builder.content("*/*", Content::new(Some(schema(json!({"type": "string"})))));
    }
    builder.build()
}

fn describe_parameters(list: &[(String, Vec<Value>)], owner: &str) -> String {
    let described: Vec<String> = list
        .iter()
        .filter(|(_, params)| !params.is_empty())
        .map(|(id, params)| {
            let names: Vec<String> = params
                .iter()
                .map(|p| {
                    let name = p["name"].as_str().unwrap_or("?");
                    match p.get("default") {
                        Some(d) if !d.is_null() => format!("`{name}` (default {d})"),
                        _ => format!("`{name}`"),
                    }
                })
                .collect();
            format!("{owner} `{id}`: {}", names.join(", "))
        })
        .collect();
    if described.is_empty() {
        "none".to_string()
    } else {
        described.join("; ")
    }
}

fn indicator_parameter_list(live: &Live) -> String {
    describe_parameters(&live.indicators, "indicator")
}

fn exporter_parameter_list(live: &Live) -> String {
    describe_parameters(&live.exporter_parameters, "format")
}

fn component_schemas() -> Vec<(&'static str, Value)> {
    let bilingual = json!({
        "type": "object",
        "required": ["id", "en"],
        "properties": {"id": {"type": "string"}, "en": {"type": "string"}},
    });
    let links = json!({"type": "object", "additionalProperties": {"type": "string"}});
    vec![
        (
            "Error",
            json!({
                "type": "object",
                "required": ["error"],
                "properties": {"error": {
                    "type": "object",
                    "required": ["code", "message", "hint"],
                    "properties": {
                        "code": {"type": "string", "description": "Stable, machine-readable, e.g. unknown_column."},
                        "message": {"type": "string", "description": "What was wrong."},
                        "hint": {"type": "string", "description": "How to fix it."},
                    },
                }},
            }),
        ),
        ("Bilingual", bilingual),
        (
            "Health",
            json!({"type": "object", "required": ["status"], "properties": {
                "status": {"type": "string", "enum": ["ok"]},
                "capacity": {"type": "object"}
            }}),
        ),
        (
            "Index",
            json!({
                "type": "object",
                "required": ["name", "version", "links"],
                "properties": {
                    "name": {"type": "string"},
                    "description": {"$ref": "#/components/schemas/Bilingual"},
                    "version": {"type": "string"},
                    "links": links,
                    "parameters": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            }),
        ),
        (
            "Format",
            json!({
                "type": "object",
                "required": ["extension", "media_type", "title", "native", "datasets", "indicators"],
                "properties": {
                    "extension": {"type": "string"},
                    "media_type": {"type": "string"},
                    "title": {"$ref": "#/components/schemas/Bilingual"},
                    "native": {"type": "boolean"},
                    "datasets": {"type": "boolean"},
                    "indicators": {"type": "boolean"},
                    "plugin": {"type": "string", "description": "The exporter plugin providing it."},
                },
            }),
        ),
        (
            "Formats",
            json!({
                "type": "object",
                "required": ["formats"],
                "properties": {"formats": {"type": "array", "items": {"$ref": "#/components/schemas/Format"}}},
            }),
        ),
        (
            "DatasetSummary",
            json!({
                "type": "object",
                "required": ["id", "title", "description", "licence", "revision", "row_count", "links"],
                "properties": {
                    "id": {"type": "string"},
                    "title": {"$ref": "#/components/schemas/Bilingual"},
                    "description": {"$ref": "#/components/schemas/Bilingual"},
                    "licence": {"type": "string"},
                    "synthetic": {"type": "boolean"},
                    "revision": {"type": "integer"},
                    "row_count": {"type": "integer"},
                    "updated_at": {"type": ["string", "null"]},
                    "links": links,
                },
            }),
        ),
        (
            "DatasetList",
            json!({
                "type": "object",
                "required": ["datasets"],
                "properties": {"datasets": {"type": "array", "items": {"$ref": "#/components/schemas/DatasetSummary"}}},
            }),
        ),
        (
            "Column",
            json!({
                "type": "object",
                "required": ["name", "type", "title"],
                "properties": {
                    "name": {"type": "string"},
                    "type": {"type": "string", "description": "text, integer, real, boolean, date..."},
                    "title": {"$ref": "#/components/schemas/Bilingual"},
                    "description": {"$ref": "#/components/schemas/Bilingual"},
                    "unit": {"type": ["string", "null"]},
                    "searchable": {"type": "boolean"},
                    "codes": {"type": "string", "description": "dataset:column holding the code list"},
                },
            }),
        ),
        (
            "Dataset",
            json!({"allOf": [
                {"$ref": "#/components/schemas/DatasetSummary"},
                {
                    "type": "object",
                    "required": ["columns", "primary_key", "sources", "formats"],
                    "properties": {
                        "columns": {"type": "array", "items": {"$ref": "#/components/schemas/Column"}},
                        "primary_key": {"type": "string"},
                        "source_column": {"type": ["string", "null"]},
                        "searchable": {"type": "boolean"},
                        "sources": {"type": "array", "items": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}},
                        "formats": {"type": "array", "items": {"type": "string"}},
                    },
                },
            ]}),
        ),
        (
            "Revisions",
            json!({
                "type": "object",
                "required": ["revisions"],
                "properties": {"revisions": {"type": "array", "items": {
                    "type": "object",
                    "required": ["revision", "dataset", "created_at"],
                    "properties": {
                        "revision": {"type": "integer"},
                        "dataset": {"type": ["string", "null"]},
                        "author": {"type": ["string", "null"]},
                        "message": {"type": ["string", "null"]},
                        "created_at": {"type": "string"},
                        "rows_added": {"type": "integer"},
                        "rows_changed": {"type": "integer"},
                        "rows_removed": {"type": "integer"},
                    },
                }}},
            }),
        ),
        (
            "RowObject",
            json!({
                "type": "object",
                "description": "One row: column name to value (string, number, boolean or null).",
                "additionalProperties": {"type": ["string", "number", "integer", "boolean", "null"]},
            }),
        ),
        (
            "RowsPage",
            json!({
                "type": "object",
                "required": ["dataset", "revision", "columns", "rows", "next", "next_url"],
                "properties": {
                    "dataset": {"type": "string"},
                    "revision": {"type": "integer"},
                    "columns": {"type": "array", "items": {"type": "string"}},
                    "rows": {"type": "array", "items": {"$ref": "#/components/schemas/RowObject"}},
                    "next": {"type": ["string", "null"], "description": "Token for `_next`; null on the last page."},
                    "next_url": {"type": ["string", "null"], "description": "The next page's URL; null on the last page."},
                    "count": {"type": "integer", "description": "With `_count=1`: rows matching the filters."},
                    "facets": {
                        "type": "object",
                        "description": "With `_facet`: per column, its values and their counts.",
                        "additionalProperties": {
                            "type": "object",
                            "required": ["values", "truncated"],
                            "properties": {
                                "truncated": {"type": "boolean"},
                                "values": {"type": "array", "items": {
                                    "type": "object",
                                    "required": ["value", "count"],
                                    "properties": {"value": {"type": ["string", "number", "integer", "boolean", "null"]}, "count": {"type": "integer"}},
                                }},
                            },
                        },
                    },
                },
            }),
        ),
        (
            "Row",
            json!({
                "type": "object",
                "required": ["dataset", "revision", "row"],
                "properties": {
                    "dataset": {"type": "string"},
                    "revision": {"type": "integer"},
                    "row": {"$ref": "#/components/schemas/RowObject"},
                },
            }),
        ),
        (
            "SqlResult",
            json!({
                "type": "object",
                "required": ["revision", "columns", "rows", "row_count", "truncated"],
                "properties": {
                    "revision": {"type": "integer"},
                    "columns": {"type": "array", "items": {
                        "type": "object",
                        "required": ["name"],
                        "properties": {"name": {"type": "string"}, "type": {"type": ["string", "null"]}},
                    }},
                    "rows": {"type": "array", "items": {"$ref": "#/components/schemas/RowObject"}},
                    "row_count": {"type": "integer"},
                    "truncated": {"type": "boolean"},
                },
            }),
        ),
        (
            "CannedQueries",
            json!({
                "type": "object",
                "required": ["queries"],
                "properties": {"queries": {"type": "array", "items": {
                    "type": "object",
                    "required": ["name", "sql", "parameters", "links"],
                    "properties": {
                        "name": {"type": "string"},
                        "title": {"$ref": "#/components/schemas/Bilingual"},
                        "description": {"$ref": "#/components/schemas/Bilingual"},
                        "sql": {"type": "string"},
                        "parameters": {"type": "array", "items": {"type": "string"}},
                        "links": links,
                    },
                }}},
            }),
        ),
        (
            "Indicator",
            json!({
                "type": "object",
                "description": "An indicator's manifest (BPS MS-Ind fields are bilingual) with its plugin and links.",
                "required": ["id", "parameters", "plugin", "links"],
                "properties": {
                    "id": {"type": "string"},
                    "parameters": {"type": "array", "items": {"type": "object"}},
                    "inputs": {"type": "array", "items": {"type": "object"}},
                    "plugin": {
                        "type": "object",
                        "required": ["id", "version", "sha256"],
                        "properties": {"id": {"type": "string"}, "version": {"type": "string"}, "sha256": {"type": "string"}},
                    },
                    "links": links,
                },
            }),
        ),
        (
            "IndicatorList",
            json!({
                "type": "object",
                "required": ["indicators"],
                "properties": {"indicators": {"type": "array", "items": {"$ref": "#/components/schemas/Indicator"}}},
            }),
        ),
        (
            "IndicatorResult",
            json!({
                "type": "object",
                "required": ["indicator", "revision", "columns", "rows"],
                "properties": {
                    "indicator": {"$ref": "#/components/schemas/Indicator"},
                    "revision": {"type": "integer"},
                    "columns": {"type": "array", "items": {
                        "type": "object",
                        "required": ["name", "type", "role"],
                        "properties": {
                            "name": {"type": "string"},
                            "type": {"type": "string"},
                            "role": {"type": "string"},
                            "title": {"$ref": "#/components/schemas/Bilingual"},
                            "description": {"$ref": "#/components/schemas/Bilingual"},
                            "unit": {"type": ["string", "null"]},
                        },
                    }},
                    "rows": {"type": "array", "items": {"$ref": "#/components/schemas/RowObject"}},
                },
            }),
        ),
        (
            "Plugin",
            json!({
                "type": "object",
                "required": ["id", "version", "kind", "sha256", "status", "limits", "links"],
                "properties": {
                    "id": {"type": "string"},
                    "version": {"type": "string"},
                    "kind": {"type": "string", "enum": ["indicator", "exporter"]},
                    "sha256": {"type": "string"},
                    "size_bytes": {"type": "integer"},
                    "status": {"type": "string", "enum": ["active", "disabled"]},
                    "source": {"type": "string"},
                    "installed_at": {"type": ["string", "null"]},
                    "format": {"oneOf": [{"$ref": "#/components/schemas/Format"}, {"type": "null"}]},
                    "limits": {"type": "object"},
                    "calls": {"type": "integer"},
                    "errors": {"type": "integer"},
                    "cache_hits": {"type": "integer"},
                    "p50_ms": {"type": ["number", "null"]},
                    "p99_ms": {"type": ["number", "null"]},
                    "manifest": {"type": ["object", "null"]},
                    "links": links,
                    "versions": {"type": "array", "items": {"type": "object"}},
                    "bundled_version_available": {"type": "boolean"},
                },
            }),
        ),
        (
            "PluginList",
            json!({
                "type": "object",
                "required": ["plugins"],
                "properties": {"plugins": {"type": "array", "items": {"$ref": "#/components/schemas/Plugin"}}},
            }),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes_of(document: &Value) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        for (_, item) in document["paths"].as_object().expect("paths") {
            let route = item["x-logam-route"].as_str().expect("x-logam-route");
            for method in ["get", "post", "put", "delete", "patch"] {
                if item.get(method).is_some() {
                    out.insert((route.to_string(), method.to_uppercase()));
                }
            }
        }
        out
    }

    #[test]
    fn document_paths_and_route_list_agree() {
        let document = serde_json::to_value(document(&Live::default())).unwrap();
        let listed: BTreeSet<(String, String)> = OPEN_ROUTES
            .iter()
            .chain(CATALOG_ROUTES)
            .flat_map(|(path, methods)| methods.iter().map(|m| (path.to_string(), m.to_string())))
            .collect();
        assert_eq!(routes_of(&document), listed);
    }

    #[test]
    fn document_is_openapi_3_1_with_the_error_shape() {
        let document = serde_json::to_value(document(&Live::default())).unwrap();
        assert_eq!(document["openapi"], "3.1.0");
        assert_eq!(
            document["components"]["schemas"]["Error"]["properties"]["error"]["required"],
            json!(["code", "message", "hint"])
        );
    }

    #[test]
    fn route_check_names_what_is_missing_and_what_is_unlisted() {
        let all: Vec<&str> = OPEN_ROUTES.iter().map(|(p, _)| *p).collect();
        assert!(check_routes(&all).is_ok());
        let mut with_catalog = all.clone();
        with_catalog.push("/data.json");
        assert!(check_routes(&with_catalog).is_ok());
        let err = check_routes(&all[1..]).unwrap_err();
        assert!(err.contains("/healthz"), "{err}");
        let mut extra = all.clone();
        extra.push("/api/new");
        assert!(check_routes(&extra).unwrap_err().contains("/api/new"));
    }

    #[test]
    fn allow_lists_head_with_get() {
        assert_eq!(
            allowed_methods("/api/sql").as_deref(),
            Some("GET, HEAD, POST")
        );
        assert_eq!(allowed_methods("/api").as_deref(), Some("GET, HEAD"));
        assert_eq!(allowed_methods("/nowhere"), None);
    }
}
