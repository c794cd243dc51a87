//! Strict JSON for the compiler layout: serde_json's parser plus the emulator's extra rules
//! (`FORMAT.md` §5.3), so that the Rust reader and the C parser accept the same documents:
//! no duplicate member names, nesting at most [`MAX_DEPTH`] containers, no `\u0000` in strings.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// Most nested arrays/objects a document may have (the C parser's limit too).
pub(crate) const MAX_DEPTH: usize = 64;

/// Parses `bytes` as one strict JSON value; the error is a one-line reason.
pub(crate) fn parse(bytes: &[u8]) -> Result<Value, String> {
    // serde_json's own recursion limit (128) is above ours, which `Strict` enforces.
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = Strict { depth: 0 }
        .deserialize(&mut de)
        .map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(v)
}

#[derive(Clone, Copy)]
struct Strict {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl Strict {
    fn nested<E: de::Error>(self) -> Result<Strict, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom("nesting deeper than 64 levels"));
        }
        Ok(Strict {
            depth: self.depth + 1,
        })
    }
}

fn check_str<E: de::Error>(s: &str) -> Result<(), E> {
    if s.contains('\0') {
        return Err(E::custom("\\u0000 (NUL) in a string is not supported"));
    }
    Ok(())
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // A non-integer (or out-of-range) number: valid, but never an integer to the reader.
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        check_str(v)?;
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        check_str(&v)?;
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.nested()?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(inner)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.nested()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            check_str(&key)?;
            let v = map.next_value_seed(inner)?;
            if out.insert(key.clone(), v).is_some() {
                return Err(de::Error::custom(format!(
                    "object member \"{key}\" appears twice"
                )));
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_rules() {
        assert!(parse(br#"{"a": [1, 2, {"b": null}]}"#).is_ok());
        assert!(parse(br#"{"a": 1, "a": 2}"#).unwrap_err().contains("twice"));
        assert!(parse(br#""a\u0000b""#).unwrap_err().contains("NUL"));
        assert!(parse(b"[1,]").is_err());
        assert!(parse(b"01").is_err());
        assert!(parse(b"{} x").is_err());
        assert!(parse(br#""\ud800""#).is_err());
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse(deep(64).as_bytes()).is_ok());
        assert!(parse(deep(65).as_bytes()).unwrap_err().contains("64"));
    }
}
