//! Charts as PNG, for slides and newsletters that cannot take SVG: the same SVG, rasterised
//! by resvg at twice its size so it stays sharp on dense screens.

use std::sync::{Arc, OnceLock};

use resvg::{tiny_skia, usvg};

/// The system's fonts, loaded once (the charts name DejaVu Sans, then Arial, then any sans).
fn fonts() -> Arc<usvg::fontdb::Database> {
    static FONTS: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = usvg::fontdb::Database::new();
            db.load_system_fonts();
            if db.is_empty() {
                tracing::warn!(
                    "no system fonts: PNG charts will have no text (install fonts-dejavu-core)"
                );
            }
            Arc::new(db)
        })
        .clone()
}

#[derive(Debug, thiserror::Error)]
pub enum PngError {
    #[error("the chart could not be read as SVG: {0}")]
    Parse(String),
    #[error("the chart could not be rasterised")]
    Raster,
}

/// Rasterises an SVG document at `scale`.
pub fn render(svg: &str, scale: f32) -> Result<Vec<u8>, PngError> {
    let options = usvg::Options {
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| PngError::Parse(e.to_string()))?;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(scale)
        .ok_or(PngError::Raster)?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).ok_or(PngError::Raster)?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|_| PngError::Raster)
}
