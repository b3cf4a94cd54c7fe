//! How numbers read in the report.

use std::time::Duration;

/// `1234567` as `1,234,567`.
pub(crate) fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Deletes per second.
pub(crate) fn rate(value: f64) -> String {
    format!("{}/s", thousands(value.max(0.0).round() as u64))
}

pub(crate) fn millis(value: Duration) -> String {
    let ms = value.as_secs_f64() * 1e3;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

pub(crate) fn micros(value: f64) -> String {
    format!("{value:.1} µs")
}

pub(crate) fn ratio(value: f64) -> String {
    format!("{value:.2}×")
}

pub(crate) fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// A figure that may be missing, as `—` then.
pub(crate) fn or_dash<T>(value: Option<T>, show: impl FnOnce(T) -> String) -> String {
    value.map_or_else(|| "—".to_owned(), show)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
        assert_eq!(rate(12_345.6), "12,346/s");
        assert_eq!(millis(Duration::from_micros(1_234)), "1.23 ms");
        assert_eq!(millis(Duration::from_micros(12_345)), "12.3 ms");
        assert_eq!(ratio(0.854), "0.85×");
        assert_eq!(or_dash(None::<f64>, micros), "—");
    }
}
