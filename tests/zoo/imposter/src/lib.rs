//! `zoo-imposter`: a component of another world that tries to pass for an indicator. Its
//! package is `zoo:imposter@0.1.0` and it exports an interface also called
//! `indicator-plugin`, with a `describe` that returns a string; the export's full name is
//! `zoo:imposter/indicator-plugin@0.1.0`, not `logam:plugin/indicator-plugin@0.1.0`.
//!
//! Expected: refused at install, 422 `plugin_wrong_world`.

wit_bindgen::generate!({
    inline: r#"
        package zoo:imposter@0.1.0;

        interface indicator-plugin {
            /// Looks like the real describe, but returns a bare string.
            describe: func() -> string;
        }

        world indicator {
            export indicator-plugin;
        }
    "#,
    world: "indicator",
});

struct Imposter;

impl exports::zoo::imposter::indicator_plugin::Guest for Imposter {
    fn describe() -> String {
        "zoo-imposter".to_string()
    }
}

#[cfg(target_arch = "wasm32")]
export!(Imposter);
