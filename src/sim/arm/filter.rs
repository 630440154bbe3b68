//! The `$filter` grammar of the Recovery Services list operations: `field eq 'value'` clauses
//! joined by `and`, such as
//! `backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'`. A quote inside a value is
//! doubled (`''`). Keywords and field names are case-insensitive.

use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// One `field eq 'value'` clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Clause {
    pub(crate) field: String,
    pub(crate) value: String,
}

/// Parses a `$filter` expression into its clauses.
pub(crate) fn parse(filter: &str) -> Result<Vec<Clause>, String> {
    let mut parser = Parser {
        text: filter,
        position: 0,
    };
    let mut clauses = Vec::new();
    parser.skip_whitespace();
    if parser.at_end() {
        return Ok(clauses);
    }
    loop {
        let field = parser.identifier()?;
        parser.keyword("eq")?;
        let value = parser.quoted_value()?;
        clauses.push(Clause { field, value });
        parser.skip_whitespace();
        if parser.at_end() {
            return Ok(clauses);
        }
        parser.keyword("and")?;
    }
}

struct Parser<'a> {
    text: &'a str,
    position: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.position..]
    }

    fn at_end(&self) -> bool {
        self.rest().is_empty()
    }

    fn skip_whitespace(&mut self) {
        let rest = self.rest();
        self.position += rest.len() - rest.trim_start().len();
    }

    fn word(&mut self) -> &str {
        self.skip_whitespace();
        let rest = self.rest();
        let length = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len());
        let start = self.position;
        self.position += length;
        &self.text[start..start + length]
    }

    fn identifier(&mut self) -> Result<String, String> {
        let position = self.position;
        let word = self.word();
        if word.is_empty() {
            return Err(format!("expected a field name at position {position}"));
        }
        Ok(word.to_owned())
    }

    fn keyword(&mut self, keyword: &str) -> Result<(), String> {
        let position = self.position;
        let word = self.word();
        if word.eq_ignore_ascii_case(keyword) {
            Ok(())
        } else {
            Err(format!(
                "expected '{keyword}' at position {position}, found '{word}'"
            ))
        }
    }

    fn quoted_value(&mut self) -> Result<String, String> {
        self.skip_whitespace();
        let start = self.position;
        let mut characters = self.rest().char_indices();
        if !matches!(characters.next(), Some((_, '\''))) {
            return Err(format!("expected a quoted value at position {start}"));
        }
        let mut value = String::new();
        let mut pending_quote = false;
        for (offset, character) in characters {
            if pending_quote {
                if character == '\'' {
                    value.push('\'');
                    pending_quote = false;
                    continue;
                }
                self.position = start + offset;
                return Ok(value);
            }
            if character == '\'' {
                pending_quote = true;
            } else {
                value.push(character);
            }
        }
        if pending_quote {
            self.position = self.text.len();
            return Ok(value);
        }
        Err(format!(
            "the value starting at position {start} has no closing quote"
        ))
    }
}

/// Parses a time in a jobs filter. The service documents `2016-01-01 00:00:00 AM`
/// (`yyyy-MM-dd hh:mm:ss tt`, read as UTC); RFC 3339 and a 24-hour form without `AM`/`PM` are
/// accepted too.
pub(crate) fn parse_filter_time(text: &str) -> Result<OffsetDateTime, String> {
    let text = text.trim();
    if let Ok(time) = OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339) {
        return Ok(time);
    }

    let invalid = || format!("'{text}' is not a time such as '2016-01-01 00:00:00 AM'");
    let (clock_text, suffix) = match text.rsplit_once(' ') {
        Some((head, tail))
            if tail.eq_ignore_ascii_case("AM") || tail.eq_ignore_ascii_case("PM") =>
        {
            (head, Some(tail.to_ascii_uppercase()))
        }
        _ => (text, None),
    };
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let parsed = PrimitiveDateTime::parse(clock_text, &format).map_err(|_| invalid())?;
    let hour = parsed.hour();
    let hour = match suffix.as_deref() {
        Some("AM") if hour == 12 => 0,
        Some("PM") if hour < 12 => hour + 12,
        _ => hour,
    };
    let parsed = parsed.replace_hour(hour).map_err(|_| invalid())?;
    Ok(parsed.assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn clause(field: &str, value: &str) -> Clause {
        Clause {
            field: field.to_owned(),
            value: value.to_owned(),
        }
    }

    #[test]
    fn filter_protected_items_example() {
        let clauses = parse("backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'").unwrap();
        assert_eq!(
            clauses,
            [
                clause("backupManagementType", "AzureIaasVM"),
                clause("itemType", "VM")
            ]
        );
    }

    #[test]
    fn filter_jobs_example_with_all_fields() {
        let clauses = parse(
            "startTime eq '2016-01-01 00:00:00 AM' and endTime eq '2017-11-29 00:00:00 AM' and operation eq 'Backup' and backupManagementType eq 'AzureIaasVM' and status eq 'InProgress'",
        )
        .unwrap();
        assert_eq!(clauses.len(), 5);
        assert_eq!(clauses[0], clause("startTime", "2016-01-01 00:00:00 AM"));
        assert_eq!(clauses[4], clause("status", "InProgress"));
    }

    #[test]
    fn filter_keywords_any_case_and_extra_spaces() {
        let clauses = parse("  status EQ 'Failed'   AND operation   eq 'Backup' ").unwrap();
        assert_eq!(
            clauses,
            [clause("status", "Failed"), clause("operation", "Backup")]
        );
    }

    #[test]
    fn filter_doubled_quote_and_empty_value() {
        assert_eq!(
            parse("name eq 'O''Brien'").unwrap(),
            [clause("name", "O'Brien")]
        );
        assert_eq!(parse("name eq ''").unwrap(), [clause("name", "")]);
        assert_eq!(parse("a eq 'x y' and b eq 'z'").unwrap().len(), 2);
    }

    #[test]
    fn filter_empty_is_no_clause() {
        assert!(parse("").unwrap().is_empty());
        assert!(parse("   ").unwrap().is_empty());
    }

    #[test]
    fn filter_errors() {
        for bad in [
            "status 'Failed'",
            "status eq Failed",
            "status eq 'Failed",
            "status eq 'Failed' or operation eq 'Backup'",
            "status eq 'Failed' and",
            "eq 'x'",
            "status ne 'Failed'",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn filter_time_forms() {
        assert_eq!(
            parse_filter_time("2016-01-01 00:00:00 AM").unwrap(),
            datetime!(2016-01-01 00:00:00 UTC)
        );
        assert_eq!(
            parse_filter_time("2017-11-29 12:30:00 AM").unwrap(),
            datetime!(2017-11-29 00:30:00 UTC)
        );
        assert_eq!(
            parse_filter_time("2017-11-29 01:15:00 PM").unwrap(),
            datetime!(2017-11-29 13:15:00 UTC)
        );
        assert_eq!(
            parse_filter_time("2017-11-29 12:00:00 PM").unwrap(),
            datetime!(2017-11-29 12:00:00 UTC)
        );
        assert_eq!(
            parse_filter_time("2017-11-29 18:00:00").unwrap(),
            datetime!(2017-11-29 18:00:00 UTC)
        );
        assert_eq!(
            parse_filter_time("2017-11-29T18:00:00Z").unwrap(),
            datetime!(2017-11-29 18:00:00 UTC)
        );
        assert!(parse_filter_time("yesterday").is_err());
    }
}
