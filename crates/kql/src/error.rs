//! Why a KQL query could not run, in terms an analyst can act on: each error names the operator,
//! function or limit involved and, where it has one, the byte offset in the query text.

/// Why a query could not be compiled or run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KqlError {
    /// The text is not well-formed KQL.
    #[error("syntax error at offset {offset}: {message}")]
    Syntax {
        /// Byte offset in the query text.
        offset: usize,
        /// What was expected or found.
        message: String,
    },
    /// The text is KQL, but uses an operator or function Tandem does not support.
    #[error("'{name}' at offset {offset} is not supported")]
    Unsupported {
        /// The operator or function, as written.
        name: String,
        /// Byte offset in the query text.
        offset: usize,
    },
    /// The query is larger or deeper than the parser accepts.
    #[error("{0}")]
    Limit(String),
    /// The query is well-formed but meaningless here: an unknown table or column, a type mismatch.
    #[error("semantic error at offset {offset}: {message}")]
    Semantic {
        /// Byte offset in the query text.
        offset: usize,
        /// What is wrong.
        message: String,
    },
    /// The engine refused the plan or failed while running it.
    #[error("query failed: {0}")]
    Engine(String),
}

/// Why a function call could not be compiled; the compiler adds where the call stands.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FunctionError {
    /// No function of that name.
    #[error("unknown function '{0}'")]
    Unknown(String),
    /// The wrong number of arguments.
    #[error("'{name}' takes {expected} argument(s), got {got}")]
    Arity {
        /// The function.
        name: String,
        /// What it takes, e.g. `"1"` or `"2 or 3"`.
        expected: String,
        /// How many it was given.
        got: usize,
    },
    /// An argument of the wrong type or value.
    #[error("'{name}': {message}")]
    Argument {
        /// The function.
        name: String,
        /// What is wrong with which argument.
        message: String,
    },
}
