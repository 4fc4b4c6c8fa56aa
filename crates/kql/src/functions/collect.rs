//! KQL's collecting aggregates, `make_list`, `make_set` and `make_bag`, as DataFusion aggregates,
//! and the one aggregate type behind them and `percentile`: an accumulator whose partial state is
//! one JSON text, so partial results merge across partitions without Arrow list plumbing.
//!
//! Inputs are JSON texts (the compiler's values pass through `to_json` first); nulls are skipped,
//! as Kusto skips them. A list or set stops growing at its maximum size (Kusto's default and
//! limit is 1,048,576 items); `make_bag` keeps the first value it sees for a key and ignores
//! inputs that are not bags.

use std::collections::HashSet;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, Volatility,
};
use serde_json::{Map, Value};

use super::kernel;

/// The most items `make_list`, `make_set` and `make_bag` keep.
pub(crate) const MAX_ITEMS: usize = 1_048_576;

/// Builds a fresh accumulator for one group.
type MakeAccumulator = Arc<dyn Fn() -> Box<dyn Accumulator> + Send + Sync>;

/// An aggregate whose state is one JSON text.
pub(crate) struct TextStateAggregate {
    name: String,
    /// What distinguishes two instances of the same name (their parameters).
    identity: String,
    returns: DataType,
    signature: Signature,
    make: MakeAccumulator,
}

impl fmt::Debug for TextStateAggregate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextStateAggregate")
            .field("name", &self.name)
            .field("identity", &self.identity)
            .finish()
    }
}

impl PartialEq for TextStateAggregate {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.identity == other.identity && self.returns == other.returns
    }
}

impl Eq for TextStateAggregate {}

impl Hash for TextStateAggregate {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.identity.hash(state);
    }
}

impl AggregateUDFImpl for TextStateAggregate {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.returns.clone())
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok((self.make)())
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let field = Field::new(format_state_name(args.name, "json"), DataType::Utf8, true);
        Ok(vec![Arc::new(field)])
    }
}

/// A call of a [`TextStateAggregate`] over one argument.
pub(crate) fn text_state_call(
    name: &str,
    identity: String,
    returns: DataType,
    make: MakeAccumulator,
    arg: Expr,
) -> Expr {
    let aggregate = TextStateAggregate {
        name: name.to_owned(),
        identity,
        returns,
        signature: Signature::any(1, Volatility::Immutable),
        make,
    };
    AggregateUDF::new_from_impl(aggregate).call(vec![arg])
}

/// The JSON texts of a batch, parsed; nulls and text that is not JSON are skipped.
pub(crate) fn json_values(array: &ArrayRef) -> Result<Vec<Value>> {
    let texts = kernel::texts(array)?;
    Ok(texts
        .iter()
        .flatten()
        .filter_map(|text| serde_json::from_str::<Value>(text).ok())
        .filter(|value| !value.is_null())
        .collect())
}

/// The one state column of a partial result, each row parsed.
pub(crate) fn state_values(states: &[ArrayRef]) -> Result<Vec<Value>> {
    let state = states
        .first()
        .ok_or_else(|| DataFusionError::Internal("a KQL aggregate lost its state".to_owned()))?;
    json_values(state)
}

/// What a collecting aggregate builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Collection {
    /// Every value (`make_list`).
    List,
    /// Each distinct value once (`make_set`).
    Set,
    /// The union of property bags (`make_bag`).
    Bag,
}

/// `make_list`, `make_set` or `make_bag` over JSON texts, keeping at most `max_items`.
pub(crate) fn collect_call(
    name: &str,
    collection: Collection,
    max_items: usize,
    json: Expr,
) -> Expr {
    let make: MakeAccumulator = Arc::new(move || {
        Box::new(Collector {
            collection,
            max_items,
            items: Vec::new(),
            seen: HashSet::new(),
            bag: Map::new(),
            bytes: 0,
        })
    });
    let identity = format!("{collection:?}:{max_items}");
    text_state_call(name, identity, DataType::Utf8, make, json)
}

/// The accumulator behind `make_list`, `make_set` and `make_bag`.
#[derive(Debug)]
struct Collector {
    collection: Collection,
    max_items: usize,
    items: Vec<Value>,
    /// The JSON text of every item, for `make_set`.
    seen: HashSet<String>,
    bag: Map<String, Value>,
    /// Roughly how much memory the collected values hold.
    bytes: usize,
}

impl Collector {
    fn add(&mut self, value: Value) {
        match self.collection {
            Collection::Bag => {
                if let Value::Object(entries) = value {
                    for (key, value) in entries {
                        if self.bag.len() >= self.max_items {
                            break;
                        }
                        self.bytes += key.len() + value.to_string().len();
                        self.bag.entry(key).or_insert(value);
                    }
                }
            }
            _ if self.items.len() >= self.max_items => {}
            Collection::List => {
                self.bytes += value.to_string().len();
                self.items.push(value);
            }
            Collection::Set => {
                let text = value.to_string();
                if !self.seen.contains(&text) {
                    self.bytes += 2 * text.len();
                    self.seen.insert(text);
                    self.items.push(value);
                }
            }
        }
    }

    fn result(&self) -> Value {
        match self.collection {
            Collection::Bag => Value::Object(self.bag.clone()),
            _ => Value::Array(self.items.clone()),
        }
    }
}

impl Accumulator for Collector {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        for column in values.iter().take(1) {
            json_values(column)?
                .into_iter()
                .for_each(|value| self.add(value));
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Utf8(Some(self.result().to_string())))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.bytes
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.evaluate()?])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        for partial in state_values(states)? {
            match (self.collection, partial) {
                (Collection::Bag, bag) => self.add(bag),
                (_, Value::Array(items)) => items.into_iter().for_each(|item| self.add(item)),
                _ => {}
            }
        }
        Ok(())
    }
}
