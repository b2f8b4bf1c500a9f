// Shared by `slow` (1.0.0) and `slow-v2` (2.0.0): an honest indicator that spins `spin`
// rounds before answering, so a test can keep a request in flight while it upgrades the
// plugin, and tell from the answer which version served it.

use std::hint::black_box;

use logam_plugin_kit::{
    Batch, Bilingual, ColumnType, Indicator, IndicatorInfo, Parameter, Params, PluginError,
    Scalar, Table,
};
use zoo_common::Years;

pub struct Slow {
    years: Years,
    spin: i64,
}

impl Indicator for Slow {
    fn info() -> IndicatorInfo {
        let mut info = zoo_common::indicator_info(
            "zoo-slow",
            Bilingual::new(
                "Berputar sebanyak `spin` kali lalu menjawab dengan versinya.",
                "Spins `spin` rounds, then answers with its version.",
            ),
        );
        info.version = VERSION.to_string();
        info.parameters = vec![Parameter {
            name: "spin".into(),
            column_type: ColumnType::Integer,
            required: false,
            default: Some(Scalar::Integer(0)),
            title: Bilingual::new("Putaran", "Rounds"),
            description: Bilingual::new("Putaran sebelum menjawab.", "Rounds before answering."),
        }];
        info
    }

    fn new(params: Params) -> Self {
        Slow {
            years: Years::default(),
            spin: params.integer("spin").ok().flatten().unwrap_or(0),
        }
    }

    fn push(&mut self, _input: u32, batch: &Batch) -> Result<(), PluginError> {
        self.years.push(batch)
    }

    fn finish(&mut self) -> Result<Table, PluginError> {
        let mut state = self.years.rows();
        for _ in 0..self.spin {
            state = black_box(
                state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407),
            );
        }
        black_box(state);
        self.years.table(VERSION)
    }
}

logam_plugin_kit::indicator_component!(Slow, "../../../wit");
