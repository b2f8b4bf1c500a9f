//! Charts drawn on the server as SVG: a line per series over years, or bars for categories.
//! Every chart carries its title and a text description for screen readers, its axis labels
//! and unit, and the source line under it, so an embedded or downloaded chart still says
//! what it shows and where the figures come from.

use super::format::by_unit;
use super::{Lang, escape};

pub const WIDTH: f64 = 720.0;
pub const HEIGHT: f64 = 420.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 56.0;

/// CSS that shows the chart drawn for the screen's width (pages and embeds carry both).
pub const SIZE_RULES: &str = ".chart-narrow{display:none}@media (max-width:520px){.chart-wide{display:none}.chart-narrow{display:block}}";

/// How big a chart is drawn, and the room its parts get at that size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Size {
    pub width: f64,
    pub height: f64,
    /// Distinguishes the ids of two charts on one page (`chart-title-wide`).
    pub id: &'static str,
    /// Room left of the plot for the y labels ("Rp138,7 miliar").
    left: f64,
    /// Room under the plot: x labels, the axis title, then (clear of it) the legend and the
    /// source line.
    bottom: f64,
    /// Legend entries on one line.
    legend_columns: usize,
}

/// For a page or an embed on a screen wider than a phone, and for `.svg` and `.png`.
pub const WIDE: Size = Size {
    width: WIDTH,
    height: HEIGHT,
    id: "wide",
    left: 96.0,
    bottom: 118.0,
    legend_columns: 3,
};
/// For a phone (390 px): drawn at about the size it is shown, so its text stays readable
/// instead of a wide chart scaled down to half; one legend entry a line, so more room under.
pub const NARROW: Size = Size {
    width: 380.0,
    height: 440.0,
    id: "narrow",
    left: 84.0,
    bottom: 170.0,
    legend_columns: 1,
};

impl Size {
    /// Characters of the source line on one line of text.
    fn source_chars(self) -> usize {
        ((self.width - self.left) / 6.2) as usize
    }
}
const COLOURS: [&str; 6] = [
    "#1b6ca8", "#c0392b", "#2e8b57", "#8e44ad", "#d35400", "#5d6d7e",
];

/// One value to draw.
#[derive(Debug, Clone)]
pub struct Point {
    /// Where on the x axis: a year for line charts, a category label for bars.
    pub x_label: String,
    pub year: Option<f64>,
    /// Which line (or bar colour) it belongs to, e.g. its source.
    pub series: String,
    pub value: f64,
}

pub struct Chart {
    pub title: String,
    pub description: String,
    pub unit: Option<String>,
    pub source_line: String,
    pub points: Vec<Point>,
}

fn nice_step(range: f64) -> f64 {
    if range <= 0.0 || !range.is_finite() {
        return 1.0;
    }
    let raw = range / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let fraction = raw / magnitude;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// Splits a long label into lines of at most `width` characters, at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The chart as a standalone SVG document, at the wide size.
pub fn svg(chart: &Chart, lang: Lang) -> String {
    svg_sized(chart, lang, WIDE)
}

/// Horizontal offsets that keep markers with the same position apart: the k-th of n points
/// at one (x, y) moves by (k − (n − 1) / 2) marker widths, so two sources that print the
/// same figure for the same year both stay visible.
fn dodge(positions: &[(f64, f64)]) -> Vec<f64> {
    let same = |a: (f64, f64), b: (f64, f64)| (a.0 - b.0).abs() < 3.0 && (a.1 - b.1).abs() < 3.0;
    positions
        .iter()
        .enumerate()
        .map(|(i, &here)| {
            let count = positions.iter().filter(|&&other| same(here, other)).count();
            let rank = positions
                .iter()
                .take(i)
                .filter(|&&other| same(here, other))
                .count();
            (rank as f64 - (count as f64 - 1.0) / 2.0) * 9.0
        })
        .collect()
}

/// The chart as a standalone SVG document of `size`.
pub fn svg_sized(chart: &Chart, lang: Lang, size: Size) -> String {
    let (width, height, left) = (size.width, size.height, size.left);
    let line_chart = !chart.points.is_empty() && chart.points.iter().all(|p| p.year.is_some());
    let values: Vec<f64> = chart.points.iter().map(|p| p.value).collect();
    let max = values.iter().cloned().fold(0.0f64, f64::max);
    let min = values.iter().cloned().fold(0.0f64, f64::min);
    let step = nice_step(max - min);
    let y_max = (max / step).ceil().max(1.0) * step;
    let y_min = (min / step).floor().min(0.0) * step;
    let plot_w = width - left - RIGHT;
    let plot_h = height - TOP - size.bottom;
    let y_of = |v: f64| TOP + plot_h - (v - y_min) / (y_max - y_min) * plot_h;

    let mut series: Vec<String> = Vec::new();
    for p in &chart.points {
        if !series.contains(&p.series) {
            series.push(p.series.clone());
        }
    }
    let colour = |s: &str| {
        let i = series.iter().position(|x| x == s).unwrap_or(0);
        COLOURS[i % COLOURS.len()]
    };

    let mut out = String::with_capacity(4096);
    out.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" \
         width=\"{width}\" height=\"{height}\" role=\"img\" aria-labelledby=\"chart-title-{id} chart-desc-{id}\" \
         font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\
         <title id=\"chart-title-{id}\">{title}</title><desc id=\"chart-desc-{id}\">{desc}</desc>\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\
         <text x=\"{left}\" y=\"24\" font-size=\"16\" font-weight=\"bold\">{title}</text>",
        title = escape(&chart.title),
        desc = escape(&chart.description),
        id = size.id,
    ));
    if let Some(unit) = &chart.unit {
        out.push_str(&format!(
            "<text x=\"{left}\" y=\"42\" fill=\"#444\">{}: {}</text>",
            lang.pick("Satuan", "Unit"),
            escape(unit)
        ));
    }
    // Horizontal grid and y labels.
    let mut tick = y_min;
    while tick <= y_max + step / 2.0 {
        let y = y_of(tick);
        out.push_str(&format!(
            "<line x1=\"{left}\" x2=\"{x2}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{lx}\" y=\"{ty:.1}\" text-anchor=\"end\" fill=\"#444\">{label}</text>",
            x2 = width - RIGHT,
            lx = left - 6.0,
            ty = y + 4.0,
            label = escape(&by_unit(tick, chart.unit.as_deref(), lang)),
        ));
        tick += step;
    }
    out.push_str(&format!(
        "<line x1=\"{left}\" x2=\"{left}\" y1=\"{TOP}\" y2=\"{yb}\" stroke=\"#444\"/>\
         <line x1=\"{left}\" x2=\"{xr}\" y1=\"{yb}\" y2=\"{yb}\" stroke=\"#444\"/>",
        yb = TOP + plot_h,
        xr = width - RIGHT,
    ));

    if chart.points.is_empty() {
        out.push_str(&format!(
            "<text x=\"{cx}\" y=\"{cy}\" text-anchor=\"middle\" fill=\"#444\">{}</text>",
            lang.pick("Tidak ada angka untuk digambar", "No figures to draw"),
            cx = left + plot_w / 2.0,
            cy = TOP + plot_h / 2.0,
        ));
    } else if line_chart {
        let years: Vec<f64> = chart.points.iter().filter_map(|p| p.year).collect();
        let first = years.iter().cloned().fold(f64::INFINITY, f64::min);
        let last = years.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let span = (last - first).max(1.0);
        let single = last <= first;
        let x_of = |year: f64| {
            if single {
                left + plot_w / 2.0
            } else {
                left + 24.0 + (year - first) / span * (plot_w - 48.0)
            }
        };
        let mut labelled: Vec<i64> = Vec::new();
        for year in &years {
            let y = *year as i64;
            if !labelled.contains(&y) {
                labelled.push(y);
                out.push_str(&format!(
                    "<text x=\"{x:.1}\" y=\"{ty}\" text-anchor=\"middle\" fill=\"#444\">{y}</text>",
                    x = x_of(*year),
                    ty = TOP + plot_h + 18.0,
                ));
            }
        }
        out.push_str(&format!(
            "<text x=\"{cx}\" y=\"{ty}\" text-anchor=\"middle\" fill=\"#444\">{}</text>",
            lang.pick("Tahun", "Year"),
            cx = left + plot_w / 2.0,
            ty = TOP + plot_h + 36.0,
        ));
        let mut markers: Vec<&Point> = Vec::new();
        for name in &series {
            let mut points: Vec<&Point> =
                chart.points.iter().filter(|p| &p.series == name).collect();
            points.sort_by(|a, b| {
                a.year
                    .partial_cmp(&b.year)
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            let path: Vec<String> = points
                .iter()
                .map(|p| format!("{:.1},{:.1}", x_of(p.year.unwrap_or(first)), y_of(p.value)))
                .collect();
            if path.len() > 1 {
                out.push_str(&format!(
                    "<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"2\" points=\"{}\"/>",
                    path.join(" "),
                    c = colour(name)
                ));
            }
            markers.extend(points);
        }
        // Markers over every line, those at one place side by side.
        let places: Vec<(f64, f64)> = markers
            .iter()
            .map(|p| (x_of(p.year.unwrap_or(first)), y_of(p.value)))
            .collect();
        for ((p, (x, y)), shift) in markers.iter().zip(&places).zip(dodge(&places)) {
            out.push_str(&format!(
                "<circle cx=\"{cx:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"{c}\" stroke=\"#fff\" stroke-width=\"1\"><title>{label} · {series}: {value}</title></circle>",
                cx = x + shift,
                c = colour(&p.series),
                label = escape(&p.x_label),
                series = escape(&p.series),
                value = escape(&by_unit(p.value, chart.unit.as_deref(), lang)),
            ));
        }
    } else {
        let n = chart.points.len() as f64;
        let slot = plot_w / n;
        let bar = (slot * 0.7).min(80.0);
        for (i, p) in chart.points.iter().enumerate() {
            let x = left + slot * i as f64 + (slot - bar) / 2.0;
            let (y0, y1) = (y_of(0.0_f64.max(y_min)), y_of(p.value));
            out.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{top:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\" fill=\"{c}\">\
                 <title>{label}: {value}</title></rect>",
                top = y0.min(y1),
                h = (y0 - y1).abs(),
                c = colour(&p.series),
                label = escape(&p.x_label),
                value = escape(&by_unit(p.value, chart.unit.as_deref(), lang)),
            ));
            // The value over its bar, so a single bar still says what it is.
            out.push_str(&format!(
                "<text x=\"{cx:.1}\" y=\"{ty:.1}\" text-anchor=\"middle\" fill=\"#222\" font-weight=\"bold\">{}</text>",
                escape(&by_unit(p.value, chart.unit.as_deref(), lang)),
                cx = x + bar / 2.0,
                ty = if p.value >= 0.0 { y1 - 6.0 } else { y1 + 14.0 },
            ));
            for (k, line) in wrap(&p.x_label, (slot / 7.0).max(6.0) as usize)
                .iter()
                .take(3)
                .enumerate()
            {
                out.push_str(&format!(
                    "<text x=\"{cx:.1}\" y=\"{ty:.1}\" text-anchor=\"middle\" fill=\"#444\">{}</text>",
                    escape(line),
                    cx = x + bar / 2.0,
                    ty = TOP + plot_h + 16.0 + 14.0 * k as f64,
                ));
            }
        }
    }
    // Legend, when there is more than one series.
    if series.len() > 1 {
        let columns = size.legend_columns;
        let column_width = (width - left - RIGHT) / columns as f64;
        let chars = ((column_width - 16.0) / 6.6) as usize;
        for (i, name) in series.iter().enumerate() {
            // Clear of the axis title (at +36): the legend starts at +60.
            let y = height - size.bottom + 60.0 + 16.0 * (i / columns) as f64;
            let x = left + (i % columns) as f64 * column_width;
            let mut label: String = name.chars().take(chars).collect();
            if name.chars().count() > chars {
                label.pop();
                label.push('…');
            }
            out.push_str(&format!(
                "<rect x=\"{x}\" y=\"{ry}\" width=\"10\" height=\"10\" fill=\"{c}\"/>\
                 <text x=\"{tx}\" y=\"{y}\" fill=\"#222\">{}</text>",
                escape(&label),
                ry = y - 9.0,
                tx = x + 14.0,
                c = colour(name),
            ));
        }
    }
    // The source line, on up to two lines under the legend.
    let lines = wrap(&chart.source_line, size.source_chars());
    let shown = lines.len().min(2);
    for (i, line) in lines.iter().take(2).enumerate() {
        let mut line = line.clone();
        if i == 1 && lines.len() > 2 {
            line.push_str(" …");
        }
        out.push_str(&format!(
            "<text x=\"{left}\" y=\"{y}\" fill=\"#444\" font-size=\"11\">{}</text>",
            escape(&line),
            y = height - 8.0 - 13.0 * (shown - 1 - i) as f64,
        ));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_series_is_a_line_with_labels_title_and_source() {
        let chart = Chart {
            title: "Pertumbuhan".into(),
            description: "Nilai per tahun".into(),
            unit: Some("rupiah".into()),
            source_line: "Sumber: Kemenperin, diolah".into(),
            points: vec![
                Point {
                    x_label: "2010".into(),
                    year: Some(2010.0),
                    series: "a".into(),
                    value: 37e9,
                },
                Point {
                    x_label: "2020".into(),
                    year: Some(2020.0),
                    series: "a".into(),
                    value: 138.7e9,
                },
            ],
        };
        let svg = svg(&chart, Lang::Id);
        assert!(
            svg.contains("<polyline") && svg.contains("<title id=\"chart-title-wide\">Pertumbuhan")
        );
        assert!(svg.contains(">2010<") && svg.contains(">2020<"));
        assert!(svg.contains("Rp138,7 miliar") || svg.contains("miliar"));
        assert!(svg.contains("Sumber: Kemenperin, diolah"));
    }

    #[test]
    fn categories_are_bars_and_text_is_escaped() {
        let chart = Chart {
            title: "<x>".into(),
            description: String::new(),
            unit: None,
            source_line: String::new(),
            points: vec![Point {
                x_label: "A & B".into(),
                year: None,
                series: "s".into(),
                value: 3.0,
            }],
        };
        let svg = svg(&chart, Lang::En);
        assert!(svg.contains("<rect x=") && svg.contains("A &amp; B") && svg.contains("&lt;x&gt;"));
    }

    #[test]
    fn markers_at_one_place_stand_side_by_side() {
        let shifts = dodge(&[(100.0, 50.0), (100.0, 50.0), (200.0, 80.0)]);
        assert_eq!(shifts, [-4.5, 4.5, 0.0]);
        let point = |series: &str| Point {
            x_label: "2019".into(),
            year: Some(2019.0),
            series: series.into(),
            value: 1_326.0,
        };
        let chart = Chart {
            title: "Unit usaha".into(),
            description: String::new(),
            unit: None,
            source_line: String::new(),
            points: vec![point("Republika"), point("Pemkab Purbalingga")],
        };
        let svg = svg(&chart, Lang::Id);
        let xs: Vec<&str> = svg
            .split("<circle cx=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
        assert_eq!(xs.len(), 2);
        assert_ne!(xs[0], xs[1], "two sources with one figure are both visible");
        assert!(svg.contains(">Pemkab Purbalingga<") && svg.contains(">Republika<"));
    }

    #[test]
    fn a_single_bar_says_its_value_and_the_narrow_chart_is_drawn_for_a_phone() {
        let chart = Chart {
            title: "CAGR".into(),
            description: String::new(),
            unit: Some("persen per tahun".into()),
            source_line: "Sumber: Kemenperin, diolah logam (revisi data 3).".into(),
            points: vec![Point {
                x_label: "Kemenperin, 2010–2020".into(),
                year: None,
                series: "nilai".into(),
                value: 14.13,
            }],
        };
        let wide = svg(&chart, Lang::Id);
        assert!(wide.contains(">14,13 %<"), "{wide}");
        assert!(wide.contains(">Kemenperin, 2010–2020<"), "{wide}");
        let narrow = svg_sized(&chart, Lang::Id, NARROW);
        assert!(narrow.contains("viewBox=\"0 0 380 440\""));
        assert!(narrow.contains("chart-title-narrow") && !narrow.contains("chart-title-wide"));
    }
}
