//! Exporter `geojson`: a dataset with coordinates as an RFC 7946 GeoJSON FeatureCollection
//! of Point features, streamed batch by batch.
//!
//! - Coordinates come from the columns named `lat` / `latitude` and `lon` / `lng` /
//!   `longitude` (any case), which must be integer or real. A table without both is
//!   `unsupported`.
//! - A row whose latitude or longitude is null, not finite or out of range is kept as a
//!   feature with `"geometry": null` (RFC 7946 §3.2 allows unlocated features), so the file
//!   has every row of the table; parameter `skip-unlocated=true` leaves such rows out.
//! - Every other column becomes a property with its JSON type (text and dates as strings,
//!   nulls as null). When the table has exactly one dimension column (a dataset's primary
//!   key), its value is also the feature's `id`.
//! - The collection carries foreign members `name` (the dataset id, which GDAL uses as the
//!   layer name), `title`, `licence` and `attribution` (the citation line).

use std::fmt::Write as _;

use logam_plugin_kit::text::{json_string, push_f64};
use logam_plugin_kit::{
    Batch, Bilingual, Cell, ColumnInfo, ColumnType, DatasetMeta, Exporter, ExporterInfo, Parameter,
    Params, PluginError, Role, Scalar, Targets,
};

/// Column names taken as latitude and longitude, compared without regard to case.
pub const LATITUDE_NAMES: [&str; 2] = ["lat", "latitude"];
pub const LONGITUDE_NAMES: [&str; 3] = ["lon", "lng", "longitude"];

/// Finds the latitude and longitude columns of a schema.
pub fn coordinate_columns(schema: &[ColumnInfo]) -> Result<(usize, usize), PluginError> {
    let find = |names: &[&str], what: &str| {
        let index = schema
            .iter()
            .position(|c| names.iter().any(|n| c.name.eq_ignore_ascii_case(n)))
            .ok_or_else(|| {
                PluginError::Unsupported(format!(
                    "GeoJSON butuh kolom {what} bernama {}; tabel ini tidak punya",
                    names.join(" atau ")
                ))
            })?;
        if !schema[index].column_type.is_numeric() {
            return Err(PluginError::Unsupported(format!(
                "kolom {} harus angka, bukan {}",
                schema[index].name,
                schema[index].column_type.as_str()
            )));
        }
        Ok(index)
    };
    Ok((
        find(&LATITUDE_NAMES, "lintang")?,
        find(&LONGITUDE_NAMES, "bujur")?,
    ))
}

/// The point of a row: (longitude, latitude) when both are present, finite and in range.
pub fn point(lat: Cell<'_>, lon: Cell<'_>) -> Option<(f64, f64)> {
    let (lat, lon) = (lat.as_f64()?, lon.as_f64()?);
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lon, lat))
}

/// Appends a cell as a JSON value.
fn json_value(out: &mut String, cell: Cell<'_>) {
    match cell {
        Cell::Null => out.push_str("null"),
        Cell::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        Cell::Real(r) => {
            if !push_f64(out, r) {
                out.push_str("null");
            }
        }
        Cell::Boolean(b) => out.push_str(if b { "true" } else { "false" }),
        Cell::Text(s) => json_string(out, s),
    }
}

struct Layout {
    lat: usize,
    lon: usize,
    /// Columns that become properties, with their key already encoded (`"nama":`).
    properties: Vec<(usize, String)>,
    /// The column that gives the feature id.
    id: Option<usize>,
}

/// The streaming encoder.
pub struct GeoJson {
    layout: Result<Layout, PluginError>,
    skip_unlocated: Result<bool, PluginError>,
    header: String,
    started: bool,
    features: u64,
}

impl GeoJson {
    fn start(&mut self, out: &mut String) {
        if !self.started {
            out.push_str(&self.header);
            self.started = true;
        }
    }
}

impl Exporter for GeoJson {
    fn info() -> ExporterInfo {
        ExporterInfo {
            id: "geojson".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            title: Bilingual::new("GeoJSON", "GeoJSON"),
            description: Bilingual::new(
                "FeatureCollection GeoJSON (RFC 7946) berisi titik dari kolom lat/lon (atau latitude/longitude); baris tanpa koordinat menjadi fitur dengan geometry null.",
                "GeoJSON FeatureCollection (RFC 7946) of points from the lat/lon (or latitude/longitude) columns; rows without coordinates become features with a null geometry.",
            ),
            media_type: "application/geo+json".into(),
            extension: "geojson".into(),
            targets: Targets {
                datasets: true,
                indicators: false,
            },
            parameters: vec![Parameter {
                name: "skip-unlocated".into(),
                column_type: ColumnType::Boolean,
                required: false,
                default: Some(Scalar::Boolean(false)),
                title: Bilingual::new(
                    "Lewati baris tanpa koordinat",
                    "Skip rows without coordinates",
                ),
                description: Bilingual::new(
                    "true: baris tanpa koordinat yang sah tidak dimuat; false (bawaan): dimuat dengan geometry null.",
                    "true: rows without valid coordinates are left out; false (default): they are kept with a null geometry.",
                ),
            }],
        }
    }

    fn new(schema: Vec<ColumnInfo>, meta: DatasetMeta, params: Params) -> Self {
        let layout = coordinate_columns(&schema).map(|(lat, lon)| {
            let dimensions: Vec<usize> = (0..schema.len())
                .filter(|&i| schema[i].role == Role::Dimension)
                .collect();
            let properties = (0..schema.len())
                .filter(|&i| i != lat && i != lon)
                .map(|i| {
                    let mut key = String::new();
                    json_string(&mut key, &schema[i].name);
                    key.push(':');
                    (i, key)
                })
                .collect();
            Layout {
                lat,
                lon,
                properties,
                id: (dimensions.len() == 1).then(|| dimensions[0]),
            }
        });
        let mut header = String::from("{\"type\":\"FeatureCollection\",\"name\":");
        json_string(&mut header, &meta.id);
        header.push_str(",\"title\":");
        json_string(&mut header, meta.title.get("id"));
        header.push_str(",\"licence\":");
        json_string(&mut header, &meta.licence);
        header.push_str(",\"attribution\":");
        json_string(&mut header, &meta.citation_line("id"));
        header.push_str(",\"features\":[");
        GeoJson {
            layout,
            skip_unlocated: params.boolean("skip-unlocated").map(|b| b.unwrap_or(false)),
            header,
            started: false,
            features: 0,
        }
    }

    fn write(&mut self, batch: &Batch) -> Result<Vec<u8>, PluginError> {
        let skip = self.skip_unlocated.clone()?;
        let layout = self.layout.as_ref().map_err(Clone::clone)?;
        let mut out = String::with_capacity(batch.rows * 128 + self.header.len());
        if !self.started {
            out.push_str(&self.header);
            self.started = true;
        }
        let (lat, lon) = (layout.lat, layout.lon);
        let mut features = self.features;
        for row in 0..batch.rows {
            let point = point(batch.cell(lat, row), batch.cell(lon, row));
            if point.is_none() && skip {
                continue;
            }
            out.push_str(if features == 0 { "\n" } else { ",\n" });
            features += 1;
            out.push_str("{\"type\":\"Feature\",");
            if let Some(id) = layout.id
                && let cell @ (Cell::Integer(_) | Cell::Text(_)) = batch.cell(id, row)
            {
                out.push_str("\"id\":");
                json_value(&mut out, cell);
                out.push(',');
            }
            match point {
                Some((x, y)) => {
                    out.push_str("\"geometry\":{\"type\":\"Point\",\"coordinates\":[");
                    push_f64(&mut out, x);
                    out.push(',');
                    push_f64(&mut out, y);
                    out.push_str("]},");
                }
                None => out.push_str("\"geometry\":null,"),
            }
            out.push_str("\"properties\":{");
            for (n, (column, key)) in layout.properties.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                out.push_str(key);
                json_value(&mut out, batch.cell(*column, row));
            }
            out.push_str("}}");
        }
        self.features = features;
        Ok(out.into_bytes())
    }

    fn finish(&mut self) -> Result<Vec<u8>, PluginError> {
        self.skip_unlocated.clone()?;
        self.layout.as_ref().map_err(Clone::clone)?;
        let mut out = String::new();
        self.start(&mut out);
        out.push_str("\n]}\n");
        Ok(out.into_bytes())
    }
}

logam_plugin_kit::exporter_component!(GeoJson, "../../wit");

#[cfg(test)]
mod tests {
    use super::*;
    use logam_plugin_kit::{Param, run_exporter, testing};

    fn export(id: &str, params: Vec<Param>) -> Result<String, PluginError> {
        let (schema, batch) = testing::dataset(id);
        run_exporter::<GeoJson>(schema, testing::meta(id), params, &[batch])
            .map(|bytes| String::from_utf8(bytes).unwrap())
    }

    #[test]
    fn wilayah_is_a_valid_feature_collection() {
        let text = export("wilayah", vec![]).unwrap();
        let geojson: geojson::GeoJson = text.parse().expect("a GeoJSON parser reads it");
        let geojson::GeoJson::FeatureCollection(collection) = geojson else {
            panic!("not a FeatureCollection")
        };
        let (_, batch) = testing::dataset("wilayah");
        assert_eq!(collection.features.len(), batch.rows);
        // 33.03 (the regency) has no coordinates: kept, unlocated.
        let regency = &collection.features[0];
        assert_eq!(
            regency.id,
            Some(geojson::feature::Id::String("33.03".into()))
        );
        assert!(regency.geometry.is_none());
        // Kemangkon, -7.456 109.371: RFC 7946 order is [lon, lat].
        let kemangkon = collection
            .features
            .iter()
            .find(|f| f.property("nama") == Some(&serde_json::json!("Kemangkon")))
            .unwrap();
        let geometry = kemangkon.geometry.as_ref().unwrap();
        match &geometry.value {
            geojson::GeometryValue::Point { coordinates } => {
                assert_eq!(coordinates.as_slice(), [109.371, -7.456])
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            kemangkon.property("kode_induk"),
            Some(&serde_json::json!("33.03"))
        );
        assert_eq!(
            kemangkon.property("centroid_perkiraan"),
            Some(&serde_json::json!(true))
        );
        assert!(kemangkon.property("lat").is_none());
        let members = collection.foreign_members.unwrap();
        assert_eq!(members["name"], "wilayah");
        assert_eq!(members["licence"], "CC-BY-4.0");
        assert_eq!(members["attribution"], "Sumber: Kemendagri, diolah.");
    }

    #[test]
    fn unlocated_rows_can_be_skipped() {
        let all = export("wilayah", vec![]).unwrap();
        let located = export(
            "wilayah",
            vec![Param::new("skip-unlocated", Scalar::Boolean(true))],
        )
        .unwrap();
        let count = |text: &str| match text.parse::<geojson::GeoJson>().unwrap() {
            geojson::GeoJson::FeatureCollection(c) => (
                c.features.len(),
                c.features.iter().filter(|f| f.geometry.is_some()).count(),
            ),
            _ => panic!(),
        };
        let (total, with_points) = count(&all);
        assert_eq!(count(&located), (with_points, with_points));
        // 18 kecamatan and 2 villages have centroids (wilayah's description).
        assert_eq!(with_points, 20);
        assert!(total > with_points);
    }

    #[test]
    fn streams_across_batches_and_empty_tables() {
        let (schema, batch) = testing::dataset("wilayah");
        let meta = testing::meta("wilayah");
        let whole = run_exporter::<GeoJson>(
            schema.clone(),
            meta.clone(),
            vec![],
            std::slice::from_ref(&batch),
        )
        .unwrap();
        let pieces = [
            batch.slice(0, 0),
            batch.slice(0, 5),
            batch.slice(5, batch.rows - 5),
            batch.slice(batch.rows, 0),
        ];
        let split = run_exporter::<GeoJson>(schema.clone(), meta.clone(), vec![], &pieces).unwrap();
        assert_eq!(whole, split);
        let double = run_exporter::<GeoJson>(
            schema.clone(),
            meta.clone(),
            vec![],
            &[batch.clone(), batch.clone()],
        )
        .unwrap();
        match String::from_utf8(double)
            .unwrap()
            .parse::<geojson::GeoJson>()
            .unwrap()
        {
            geojson::GeoJson::FeatureCollection(c) => assert_eq!(c.features.len(), 2 * batch.rows),
            _ => panic!(),
        }
        let empty = run_exporter::<GeoJson>(schema, meta, vec![], &[]).unwrap();
        match String::from_utf8(empty)
            .unwrap()
            .parse::<geojson::GeoJson>()
            .unwrap()
        {
            geojson::GeoJson::FeatureCollection(c) => assert!(c.features.is_empty()),
            _ => panic!(),
        }
    }

    #[test]
    fn a_table_without_coordinates_is_unsupported() {
        let result = export("kontrak_pasokan", vec![]);
        assert!(matches!(result, Err(PluginError::Unsupported(m)) if m.contains("lat")));
    }

    #[test]
    fn out_of_range_points_are_unlocated() {
        assert_eq!(
            point(Cell::Real(-7.4), Cell::Real(109.3)),
            Some((109.3, -7.4))
        );
        assert_eq!(point(Cell::Real(109.3), Cell::Real(-7.4)), None);
        assert_eq!(point(Cell::Null, Cell::Real(1.0)), None);
        assert_eq!(point(Cell::Real(f64::NAN), Cell::Real(1.0)), None);
        assert_eq!(point(Cell::Integer(0), Cell::Integer(0)), Some((0.0, 0.0)));
    }
}
