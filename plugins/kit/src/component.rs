//! Glue macros: they expand inside a plugin crate, run `wit_bindgen::generate!` there, and
//! move values between the generated WIT types and this crate's types. The plugin crate
//! depends on `wit-bindgen` itself (the generated code names it).

/// Makes the crate a component of world `indicator`, backed by `$ty:` [`crate::Indicator`].
///
/// ```text
/// logam_plugin_kit::indicator_component!(RupiahPerUnit, "../../wit");
/// ```
/// `$wit` is the path of the `wit/` folder relative to the crate's Cargo.toml.
#[macro_export]
macro_rules! indicator_component {
    ($ty:ident, $wit:tt) => {
        // Only in the component: the export names (`logam:plugin/...#describe`) are not
        // valid symbol names for a native shared library.
        #[cfg(target_arch = "wasm32")]
        #[doc(hidden)]
        #[allow(dead_code, clippy::all)]
        mod __logam_component {
            ::wit_bindgen::generate!({ world: "indicator", path: $wit });

            use self::exports::logam::plugin::indicator_plugin as api;
            use $crate::Indicator as _;

            $crate::__types_bridge!();

            struct Component;

            impl api::Guest for Component {
                type Accumulator = Accumulator;

                fn describe() -> api::IndicatorInfo {
                    let info = <super::$ty as $crate::Indicator>::info();
                    api::IndicatorInfo {
                        id: info.id,
                        version: info.version,
                        title: bilingual_out(info.title),
                        description: bilingual_out(info.description),
                        konsep: bilingual_out(info.konsep),
                        definisi: bilingual_out(info.definisi),
                        rumus: bilingual_out(info.rumus),
                        ukuran: bilingual_out(info.ukuran),
                        satuan: bilingual_out(info.satuan),
                        interpretasi: bilingual_out(info.interpretasi),
                        frekuensi: bilingual_out(info.frekuensi),
                        inputs: info
                            .inputs
                            .into_iter()
                            .map(|i| api::Input {
                                dataset: i.dataset,
                                columns: i.columns,
                            })
                            .collect(),
                        parameters: info.parameters.into_iter().map(parameter_out).collect(),
                    }
                }
            }

            struct Accumulator(::std::cell::RefCell<super::$ty>);

            impl api::GuestAccumulator for Accumulator {
                fn new(params: ::std::vec::Vec<types::Param>) -> Self {
                    Accumulator(::std::cell::RefCell::new(<super::$ty as $crate::Indicator>::new(
                        params_in(params),
                    )))
                }

                fn push(&self, input: u32, data: types::Batch) -> Result<(), types::PluginError> {
                    let batch = batch_in(data).map_err(error_out)?;
                    self.0.borrow_mut().push(input, &batch).map_err(error_out)
                }

                fn finish(&self) -> Result<api::Observations, types::PluginError> {
                    let table = self.0.borrow_mut().finish().map_err(error_out)?;
                    table.check_observations().map_err(error_out)?;
                    Ok(api::Observations {
                        schema: table.schema.into_iter().map(column_info_out).collect(),
                        data: batch_out(table.data),
                    })
                }
            }

            export!(Component);
        }
    };
}

/// Makes the crate a component of world `exporter`, backed by `$ty:` [`crate::Exporter`].
///
/// ```text
/// logam_plugin_kit::exporter_component!(GeoJson, "../../wit");
/// ```
#[macro_export]
macro_rules! exporter_component {
    ($ty:ident, $wit:tt) => {
        // Only in the component: the export names (`logam:plugin/...#describe`) are not
        // valid symbol names for a native shared library.
        #[cfg(target_arch = "wasm32")]
        #[doc(hidden)]
        #[allow(dead_code, clippy::all)]
        mod __logam_component {
            ::wit_bindgen::generate!({ world: "exporter", path: $wit });

            use self::exports::logam::plugin::exporter_plugin as api;
            use $crate::Exporter as _;

            $crate::__types_bridge!();

            struct Component;

            impl api::Guest for Component {
                type Writer = Writer;

                fn describe() -> api::ExporterInfo {
                    let info = <super::$ty as $crate::Exporter>::info();
                    let mut targets = api::Targets::empty();
                    if info.targets.datasets {
                        targets |= api::Targets::DATASETS;
                    }
                    if info.targets.indicators {
                        targets |= api::Targets::INDICATORS;
                    }
                    api::ExporterInfo {
                        id: info.id,
                        version: info.version,
                        title: bilingual_out(info.title),
                        description: bilingual_out(info.description),
                        media_type: info.media_type,
                        extension: info.extension,
                        targets,
                        parameters: info.parameters.into_iter().map(parameter_out).collect(),
                    }
                }
            }

            struct Writer(::std::cell::RefCell<super::$ty>);

            impl api::GuestWriter for Writer {
                fn new(
                    schema: ::std::vec::Vec<types::ColumnInfo>,
                    meta: types::DatasetMeta,
                    params: ::std::vec::Vec<types::Param>,
                ) -> Self {
                    Writer(::std::cell::RefCell::new(<super::$ty as $crate::Exporter>::new(
                        schema.into_iter().map(column_info_in).collect(),
                        meta_in(meta),
                        params_in(params),
                    )))
                }

                fn write(
                    &self,
                    data: types::Batch,
                ) -> Result<::std::vec::Vec<u8>, types::PluginError> {
                    let batch = batch_in(data).map_err(error_out)?;
                    self.0.borrow_mut().write(&batch).map_err(error_out)
                }

                fn finish(&self) -> Result<::std::vec::Vec<u8>, types::PluginError> {
                    self.0.borrow_mut().finish().map_err(error_out)
                }
            }

            export!(Component);
        }
    };
}

/// Conversions between the generated `types` module and the kit's types. Internal to the
/// two macros above.
#[doc(hidden)]
#[macro_export]
macro_rules! __types_bridge {
    () => {
        use self::logam::plugin::types;
        use $crate as kit;

        fn bilingual_out(b: kit::Bilingual) -> types::Bilingual {
            types::Bilingual { id: b.id, en: b.en }
        }

        fn bilingual_in(b: types::Bilingual) -> kit::Bilingual {
            kit::Bilingual { id: b.id, en: b.en }
        }

        fn column_type_out(t: kit::ColumnType) -> types::ColumnType {
            match t {
                kit::ColumnType::Integer => types::ColumnType::Integer,
                kit::ColumnType::Real => types::ColumnType::Real,
                kit::ColumnType::Text => types::ColumnType::Text,
                kit::ColumnType::Date => types::ColumnType::Date,
                kit::ColumnType::Boolean => types::ColumnType::Boolean,
            }
        }

        fn column_type_in(t: types::ColumnType) -> kit::ColumnType {
            match t {
                types::ColumnType::Integer => kit::ColumnType::Integer,
                types::ColumnType::Real => kit::ColumnType::Real,
                types::ColumnType::Text => kit::ColumnType::Text,
                types::ColumnType::Date => kit::ColumnType::Date,
                types::ColumnType::Boolean => kit::ColumnType::Boolean,
            }
        }

        fn column_info_out(c: kit::ColumnInfo) -> types::ColumnInfo {
            types::ColumnInfo {
                name: c.name,
                type_: column_type_out(c.column_type),
                role: match c.role {
                    kit::Role::Dimension => types::ColumnRole::Dimension,
                    kit::Role::Measure => types::ColumnRole::Measure,
                    kit::Role::Attribute => types::ColumnRole::Attribute,
                },
                title: bilingual_out(c.title),
                description: bilingual_out(c.description),
                unit: c.unit,
            }
        }

        fn column_info_in(c: types::ColumnInfo) -> kit::ColumnInfo {
            kit::ColumnInfo {
                name: c.name,
                column_type: column_type_in(c.type_),
                role: match c.role {
                    types::ColumnRole::Dimension => kit::Role::Dimension,
                    types::ColumnRole::Measure => kit::Role::Measure,
                    types::ColumnRole::Attribute => kit::Role::Attribute,
                },
                title: bilingual_in(c.title),
                description: bilingual_in(c.description),
                unit: c.unit,
            }
        }

        fn scalar_out(s: kit::Scalar) -> types::Scalar {
            match s {
                kit::Scalar::Integer(i) => types::Scalar::Integer(i),
                kit::Scalar::Real(r) => types::Scalar::Real(r),
                kit::Scalar::Text(t) => types::Scalar::Text(t),
                kit::Scalar::Boolean(b) => types::Scalar::Boolean(b),
            }
        }

        fn scalar_in(s: types::Scalar) -> kit::Scalar {
            match s {
                types::Scalar::Integer(i) => kit::Scalar::Integer(i),
                types::Scalar::Real(r) => kit::Scalar::Real(r),
                types::Scalar::Text(t) => kit::Scalar::Text(t),
                types::Scalar::Boolean(b) => kit::Scalar::Boolean(b),
            }
        }

        fn parameter_out(p: kit::Parameter) -> types::Parameter {
            types::Parameter {
                name: p.name,
                type_: column_type_out(p.column_type),
                required: p.required,
                default: p.default.map(scalar_out),
                title: bilingual_out(p.title),
                description: bilingual_out(p.description),
            }
        }

        fn params_in(params: ::std::vec::Vec<types::Param>) -> kit::Params {
            kit::Params(
                params
                    .into_iter()
                    .map(|p| kit::Param {
                        name: p.name,
                        value: scalar_in(p.value),
                    })
                    .collect(),
            )
        }

        fn meta_in(m: types::DatasetMeta) -> kit::DatasetMeta {
            kit::DatasetMeta {
                id: m.id,
                kind: match m.kind {
                    types::TableKind::Dataset => kit::TableKind::Dataset,
                    types::TableKind::Indicator => kit::TableKind::Indicator,
                },
                title: bilingual_in(m.title),
                description: bilingual_in(m.description),
                publisher: m.publisher,
                licence: m.licence,
                sources: m
                    .sources
                    .into_iter()
                    .map(|c| kit::Citation {
                        id: c.id,
                        publisher: c.publisher,
                        title: c.title,
                        url: c.url,
                        date: c.date,
                        licence: c.licence,
                    })
                    .collect(),
                revision: m.revision,
                url: m.url,
            }
        }

        /// Moves a WIT batch into a checked kit batch; text must be UTF-8 with offsets on
        /// character boundaries, or the result is `invalid-input`.
        fn batch_in(b: types::Batch) -> Result<kit::Batch, kit::PluginError> {
            let mut columns = ::std::vec::Vec::with_capacity(b.columns.len());
            for column in b.columns {
                let data = match column.data {
                    types::ColumnData::Integer(v) => kit::ColumnData::Integer(v),
                    types::ColumnData::Real(v) => kit::ColumnData::Real(v),
                    types::ColumnData::Boolean(v) => kit::ColumnData::Boolean(v),
                    types::ColumnData::Text(t) => kit::ColumnData::Text {
                        buffer: ::std::string::String::from_utf8(t.bytes).map_err(|_| {
                            kit::PluginError::InvalidInput("text column is not UTF-8".into())
                        })?,
                        ends: t.ends,
                    },
                };
                columns.push(kit::Column {
                    data,
                    validity: column.validity,
                });
            }
            kit::Batch::new(b.rows as usize, columns)
        }

        fn batch_out(b: kit::Batch) -> types::Batch {
            types::Batch {
                rows: b.rows as u32,
                columns: b
                    .columns
                    .into_iter()
                    .map(|c| types::Column {
                        data: match c.data {
                            kit::ColumnData::Integer(v) => types::ColumnData::Integer(v),
                            kit::ColumnData::Real(v) => types::ColumnData::Real(v),
                            kit::ColumnData::Boolean(v) => types::ColumnData::Boolean(v),
                            kit::ColumnData::Text { buffer, ends } => {
                                types::ColumnData::Text(types::TextData {
                                    bytes: buffer.into_bytes(),
                                    ends,
                                })
                            }
                        },
                        validity: c.validity,
                    })
                    .collect(),
            }
        }

        fn error_out(e: kit::PluginError) -> types::PluginError {
            match e {
                kit::PluginError::InvalidParameter(m) => types::PluginError::InvalidParameter(m),
                kit::PluginError::InvalidInput(m) => types::PluginError::InvalidInput(m),
                kit::PluginError::Unsupported(m) => types::PluginError::Unsupported(m),
                kit::PluginError::Failed(m) => types::PluginError::Failed(m),
            }
        }
    };
}
