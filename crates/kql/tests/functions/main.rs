#![cfg(test)]
//! KQL's functions compiled to DataFusion expressions and evaluated by a real DataFusion session
//! over a small table of every KQL type.

mod aggregates;
mod scalars;
mod support;
