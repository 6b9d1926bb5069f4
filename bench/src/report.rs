//! The figures: one [`Row`] per figure with its target and verdict, the number format, and the
//! table in Markdown. Rows cross from an item's process to the parent as JSON lines, so the
//! parent alone prints the table (and writes `--markdown`) while each item stays in a process
//! of its own.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One line of the table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Row {
    pub(crate) figure: String,
    pub(crate) value: String,
    pub(crate) target: String,
    pub(crate) verdict: String,
}

impl Row {
    pub(crate) fn info(figure: impl Into<String>, value: impl Into<String>) -> Row {
        Row {
            figure: figure.into(),
            value: value.into(),
            target: "–".into(),
            verdict: "–".into(),
        }
    }

    /// A figure that must stay at or under `limit`.
    pub(crate) fn at_most(figure: &str, value: f64, unit: &str, limit: f64) -> Row {
        Row {
            figure: figure.into(),
            value: format!("{} {unit}", fmt_num(value)),
            target: format!("< {} {unit}", fmt_num(limit)),
            verdict: format!(
                "{:.2} {}",
                value / limit,
                if value < limit { "ok" } else { "MISSED" }
            ),
        }
    }

    /// A ratio that must reach `floor`.
    pub(crate) fn ratio(figure: &str, value: f64, floor: f64) -> Row {
        Row {
            figure: figure.into(),
            value: format!("{value:.2}"),
            target: format!(">= {floor}"),
            verdict: if value >= floor { "ok" } else { "MISSED" }.into(),
        }
    }
}

pub(crate) fn fmt_num(v: f64) -> String {
    if v >= 100.0 {
        let n = v.round() as u64;
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

pub(crate) fn markdown_table(rows: &[Row]) -> String {
    let mut out = String::from("| figure | value | target | ratio / ok |\n|---|---:|---|---|\n");
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            r.figure, r.value, r.target, r.verdict
        );
    }
    out
}

/// Prints a row for the parent (one JSON line on stdout) and for a person watching (stderr).
pub(crate) fn emit(row: Row) {
    eprintln!(
        "  {:<58} {:>18}  {:<14} {}",
        row.figure, row.value, row.target, row.verdict
    );
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{}",
        serde_json::to_string(&row).expect("a row as JSON")
    );
    let _ = out.flush();
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}
