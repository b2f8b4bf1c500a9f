//! `zoo-budget`: an indicator that declares its one input sixteen times (the most a manifest
//! may) and spins `spin` rounds in every `push`, each push under the per-call time limit but
//! all of them together far past any reasonable request.
//!
//! Expected: `GET /api/indicators/zoo-budget?spin=N` (N calibrated to about 0.4 s a push)
//! answers 504 `plugin_timeout` naming the request's time budget, within that budget plus a
//! small margin, and stops using the CPU then.

use std::hint::black_box;

use logam_plugin_kit::{
    Batch, Bilingual, ColumnType, Indicator, IndicatorInfo, Input, Parameter, Params,
    PluginError, Scalar, Table,
};
use zoo_common::{COLUMN, DATASET, Years};

pub struct Budget {
    years: Years,
    spin: i64,
}

impl Indicator for Budget {
    fn info() -> IndicatorInfo {
        let mut info = zoo_common::indicator_info(
            "zoo-budget",
            Bilingual::new(
                "Enam belas masukan, tiap push berputar lama.",
                "Sixteen inputs, every push spinning a while.",
            ),
        );
        info.inputs = (0..16).map(|_| Input::new(DATASET, &[COLUMN])).collect();
        info.parameters = vec![Parameter {
            name: "spin".into(),
            column_type: ColumnType::Integer,
            required: false,
            default: Some(Scalar::Integer(0)),
            title: Bilingual::new("Putaran", "Rounds"),
            description: Bilingual::new("Putaran per push.", "Rounds per push."),
        }];
        info
    }

    fn new(params: Params) -> Self {
        Budget {
            years: Years::default(),
            spin: params.integer("spin").ok().flatten().unwrap_or(0),
        }
    }

    fn push(&mut self, input: u32, batch: &Batch) -> Result<(), PluginError> {
        let mut state = batch.rows as u64;
        for _ in 0..self.spin {
            state = black_box(
                state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407),
            );
        }
        black_box(state);
        if input == 0 {
            self.years.push(batch)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<Table, PluginError> {
        self.years.table("done")
    }
}

logam_plugin_kit::indicator_component!(Budget, "../../../wit");
