//! The one DataFusion scalar function type behind every KQL function DataFusion has no built-in
//! for: a named, immutable function whose body is a plain Rust kernel over Arrow arrays.
//!
//! Arguments reach a kernel as arrays of the batch's length (constants are expanded), whatever
//! their Arrow type; the kernel reads them through the typed views below, which cast as needed
//! (so a `Utf8View` column, a null literal or a number all read as text). Kernels never panic:
//! a value they cannot read is null, or the empty string where Kusto gives one.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, DurationNanosecondArray, Float64Array, Int64Array, StringArray,
    TimestampNanosecondArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// A kernel: the function's arguments, each an array of the batch's length, to its result.
pub(crate) type Kernel = fn(&[ArrayRef]) -> Result<ArrayRef>;

/// A KQL function implemented by a [`Kernel`].
#[derive(Debug)]
struct KernelFunction {
    name: String,
    signature: Signature,
    returns: DataType,
    kernel: Kernel,
}

impl PartialEq for KernelFunction {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.returns == other.returns
            && self.signature == other.signature
    }
}

impl Eq for KernelFunction {}

impl Hash for KernelFunction {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.returns.hash(state);
    }
}

impl ScalarUDFImpl for KernelFunction {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.returns.clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let result = (self.kernel)(&arrays)?;
        if result.data_type() == &self.returns {
            Ok(ColumnarValue::Array(result))
        } else {
            Ok(ColumnarValue::Array(cast(&result, &self.returns)?))
        }
    }
}

/// A call of the kernel function `name` (its name in plans) returning `returns`.
pub(crate) fn call(name: &str, returns: DataType, kernel: Kernel, args: Vec<Expr>) -> Expr {
    let signature = Signature::any(args.len(), Volatility::Immutable);
    let function = KernelFunction {
        name: name.to_owned(),
        signature,
        returns,
        kernel,
    };
    ScalarUDF::new_from_impl(function).call(args)
}

/// The array as UTF-8 text (numbers and booleans as Arrow writes them; null stays null).
pub(crate) fn texts(array: &ArrayRef) -> Result<StringArray> {
    let text = cast(array, &DataType::Utf8)?;
    Ok(downcast::<StringArray>(&text)?.clone())
}

/// The array as 64-bit integers (a value that does not fit is null).
pub(crate) fn longs(array: &ArrayRef) -> Result<Int64Array> {
    let numbers = cast(array, &DataType::Int64)?;
    Ok(downcast::<Int64Array>(&numbers)?.clone())
}

/// The array as 64-bit floats.
pub(crate) fn reals(array: &ArrayRef) -> Result<Float64Array> {
    let numbers = cast(array, &DataType::Float64)?;
    Ok(downcast::<Float64Array>(&numbers)?.clone())
}

/// The array as booleans.
pub(crate) fn bools(array: &ArrayRef) -> Result<BooleanArray> {
    let flags = cast(array, &DataType::Boolean)?;
    Ok(downcast::<BooleanArray>(&flags)?.clone())
}

/// The array as UTC instants in nanoseconds since the Unix epoch.
pub(crate) fn instants(array: &ArrayRef) -> Result<TimestampNanosecondArray> {
    let utc = DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()));
    let instants = cast(array, &utc)?;
    Ok(downcast::<TimestampNanosecondArray>(&instants)?.clone())
}

/// The array as durations in nanoseconds.
pub(crate) fn durations(array: &ArrayRef) -> Result<DurationNanosecondArray> {
    let durations = cast(array, &DataType::Duration(TimeUnit::Nanosecond))?;
    Ok(downcast::<DurationNanosecondArray>(&durations)?.clone())
}

fn downcast<T: 'static>(array: &ArrayRef) -> Result<&T> {
    array.as_any().downcast_ref::<T>().ok_or_else(|| {
        datafusion::common::DataFusionError::Internal(format!(
            "a KQL kernel expected {}, got {}",
            std::any::type_name::<T>(),
            array.data_type()
        ))
    })
}

/// Wraps a finished array for a kernel's return.
pub(crate) fn done<A: Array + 'static>(array: A) -> Result<ArrayRef> {
    Ok(Arc::new(array))
}

/// Text with Kusto's empty-string-for-null rule applied: a string is never null in Kusto.
pub(crate) fn or_empty(value: Option<&str>) -> &str {
    value.unwrap_or("")
}

/// The argument at `index`, or an error naming the kernel's missing argument (the builders always
/// pass the full list, so this is a guard, not a path users reach).
pub(crate) fn arg(args: &[ArrayRef], index: usize) -> Result<&ArrayRef> {
    args.get(index).ok_or_else(|| {
        datafusion::common::DataFusionError::Internal(format!(
            "a KQL kernel is missing argument {index}"
        ))
    })
}
