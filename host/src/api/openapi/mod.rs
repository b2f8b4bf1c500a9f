//! The API contract, `GET /openapi.json` (OpenAPI 3.1), derived from the handlers.
//!
//! Every open handler carries `#[utoipa::path]`: its path, its parameters as the types it
//! reads (`IntoParams`: `api/params.rs`, `http/params.rs` and beside each handler), its
//! answers as the types it writes (`ToSchema`: `api/schema.rs` and the store's own) and the
//! error answers of [`responses`]. [`ApiDoc`] only lists the handlers. The router is checked
//! against the document at start ([`routes`]), so a route cannot be served undescribed, and a
//! parameter a handler reads cannot go undocumented (see `http/declared.rs`).
//!
//! What only the running server knows (the ids of its datasets, indicators and plugins, the
//! formats its exporters add, and their parameters) is filled in per request by [`live`], so
//! the enums say what this server holds now; the shape of every path stays the same.

mod live;
pub mod responses;
mod routes;

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};
use utoipa::OpenApi;

pub use live::Live;
pub use routes::{Recorder, allowed_methods};

use crate::http::caching::json_tagged;
use crate::http::{ApiError, AppState};
use responses::{
    BadGateway, BadRequest, GatewayTimeout, NotFound, NotModified, PayloadTooLarge, ServerError,
    ServerErrors, TooManyRequests, Unavailable, Unprocessable, UnsupportedMediaType,
};

const INFO_DESCRIPTION: &str = "Data terbuka IKM logam Purbalingga: API terbuka, hanya-baca. \
Setiap galat berbentuk `{\"error\": {\"code\", \"message\", \"hint\"}}`. \
Nilai parameter paling panjang 1000 bita, paling banyak 64 parameter per permintaan.\n\n\
Open data on Purbalingga's small metal-working industry: an open, read-only API. Every error \
is `{\"error\": {\"code\", \"message\", \"hint\"}}`. Query values are at most 1000 bytes, at \
most 64 parameters per request. Responses carry weak ETags and `Cache-Control: public, \
max-age=60`; an `If-None-Match` that still matches gets 304. When the server is at capacity \
it answers 503 with `Retry-After` at once rather than queueing. The admin endpoints \
(`/admin/*`, bearer token) are not part of this open contract.";

/// The open handlers. The order is the document's (and `/api/docs`') order.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "logam",
        description = INFO_DESCRIPTION,
        license(
            name = "Apache-2.0 (kode / code); lisensi data per dataset / data licence per dataset",
            identifier = "Apache-2.0"
        )
    ),
    paths(
        super::healthz,
        super::index,
        super::formats,
        openapi_json,
        super::api_docs::page,
        super::datasets::list,
        super::datasets::show,
        super::datasets::revisions,
        super::import::changes,
        super::rows::page,
        super::rows::export,
        super::rows::row,
        super::sql::canned_list,
        super::sql::canned_run_json,
        super::sql::canned_run_export,
        super::indicators::list,
        super::indicators::show_json,
        super::indicators::show_export,
        super::plugins::list,
        super::plugins::show,
        super::sql::sql_get,
        super::sql::sql_post,
        super::sql::sql_csv_get,
        super::sql::sql_csv_post,
        super::sql::sql_json_get,
        super::sql::sql_json_post,
        super::sql::sql_ndjson_get,
        super::sql::sql_ndjson_post,
        super::catalog::dcat,
        super::catalog::pod,
        super::catalog::package,
        super::catalog::dataset_package,
        crate::http::metrics::metrics,
    ),
    components(schemas(crate::http::ErrorBody), responses(
        BadRequest,
        NotFound,
        PayloadTooLarge,
        UnsupportedMediaType,
        Unprocessable,
        TooManyRequests,
        ServerError,
        BadGateway,
        Unavailable,
        GatewayTimeout,
        NotModified,
    )),
    tags(
        (name = "meta", description = "Indeks, kesehatan, format, dokumen ini / index, health, formats, this document"),
        (name = "datasets", description = "Dataset dan metadata / datasets and their metadata"),
        (name = "rows", description = "Baris, filter, halaman, unduhan / rows, filters, pages, downloads"),
        (name = "sql", description = "SQL hanya-baca dan kueri siap pakai / read-only SQL and canned queries"),
        (name = "indicators", description = "Indikator dari plugin / indicators computed by plugins"),
        (name = "plugins", description = "Plugin terpasang / installed plugins"),
        (name = "catalog", description = "Katalog DCAT, data.json dan Data Package / DCAT, data.json and Data Package catalogs"),
    )
)]
pub struct ApiDoc;

/// The document as derived, with what every operation shares (see [`finish`]); built once.
fn derived() -> &'static Value {
    static DERIVED: OnceLock<Value> = OnceLock::new();
    DERIVED.get_or_init(|| {
        let mut document = serde_json::to_value(ApiDoc::openapi()).unwrap_or(Value::Null);
        finish(&mut document);
        document
    })
}

/// What the HTTP layer adds to every operation rather than any handler: a 414 from hyper for
/// an over-long request line, and the weak ETag on every answer that a conditional GET can
/// turn into a 304.
fn finish(document: &mut Value) {
    let Some(paths) = document["paths"].as_object_mut() else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for operation in item.values_mut() {
            let Some(responses) = operation
                .get_mut("responses")
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            let conditional = responses.contains_key("304");
            if conditional && let Some(ok) = responses.get_mut("200") {
                ok["headers"]["ETag"] = json!({
                    "schema": {"type": "string"},
                    "description": "Weak validator for If-None-Match; a download's includes its exporter plugin's version.",
                });
            }
            responses.insert(
                "414".into(),
                json!({"description": "URI too long: refused by the HTTP layer, without a body."}),
            );
        }
    }
}

/// The document for this server now.
pub fn document(live: &Live) -> Value {
    let mut document = derived().clone();
    live::specialise(&mut document, live);
    document
}

/// Dokumen OpenAPI ini / this OpenAPI document
///
/// OpenAPI 3.1, derived from the handlers. The enums of ids and extensions are those of this
/// server now.
#[utoipa::path(get, path = "/openapi.json", tag = "meta", operation_id = "openapi",
    params(super::params::Conditional),
    responses(
        (status = 200, description = "The document.", body = Object),
        (status = 304, response = NotModified),
        ServerErrors,
    ))]
pub async fn openapi_json(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let live = Live::read(&app).await?;
    Ok(json_tagged(&headers, &document(&live)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_is_openapi_3_1_with_the_error_shape() {
        let document = document(&Live::default());
        assert_eq!(document["openapi"], "3.1.0");
        assert_eq!(
            document["components"]["schemas"]["Error"]["properties"]["error"]["$ref"],
            json!("#/components/schemas/ErrorDetail")
        );
        assert_eq!(
            document["components"]["schemas"]["ErrorDetail"]["required"],
            json!(["code", "message", "hint"])
        );
    }

    /// A handler's declared parameters are the document's: the rows page lists every field of
    /// `PageParams`, with its constraints.
    #[test]
    fn parameters_come_from_the_handlers_types() {
        let document = document(&Live::default());
        let parameters = document["paths"]["/api/datasets/{id}/rows"]["get"]["parameters"]
            .as_array()
            .expect("parameters");
        let names: Vec<&str> = parameters
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        for name in [
            "id",
            "filters",
            "_sort",
            "_size",
            "_facet",
            "_count",
            "If-None-Match",
        ] {
            assert!(names.contains(&name), "{name} in {names:?}");
        }
        let size = parameters
            .iter()
            .find(|p| p["name"] == "_size")
            .expect("_size");
        assert_eq!(size["schema"]["maximum"], json!(1000));
        assert_eq!(size["in"], json!("query"));
        let responses = &document["paths"]["/api/datasets/{id}/rows"]["get"]["responses"];
        for (status, name) in [
            ("400", "BadRequest"),
            ("404", "NotFound"),
            ("422", "Unprocessable"),
            ("503", "Unavailable"),
        ] {
            assert_eq!(
                responses[status]["$ref"],
                json!(format!("#/components/responses/{name}")),
                "{status}"
            );
        }
    }

    #[test]
    fn every_operation_can_answer_414_and_conditional_ones_carry_an_etag() {
        let document = document(&Live::default());
        for (path, item) in document["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("item") {
                let responses = &operation["responses"];
                assert!(responses.get("414").is_some(), "{method} {path}");
                if responses.get("304").is_some() {
                    assert!(
                        responses["200"]["headers"].get("ETag").is_some(),
                        "{method} {path}"
                    );
                }
            }
        }
    }
}
