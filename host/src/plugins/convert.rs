//! Moving values across the boundary: the host's batches and parameters into WIT types, and a
//! plugin's observations back into a host table. Everything coming back is checked, since a
//! plugin is untrusted.

use super::bindings::indicator::exports::logam::plugin::indicator_plugin::Observations;
use super::bindings::types as wit;
use super::{PluginError, ResultColumn};
use crate::export::ColumnRole;
use crate::store::{Batch, Bilingual, Column, ColumnData, ColumnType};

fn bilingual(text: &wit::Bilingual) -> Bilingual {
    Bilingual {
        id: text.id.clone(),
        en: text.en.clone(),
    }
}

fn host_type(t: wit::ColumnType) -> ColumnType {
    match t {
        wit::ColumnType::Integer => ColumnType::Integer,
        wit::ColumnType::Real => ColumnType::Real,
        wit::ColumnType::Text => ColumnType::Text,
        wit::ColumnType::Date => ColumnType::Date,
        wit::ColumnType::Boolean => ColumnType::Boolean,
    }
}

/// The request's values for the declared parameters, typed, with defaults filled in.
/// Unknown names and ill-typed values are the client's to fix.
pub fn params(
    declared: &[wit::Parameter],
    query: &[(String, String)],
) -> Result<Vec<wit::Param>, PluginError> {
    for (name, _) in query {
        if !declared.iter().any(|p| &p.name == name) {
            return Err(PluginError::InvalidParameter {
                parameter: name.chars().take(100).collect(),
                reason: format!(
                    "this plugin has no such parameter (it takes: {})",
                    declared
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }
    let mut values = Vec::with_capacity(declared.len());
    for parameter in declared {
        let given = query
            .iter()
            .find(|(name, _)| name == &parameter.name)
            .map(|(_, v)| v);
        let value = match given {
            Some(raw) => {
                let invalid = |expected: &str| PluginError::InvalidParameter {
                    parameter: parameter.name.clone(),
                    reason: format!(
                        "{:?} is not {expected}",
                        raw.chars().take(100).collect::<String>()
                    ),
                };
                match parameter.type_ {
                    wit::ColumnType::Integer => wit::Scalar::Integer(
                        raw.trim().parse().map_err(|_| invalid("a whole number"))?,
                    ),
                    wit::ColumnType::Real => wit::Scalar::Real(
                        raw.trim()
                            .parse::<f64>()
                            .ok()
                            .filter(|v| v.is_finite())
                            .ok_or_else(|| invalid("a number"))?,
                    ),
                    wit::ColumnType::Boolean => wit::Scalar::Boolean(
                        crate::store::parse_bool(raw).ok_or_else(|| invalid("true or false"))?,
                    ),
                    wit::ColumnType::Text | wit::ColumnType::Date => wit::Scalar::Text(raw.clone()),
                }
            }
            None => match &parameter.default {
                Some(default) => default.clone(),
                None if parameter.required => {
                    return Err(PluginError::InvalidParameter {
                        parameter: parameter.name.clone(),
                        reason: "is required".into(),
                    });
                }
                None => continue,
            },
        };
        values.push(wit::Param {
            name: parameter.name.clone(),
            value,
        });
    }
    Ok(values)
}

fn validity_bitmap(valid: &[bool]) -> Vec<u8> {
    if valid.iter().all(|v| *v) {
        return Vec::new();
    }
    let mut bits = vec![0u8; valid.len().div_ceil(8)];
    for (i, v) in valid.iter().enumerate() {
        if *v {
            bits[i / 8] |= 1 << (i % 8);
        }
    }
    bits
}

/// The batch columns at `positions`, in that order, as a WIT batch.
pub fn batch_to_wit(batch: &Batch, positions: &[usize]) -> wit::Batch {
    let columns = positions
        .iter()
        .map(|&p| {
            let column = &batch.columns[p];
            let data = match &column.data {
                ColumnData::Integer(v) => wit::ColumnData::Integer(v.clone()),
                ColumnData::Real(v) => wit::ColumnData::Real(v.clone()),
                ColumnData::Boolean(v) => wit::ColumnData::Boolean(v.clone()),
                ColumnData::Text { buffer, ends } => wit::ColumnData::Text(wit::TextData {
                    bytes: buffer.as_bytes().to_vec(),
                    ends: ends.clone(),
                }),
                // Dataset scans never produce dynamic columns; send their text form.
                ColumnData::Dynamic(_) => {
                    let mut bytes = Vec::new();
                    let mut ends = Vec::with_capacity(batch.len());
                    for row in 0..batch.len() {
                        if let crate::store::Cell::Text(t) = column.cell(row) {
                            bytes.extend_from_slice(t.as_bytes());
                        }
                        ends.push(bytes.len() as u32);
                    }
                    wit::ColumnData::Text(wit::TextData { bytes, ends })
                }
            };
            wit::Column {
                data,
                validity: validity_bitmap(&column.valid),
            }
        })
        .collect();
    wit::Batch {
        rows: batch.len() as u32,
        columns,
    }
}

pub fn declined(plugin: &str, error: wit::PluginError) -> PluginError {
    let (kind, message) = match error {
        wit::PluginError::InvalidParameter(m) => ("invalid_parameter", m),
        wit::PluginError::InvalidInput(m) => ("invalid_input", m),
        wit::PluginError::Unsupported(m) => ("unsupported", m),
        wit::PluginError::Failed(m) => ("failed", m),
    };
    PluginError::Declined {
        plugin: plugin.to_string(),
        kind,
        message: message.chars().take(2000).collect(),
    }
}

/// Checks a plugin's observations (shape, sizes, UTF-8) and turns them into a host table.
pub fn observations(
    plugin: &str,
    observations: Observations,
    limit_bytes: usize,
) -> Result<(Vec<ResultColumn>, Batch, usize), PluginError> {
    let bad = |reason: String| PluginError::InvalidOutput {
        plugin: plugin.to_string(),
        reason: format!("its observations are malformed: {reason}"),
    };
    let Observations { schema, data } = observations;
    if schema.len() != data.columns.len() {
        return Err(bad(format!(
            "{} schema columns, {} data columns",
            schema.len(),
            data.columns.len()
        )));
    }
    let rows = data.rows as usize;
    let mut size = 0usize;
    let mut columns = Vec::with_capacity(schema.len());
    let mut result_columns = Vec::with_capacity(schema.len());
    for (info, column) in schema.iter().zip(data.columns) {
        if !crate::store::is_valid_identifier(&info.name) {
            return Err(bad(format!(
                "column name {:?}",
                info.name.chars().take(80).collect::<String>()
            )));
        }
        let column_type = host_type(info.type_);
        let wit::Column { data, validity } = column;
        let valid: Vec<bool> = if validity.is_empty() {
            vec![true; rows]
        } else {
            if validity.len() < rows.div_ceil(8) {
                return Err(bad(format!(
                    "column {} has a short validity bitmap",
                    info.name
                )));
            }
            (0..rows)
                .map(|i| validity[i / 8] & (1 << (i % 8)) != 0)
                .collect()
        };
        let (data, length) = match (column_type, data) {
            (ColumnType::Integer, wit::ColumnData::Integer(v)) => {
                size += v.len() * 8;
                let n = v.len();
                (ColumnData::Integer(v), n)
            }
            (ColumnType::Real, wit::ColumnData::Real(v)) => {
                size += v.len() * 8;
                let n = v.len();
                (ColumnData::Real(v), n)
            }
            (ColumnType::Boolean, wit::ColumnData::Boolean(v)) => {
                size += v.len();
                let n = v.len();
                (ColumnData::Boolean(v), n)
            }
            (ColumnType::Text | ColumnType::Date, wit::ColumnData::Text(text)) => {
                size += text.bytes.len() + text.ends.len() * 4;
                let buffer = String::from_utf8(text.bytes)
                    .map_err(|_| bad(format!("column {} is not UTF-8", info.name)))?;
                let mut previous = 0u32;
                for &end in &text.ends {
                    if end < previous
                        || end as usize > buffer.len()
                        || !buffer.is_char_boundary(end as usize)
                    {
                        return Err(bad(format!("column {} has bad text offsets", info.name)));
                    }
                    previous = end;
                }
                let n = text.ends.len();
                (
                    ColumnData::Text {
                        buffer,
                        ends: text.ends,
                    },
                    n,
                )
            }
            _ => {
                return Err(bad(format!(
                    "column {} holds values of another type than declared",
                    info.name
                )));
            }
        };
        if length != rows {
            return Err(bad(format!(
                "column {} has {length} values for {rows} rows",
                info.name
            )));
        }
        if size > limit_bytes {
            return Err(PluginError::OutputLimit {
                plugin: plugin.to_string(),
                limit_bytes,
            });
        }
        columns.push(Column {
            name: info.name.clone(),
            column_type,
            data,
            valid,
        });
        result_columns.push(ResultColumn {
            name: info.name.clone(),
            column_type,
            role: match info.role {
                wit::ColumnRole::Dimension => ColumnRole::Dimension,
                wit::ColumnRole::Measure => ColumnRole::Measure,
                wit::ColumnRole::Attribute => ColumnRole::Attribute,
            },
            title: bilingual(&info.title),
            description: bilingual(&info.description),
            unit: info.unit.clone(),
        });
    }
    let measures: Vec<&ResultColumn> = result_columns
        .iter()
        .filter(|c| c.role == ColumnRole::Measure)
        .collect();
    if measures.len() != 1 {
        return Err(bad(format!(
            "{} measure columns (exactly one is required)",
            measures.len()
        )));
    }
    if !matches!(
        measures[0].column_type,
        ColumnType::Integer | ColumnType::Real
    ) {
        return Err(bad(format!(
            "the measure column {} is not integer or real",
            measures[0].name
        )));
    }
    Ok((result_columns, Batch::from_columns(columns, rows), size))
}
