//! What tests, benchmarks and examples need to drive a console without an XDR or a SIEM: an in-memory
//! [`backend`] and a console [`served`] over it on a loopback port. Built with the `testing` feature,
//! which the console's own dev-dependencies enable.

pub mod backend;
pub mod served;

pub use backend::MemoryBackend;
pub use served::Served;
