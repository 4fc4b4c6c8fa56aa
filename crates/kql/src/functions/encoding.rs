//! KQL's encoding and parsing helpers: `hash`, `base64_decode_tostring`,
//! `base64_encode_tostring`, `url_decode`, `url_encode`, `parse_url`, `parse_path`.
//!
//! `hash` is xxhash64 with seed 0 over the value's text (UTF-8), so for a string it gives Kusto's
//! exact value (`hash("World")` is 1846988464401551951); for other types Kusto hashes their binary
//! form, which is not reproduced here: those values differ from Kusto's, consistently.
//! Text that does not decode gives the empty string, Kusto's null for a string.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use datafusion::arrow::array::Array;
use datafusion::arrow::array::{ArrayRef, Int64Array, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{Expr, cast};
use serde_json::{Map, Value};
use twox_hash::XxHash64;

use super::args::{between, exactly};
use super::conversion::to_text;
use super::dynamic::write;
use super::kernel::{self, arg, call, done, or_empty};
use super::{Builder, TypedExpr};
use crate::error::FunctionError;
use crate::types::KqlType;

/// The encoding functions by name.
pub(crate) fn lookup(name: &str) -> Option<Builder> {
    let builder: Builder = match name {
        "hash" | "hash_xxhash64" => hash,
        "base64_decode_tostring" | "base64_decodestring" => {
            |name, args| text_to(name, args, KqlType::String, base64_decode_kernel)
        }
        "base64_encode_tostring" | "base64_encodestring" => {
            |name, args| text_to(name, args, KqlType::String, base64_encode_kernel)
        }
        "url_decode" => |name, args| text_to(name, args, KqlType::String, url_decode_kernel),
        "url_encode" | "url_encode_component" => {
            |name, args| text_to(name, args, KqlType::String, url_encode_kernel)
        }
        "parse_url" => |name, args| text_to(name, args, KqlType::Dynamic, parse_url_kernel),
        "parse_path" => |name, args| text_to(name, args, KqlType::Dynamic, parse_path_kernel),
        _ => return None,
    };
    Some(builder)
}

/// A one-argument function of its argument's text.
fn text_to(
    name: &str,
    args: Vec<TypedExpr>,
    kind: KqlType,
    kernel: kernel::Kernel,
) -> Result<TypedExpr, FunctionError> {
    let [text] = exactly(name, args)?;
    Ok(TypedExpr::new(
        call("encoding", kind.arrow_type(), kernel, vec![to_text(text)]),
        kind,
    ))
}

fn hash(name: &str, args: Vec<TypedExpr>) -> Result<TypedExpr, FunctionError> {
    let mut args = between(name, args, 1, 2)?.into_iter();
    let mut exprs: Vec<Expr> = Vec::with_capacity(2);
    exprs.extend(args.next().map(to_text));
    exprs.extend(args.next().map(|modulo| cast(modulo.expr, DataType::Int64)));
    Ok(TypedExpr::new(
        call("hash", DataType::Int64, hash_kernel, exprs),
        KqlType::Long,
    ))
}

/// xxhash64 of the text, or its remainder by a positive modulus.
fn hash_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let texts = kernel::texts(arg(args, 0)?)?;
    let moduli = args.get(1).map(kernel::longs).transpose()?;
    let hashes: Int64Array = (0..texts.len())
        .map(|row| {
            let digest = XxHash64::oneshot(
                0,
                or_empty(texts.is_valid(row).then(|| texts.value(row))).as_bytes(),
            );
            match &moduli {
                None => Some(i64::from_ne_bytes(digest.to_ne_bytes())),
                Some(moduli) => {
                    let modulus =
                        u64::try_from(moduli.is_valid(row).then(|| moduli.value(row))?).ok()?;
                    (modulus > 0).then(|| i64::try_from(digest % modulus).ok())?
                }
            }
        })
        .collect();
    done(hashes)
}

/// Each row's text through `each` (null read as empty).
fn map_text(args: &[ArrayRef], each: fn(&str) -> Option<String>) -> Result<ArrayRef> {
    let texts = kernel::texts(arg(args, 0)?)?;
    let mapped: StringArray = texts.iter().map(|text| each(or_empty(text))).collect();
    done(mapped)
}

fn base64_decode_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_text(args, |text| {
        let bytes = STANDARD
            .decode(text)
            .or_else(|_| STANDARD_NO_PAD.decode(text))
            .ok();
        Some(
            bytes
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .unwrap_or_default(),
        )
    })
}

fn base64_encode_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_text(args, |text| Some(STANDARD.encode(text)))
}

fn url_decode_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_text(args, |text| {
        let spaced = text.replace('+', " ");
        let decoded = percent_encoding::percent_decode_str(&spaced)
            .decode_utf8()
            .ok();
        Some(decoded.map(|text| text.into_owned()).unwrap_or_default())
    })
}

fn url_encode_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_text(args, |text| {
        let encoded = text.bytes().map(|byte| match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'*'
            | b'('
            | b')' => char::from(byte).to_string(),
            b' ' => "+".to_owned(),
            other => format!("%{other:02x}"),
        });
        Some(encoded.collect())
    })
}

/// The parts of a URL as `parse_url` names them, every part present (empty when absent).
fn url_parts(url: &str) -> Option<Value> {
    let (scheme, rest) = url.split_once("://")?;
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = rest.find('/').map_or((rest, ""), |at| rest.split_at(at));
    let (credentials, host_port) = authority.rsplit_once('@').unwrap_or(("", authority));
    let (username, password) = credentials.split_once(':').unwrap_or((credentials, ""));
    let (host, port) = match host_port.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => (host, port),
        _ => (host_port, ""),
    };
    let parameters: Map<String, Value> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key.to_owned(), Value::from(value))
        })
        .collect();
    let mut parts = Map::new();
    for (key, value) in [
        ("Scheme", scheme),
        ("Host", host),
        ("Port", port),
        ("Path", path),
        ("Username", username),
        ("Password", password),
        ("Fragment", fragment),
    ] {
        parts.insert(key.to_owned(), Value::from(value));
    }
    parts.insert("Query Parameters".to_owned(), Value::Object(parameters));
    Some(Value::Object(parts))
}

fn parse_url_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_text(args, |text| url_parts(text.trim()).and_then(write))
}

/// The parts of a file path as `parse_path` names them.
fn path_parts(path: &str) -> Value {
    let (scheme, rest) = path.split_once("://").unwrap_or(("", path));
    let (directory, file) = rest
        .rfind(['\\', '/'])
        .map_or(("", rest), |at| (&rest[..at], &rest[at + 1..]));
    let (filename, stream) = file.split_once(':').unwrap_or((file, ""));
    let extension = filename
        .rsplit_once('.')
        .map_or("", |(_, extension)| extension);
    let root = match rest.as_bytes() {
        [drive, b':', ..] if drive.is_ascii_alphabetic() => &rest[..2],
        _ => "",
    };
    let directory_name = directory.rsplit(['\\', '/']).next().unwrap_or("");
    let mut parts = Map::new();
    for (key, value) in [
        ("Scheme", scheme),
        ("RootPath", root),
        ("DirectoryPath", directory),
        ("DirectoryName", directory_name),
        ("Filename", filename),
        ("Extension", extension),
        ("AlternateDataStreamName", stream),
    ] {
        parts.insert(key.to_owned(), Value::from(value));
    }
    Value::Object(parts)
}

fn parse_path_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_text(args, |text| write(path_parts(text)))
}
