//! KQL's IPv4 functions: `ipv4_is_private`, `ipv4_is_in_range`, `ipv4_is_in_any_range`,
//! `ipv4_is_match`, `format_ipv4_mask`.
//!
//! An address may carry a prefix (`10.1.2.3/24`), which masks it before the test. Text that is
//! not an IPv4 address gives null, as in Kusto.

use std::net::Ipv4Addr;

use datafusion::arrow::array::Array;
use datafusion::arrow::array::{ArrayRef, BooleanArray, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;

use super::args::between;
use super::conversion::{to_json, to_text};
use super::dynamic::{parse, scalar_text};
use super::kernel::{self, arg, call, done};
use super::{Builder, TypedExpr};
use crate::error::FunctionError;
use crate::types::KqlType;

/// The network functions by name.
pub(crate) fn lookup(name: &str) -> Option<Builder> {
    let builder: Builder = match name {
        "ipv4_is_private" => |name, args| network(name, args, 1, 1, is_private_kernel),
        "ipv4_is_in_range" => |name, args| network(name, args, 2, 2, in_range_kernel),
        "ipv4_is_match" => |name, args| network(name, args, 2, 3, is_match_kernel),
        "format_ipv4_mask" | "format_ipv4" => |name, args| {
            let args = between(name, args, 1, 2)?;
            let exprs = args.into_iter().map(to_text).collect();
            let expr = call(
                "format_ipv4_mask",
                DataType::Utf8,
                format_mask_kernel,
                exprs,
            );
            Ok(TypedExpr::new(expr, KqlType::String))
        },
        "ipv4_is_in_any_range" => |name, args| {
            let mut args = between(name, args, 2, usize::MAX)?.into_iter();
            let mut exprs = Vec::with_capacity(args.len());
            exprs.extend(args.next().map(to_text));
            exprs.extend(args.map(to_json));
            let expr = call(
                "ipv4_is_in_any_range",
                DataType::Boolean,
                in_any_range_kernel,
                exprs,
            );
            Ok(TypedExpr::new(expr, KqlType::Bool))
        },
        _ => return None,
    };
    Some(builder)
}

fn network(
    name: &str,
    args: Vec<TypedExpr>,
    min: usize,
    max: usize,
    kernel: kernel::Kernel,
) -> Result<TypedExpr, FunctionError> {
    let args = between(name, args, min, max)?;
    let exprs = args.into_iter().map(to_text).collect();
    Ok(TypedExpr::new(
        call("ipv4", DataType::Boolean, kernel, exprs),
        KqlType::Bool,
    ))
}

/// An address with its prefix length (32 when none is written).
#[derive(Clone, Copy)]
struct Block {
    address: u32,
    prefix: u32,
}

impl Block {
    fn parse(text: &str) -> Option<Block> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, prefix.parse().ok().filter(|p| *p <= 32)?),
            None => (text, 32),
        };
        let address = u32::from(address.parse::<Ipv4Addr>().ok()?);
        Some(Block { address, prefix })
    }

    fn mask(prefix: u32) -> u32 {
        u32::MAX.checked_shl(32 - prefix).unwrap_or(0)
    }

    /// Whether this block's masked address falls in `range`.
    fn within(self, range: Block) -> bool {
        let prefix = self.prefix.min(range.prefix);
        let mask = Block::mask(prefix);
        self.address & mask == range.address & mask
    }
}

/// The private blocks of RFC 1918.
const PRIVATE: [(u32, u32); 3] = [(0x0A00_0000, 8), (0xAC10_0000, 12), (0xC0A8_0000, 16)];

/// Each row's texts read as blocks and tested.
fn test_blocks(args: &[ArrayRef], test: fn(&[Block]) -> bool) -> Result<ArrayRef> {
    let columns = args.iter().map(kernel::texts).collect::<Result<Vec<_>>>()?;
    let rows = args.first().map_or(0, |first| first.len());
    let results: BooleanArray = (0..rows)
        .map(|row| {
            let blocks = columns
                .iter()
                .map(|column| {
                    column
                        .is_valid(row)
                        .then(|| Block::parse(column.value(row)))?
                })
                .collect::<Option<Vec<Block>>>()?;
            Some(test(&blocks))
        })
        .collect();
    done(results)
}

fn is_private_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    test_blocks(args, |blocks| {
        blocks.first().is_some_and(|block| {
            PRIVATE.iter().any(|&(address, prefix)| {
                block.prefix >= prefix && block.within(Block { address, prefix })
            })
        })
    })
}

fn in_range_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    test_blocks(args, |blocks| match blocks {
        [address, range] => address.within(*range),
        _ => false,
    })
}

fn is_match_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let prefixes = args.get(2).map(kernel::longs).transpose()?;
    let matched = test_blocks(&args[..2.min(args.len())], |blocks| match blocks {
        [left, right] => left.within(*right),
        _ => false,
    })?;
    let Some(prefixes) = prefixes else {
        return Ok(matched);
    };
    let addresses = [kernel::texts(arg(args, 0)?)?, kernel::texts(arg(args, 1)?)?];
    let results: BooleanArray = (0..prefixes.len())
        .map(|row| {
            let prefix =
                u32::try_from(prefixes.is_valid(row).then(|| prefixes.value(row))?).ok()?;
            let [left, right] = [&addresses[0], &addresses[1]].map(|column| {
                column
                    .is_valid(row)
                    .then(|| Block::parse(column.value(row)))?
            });
            let (left, right) = (left?, right?);
            let prefix = prefix.min(32);
            Some(Block { prefix, ..left }.within(Block { prefix, ..right }))
        })
        .collect();
    done(results)
}

/// The masked address and its prefix, `a.b.c.d/n` (`format_ipv4` writes the address alone);
/// empty when the address or prefix is not valid.
fn format_mask_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let addresses = kernel::texts(arg(args, 0)?)?;
    let prefixes = args.get(1).map(kernel::texts).transpose()?;
    let written: StringArray = (0..addresses.len())
        .map(|row| {
            let block = addresses
                .is_valid(row)
                .then(|| Block::parse(addresses.value(row)))
                .flatten();
            let prefix = match &prefixes {
                Some(prefixes) => prefixes
                    .is_valid(row)
                    .then(|| prefixes.value(row).trim().parse::<u32>().ok())
                    .flatten(),
                None => Some(32),
            };
            let written =
                block
                    .zip(prefix.filter(|prefix| *prefix <= 32))
                    .map(|(block, prefix)| {
                        let prefix = prefix.min(block.prefix);
                        let address = Ipv4Addr::from(block.address & Block::mask(prefix));
                        format!("{address}/{prefix}")
                    });
            Some(written.unwrap_or_default())
        })
        .collect();
    done(written)
}

fn in_any_range_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let addresses = kernel::texts(arg(args, 0)?)?;
    let ranges = args[1..]
        .iter()
        .map(kernel::texts)
        .collect::<Result<Vec<_>>>()?;
    let results: BooleanArray = (0..addresses.len())
        .map(|row| {
            let address = Block::parse(addresses.is_valid(row).then(|| addresses.value(row))?)?;
            let blocks: Vec<Block> = ranges
                .iter()
                .filter_map(|column| parse(column.is_valid(row).then(|| column.value(row))))
                .flat_map(|value| match value {
                    serde_json::Value::Array(items) => items.iter().map(scalar_text).collect(),
                    other => vec![scalar_text(&other)],
                })
                .filter_map(|text| Block::parse(&text))
                .collect();
            Some(blocks.iter().any(|range| address.within(*range)))
        })
        .collect();
    done(results)
}
