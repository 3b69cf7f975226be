//! Jekyll's common Liquid filters, registered in Tera under their Jekyll names so layouts port
//! with few changes. Each filter holding site data is a small struct with just what it needs.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use tera::{to_value, try_get_value, Filter, Result, Tera, Value};

use crate::analyze::permalink::slugify;
use crate::config::{join_url, SiteConfig};

pub fn register(tera: &mut Tera, config: &SiteConfig) {
    tera.register_filter("relative_url", RelativeUrl { baseurl: config.baseurl.clone() });
    tera.register_filter("absolute_url", AbsoluteUrl { prefix: format!("{}{}", config.url, config.baseurl) });
    tera.register_filter("markdownify", Markdownify);
    tera.register_filter("xml_escape", xml_escape);
    tera.register_filter("cgi_escape", cgi_escape);
    tera.register_filter("uri_escape", uri_escape);
    tera.register_filter("jsonify", jsonify);
    tera.register_filter("slugify", slugify_filter);
    tera.register_filter("smartify", |v: &Value, _: &HashMap<String, Value>| Ok(Value::String(smartify(&text(v)))));
    tera.register_filter("strip_html", strip_html_filter);
    tera.register_filter("normalize_whitespace", normalize_whitespace);
    tera.register_filter("number_of_words", number_of_words);
    tera.register_filter("date_to_xmlschema", |v: &Value, _: &HashMap<String, Value>| {
        format_date(v, "%Y-%m-%dT%H:%M:%S%:z")
    });
    tera.register_filter("date_to_rfc822", |v: &Value, _: &HashMap<String, Value>| {
        format_date(v, "%a, %d %b %Y %H:%M:%S %z")
    });
    tera.register_filter("date_to_string", |v: &Value, _: &HashMap<String, Value>| format_date(v, "%d %b %Y"));
    tera.register_filter("date_to_long_string", |v: &Value, _: &HashMap<String, Value>| format_date(v, "%d %B %Y"));
    tera.register_filter("append", |v: &Value, a: &HashMap<String, Value>| {
        Ok(Value::String(format!("{}{}", text(v), a.get("s").map(text).unwrap_or_default())))
    });
    tera.register_filter("prepend", |v: &Value, a: &HashMap<String, Value>| {
        Ok(Value::String(format!("{}{}", a.get("s").map(text).unwrap_or_default(), text(v))))
    });
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

struct RelativeUrl {
    baseurl: String,
}

impl Filter for RelativeUrl {
    fn filter(&self, value: &Value, _: &HashMap<String, Value>) -> Result<Value> {
        Ok(Value::String(join_url(&self.baseurl, &text(value))))
    }
}

struct AbsoluteUrl {
    prefix: String,
}

impl Filter for AbsoluteUrl {
    fn filter(&self, value: &Value, _: &HashMap<String, Value>) -> Result<Value> {
        let v = text(value);
        if v.starts_with("http://") || v.starts_with("https://") {
            return Ok(Value::String(v));
        }
        Ok(Value::String(join_url(&self.prefix, &v)))
    }
}

struct Markdownify;

impl Filter for Markdownify {
    fn filter(&self, value: &Value, _: &HashMap<String, Value>) -> Result<Value> {
        Ok(Value::String(super::markdown::render(&text(value), None).html))
    }

    fn is_safe(&self) -> bool {
        true
    }
}

fn xml_escape(value: &Value, _: &HashMap<String, Value>) -> Result<Value> {
    Ok(Value::String(super::markdown::escape(&text(value))))
}

fn percent_encode(s: &str, keep: &[u8], space_plus: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || keep.contains(&b) {
            out.push(b as char);
        } else if b == b' ' && space_plus {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn cgi_escape(value: &Value, _: &HashMap<String, Value>) -> Result<Value> {
    Ok(Value::String(percent_encode(&text(value), b"*-._", true)))
}

fn uri_escape(value: &Value, _: &HashMap<String, Value>) -> Result<Value> {
    Ok(Value::String(percent_encode(&text(value), b"-_.!~*'();/?:@&=+$,#[]%", false)))
}

fn jsonify(value: &Value, _: &HashMap<String, Value>) -> Result<Value> {
    Ok(Value::String(serde_json::to_string(value).map_err(|e| tera::Error::msg(e.to_string()))?))
}

fn slugify_filter(value: &Value, _: &HashMap<String, Value>) -> Result<Value> {
    let s = try_get_value!("slugify", "value", String, value);
    Ok(Value::String(slugify(&s)))
}

fn strip_html_filter(value: &Value, _: &HashMap<String, Value>) -> Result<Value> {
    Ok(Value::String(strip_html(&text(value))))
}

/// Removes tags, `<script>`/`<style>` bodies and comments, as Jekyll's `strip_html`.
pub fn strip_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let lower = tail.get(..8).unwrap_or(tail).to_ascii_lowercase();
        let skip_to = if tail.starts_with("<!--") {
            tail.find("-->").map(|e| e + 3)
        } else if lower.starts_with("<script") || lower.starts_with("<style") {
            let close = if lower.starts_with("<script") { "</script>" } else { "</style>" };
            tail.to_ascii_lowercase().find(close).map(|e| e + close.len())
        } else {
            tail.find('>').map(|e| e + 1)
        };
        match skip_to {
            Some(n) => rest = &tail[n..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Typographic punctuation as Jekyll's `smartify` (kramdown's SmartyPants): curly quotes,
/// `--` en dash, `---` em dash, `...` ellipsis.
pub fn smartify(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut after_entity = false;
    while i < chars.len() {
        let c = chars[i];
        let prev = if i == 0 { None } else { Some(chars[i - 1]) };
        // Like kramdown: a quote after space, an opening bracket, a dash or a quote entity opens.
        let opens = after_entity || prev.is_none_or(|p| p.is_whitespace() || "([{-–—".contains(p));
        after_entity = false;
        match c {
            // Entities stay as written: Jekyll smartifies the raw title, so `&quot;` stays straight.
            '&' if entity_len(&chars[i..]) > 0 => {
                let n = entity_len(&chars[i..]);
                let entity: String = chars[i..i + n].iter().collect();
                after_entity = matches!(html_escape::decode_html_entities(&entity).as_ref(), "\"" | "(" | "[" | "{");
                out.push_str(&entity);
                i += n;
                continue;
            }
            '-' if chars.get(i + 1) == Some(&'-') => {
                if chars.get(i + 2) == Some(&'-') {
                    out.push('—');
                    i += 3;
                } else {
                    out.push('–');
                    i += 2;
                }
                continue;
            }
            '.' if chars.get(i + 1) == Some(&'.') && chars.get(i + 2) == Some(&'.') => {
                out.push('…');
                i += 3;
                continue;
            }
            '"' => out.push(if opens { '“' } else { '”' }),
            '\'' => out.push(if opens { '‘' } else { '’' }),
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// Length of an HTML entity (`&amp;`, `&#91;`) at the start of `chars`, or 0.
fn entity_len(chars: &[char]) -> usize {
    let body = chars.iter().skip(1).take(32).take_while(|c| c.is_ascii_alphanumeric() || **c == '#').count();
    if body > 0 && chars.get(body + 1) == Some(&';') {
        body + 2
    } else {
        0
    }
}

fn normalize_whitespace(value: &Value, _: &HashMap<String, Value>) -> Result<Value> {
    Ok(Value::String(text(value).split_whitespace().collect::<Vec<_>>().join(" ")))
}

fn number_of_words(value: &Value, _: &HashMap<String, Value>) -> Result<Value> {
    Ok(to_value(text(value).split_whitespace().count())?)
}

/// Accepts dates as front matter writes them: `1999-12-19`, RFC 3339, `1999-12-19 10:00:00 +0100`.
pub fn parse_date(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d);
    }
    if let Ok(d) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S %z") {
        return Some(d);
    }
    let utc = FixedOffset::east_opt(0)?;
    if let Ok(d) = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S") {
        return utc.from_local_datetime(&d).single();
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    utc.from_local_datetime(&date.and_hms_opt(0, 0, 0)?).single()
}

fn format_date(value: &Value, fmt: &str) -> Result<Value> {
    let date = match value {
        Value::String(s) if s == "now" => Some(Utc::now().fixed_offset()),
        Value::String(s) => parse_date(s),
        Value::Number(n) => n.as_i64().and_then(|t| DateTime::from_timestamp(t, 0)).map(|d| d.fixed_offset()),
        _ => None,
    };
    match date {
        Some(d) => Ok(Value::String(d.format(fmt).to_string())),
        None => Err(tera::Error::msg(format!("cannot read {value} as a date"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Overrides;
    use std::path::Path;
    use tera::Context;

    fn render(template: &str) -> String {
        let config =
            SiteConfig::parse(Path::new("/s"), "url = \"https://h.io\"\nbaseurl = \"/kb\"", &Overrides::default())
                .unwrap();
        let mut tera = Tera::default();
        tera.set_escape_fn(crate::render::templates::escape_html);
        register(&mut tera, &config);
        tera.add_raw_template("t.html", template).unwrap();
        let mut c = Context::new();
        c.insert("d", "1999-12-19");
        c.insert("s", "Q&A <b>bold</b> \"x\"");
        tera.render("t.html", &c).unwrap()
    }

    #[test]
    fn url_filters_apply_baseurl() {
        assert_eq!(render("{{ '/a/' | relative_url }} {{ 'a' | absolute_url }}"), "/kb/a/ https://h.io/kb/a");
    }

    #[test]
    fn escaping_filters() {
        assert_eq!(render("{{ s | xml_escape | safe }}"), "Q&amp;A &lt;b&gt;bold&lt;/b&gt; &quot;x&quot;");
        assert_eq!(render("{{ s | strip_html }}"), "Q&amp;A bold &quot;x&quot;");
        assert_eq!(render("{{ 'a b&c' | cgi_escape }}"), "a+b%26c");
        assert_eq!(render("{{ s | jsonify | safe }}"), r#""Q&A <b>bold</b> \"x\"""#);
    }

    #[test]
    fn date_filters() {
        assert_eq!(render("{{ d | date_to_xmlschema }}"), "1999-12-19T00:00:00+00:00");
        assert_eq!(render("{{ d | date_to_string }}"), "19 Dec 1999");
        assert_eq!(render("{{ d | date_to_rfc822 }}"), "Sun, 19 Dec 1999 00:00:00 +0000");
    }

    #[test]
    fn text_filters() {
        assert_eq!(render("{{ 'Hello, World!' | slugify }}"), "hello-world");
        assert_eq!(render("{{ '*hi*' | markdownify }}"), "<p><em>hi</em></p>\n");
        assert_eq!(render("{{ ' a  b\n c ' | normalize_whitespace }}|{{ 'a b c' | number_of_words }}"), "a b c|3");
        assert_eq!(render("{{ 'b' | append(s='c') | prepend(s='a') }}"), "abc");
    }

    #[test]
    fn smartify_matches_jekyll_titles() {
        assert_eq!(smartify("Error '800A01A8' with OWA"), "Error ‘800A01A8’ with OWA");
        assert_eq!(smartify("Can't Find the MapPoint..."), "Can’t Find the MapPoint…");
        assert_eq!(smartify("After &quot;failed&quot; 'x'"), "After &quot;failed&quot; ‘x’");
        assert_eq!(smartify("C2662: &quot;'__x' cannot"), "C2662: &quot;‘__x’ cannot");
        assert_eq!(smartify("Mishandles '-' in"), "Mishandles ‘-‘ in");
        assert_eq!(smartify("Use of '&amp;' in"), "Use of ‘&amp;’ in");
        assert_eq!(smartify("Explorer--Run a---b \"q\""), "Explorer–Run a—b “q”");
    }

    #[test]
    fn strip_html_drops_scripts_and_comments() {
        assert_eq!(strip_html("a<script>x<y</script>b<!-- c -->d<p>e</p>"), "abde");
        assert_eq!(strip_html("a < b"), "a ");
    }
}
