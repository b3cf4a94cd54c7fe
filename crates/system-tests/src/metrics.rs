//! Reading the Prometheus text format, strictly enough to notice a malformed line.

/// One sample: `name{labels} value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Sample {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses the exposition text; `Err` names the first line that is not a comment, a
/// blank line or a well-formed sample.
pub fn parse(text: &str) -> Result<Vec<Sample>, String> {
    let mut samples = Vec::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        samples.push(parse_sample(line).ok_or_else(|| format!("malformed line: {line}"))?);
    }
    Ok(samples)
}

fn parse_sample(line: &str) -> Option<Sample> {
    let (series, value) = line.rsplit_once(' ')?;
    let value = value.parse::<f64>().ok()?;
    let (name, labels) = match series.split_once('{') {
        Some((name, rest)) => (name, parse_labels(rest.strip_suffix('}')?)?),
        None => (series, Vec::new()),
    };
    let valid_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
    valid_name.then(|| Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

fn parse_labels(text: &str) -> Option<Vec<(String, String)>> {
    let mut labels = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (key, after) = rest.split_once("=\"")?;
        let end = after.find('"')?;
        labels.push((
            key.trim_start_matches(',').to_owned(),
            after[..end].to_owned(),
        ));
        rest = &after[end + 1..];
    }
    Some(labels)
}

/// The value of the sample called `name` whose labels include all of `labels`.
pub fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| s.name == name && labels.iter().all(|(k, v)| s.label(k) == Some(v)))
        .map(|s| s.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_and_labels_are_read() {
        let text = "# HELP x y\n# TYPE a counter\na_total{m=\"GET\",r=\"/x\"} 3\nb 1.5\n# EOF\n";
        let samples = parse(text).unwrap();
        assert_eq!(value(&samples, "a_total", &[("m", "GET")]), Some(3.0));
        assert_eq!(value(&samples, "b", &[]), Some(1.5));
        assert!(parse("a_total{m=\"GET\" 3\n").is_err());
        assert!(parse("bad name 3\n").is_err());
    }
}
