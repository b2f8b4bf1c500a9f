//! `zoo-many-parameters`: a valid indicator declaring 120,001 parameters (the duplicate check
//! was quadratic in them).
//!
//! Expected: `POST /admin/plugins` answers 422 `plugin_invalid_manifest` at once, the message
//! naming the limit on parameters.

use logam_plugin_kit::{
    Batch, Bilingual, ColumnType, Indicator, IndicatorInfo, Parameter, Params, PluginError,
    Table,
};
use zoo_common::Years;

pub struct ManyParameters {
    years: Years,
}

impl Indicator for ManyParameters {
    fn info() -> IndicatorInfo {
        let mut info = zoo_common::indicator_info(
            "zoo-many-parameters",
            Bilingual::new("Parameter tak terhitung.", "Countless parameters."),
        );
        info.parameters = (0..120_001)
            .map(|i| Parameter {
                name: format!("p{i}"),
                column_type: ColumnType::Integer,
                required: false,
                default: None,
                title: Bilingual::new("P", "P"),
                description: Bilingual::new("P", "P"),
            })
            .collect();
        info
    }

    fn new(_params: Params) -> Self {
        ManyParameters {
            years: Years::default(),
        }
    }

    fn push(&mut self, _input: u32, batch: &Batch) -> Result<(), PluginError> {
        self.years.push(batch)
    }

    fn finish(&mut self) -> Result<Table, PluginError> {
        self.years.table("many")
    }
}

logam_plugin_kit::indicator_component!(ManyParameters, "../../../wit");
