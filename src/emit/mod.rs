//! The emit stage: effective configurations → platform artifacts.
//!
//! [`encode`] turns a concrete profile's effective configuration into an
//! [`EncodedProfile`]: typed values with `env()` secrets resolved, each key
//! also encoded as the string the app reads from the OS preference store.
//! Every backend is a pure function from an [`EncodedProfile`] (or from the
//! schema, for templates) to bytes.
//!
//! Architecture invariant: backends never see the AST, spans or
//! diagnostics; they do no I/O and read no clock.

pub mod admx;
pub mod build;
pub mod encode;
pub mod json;
pub mod mobileconfig;
pub mod pfm;
pub mod reg;

pub use encode::{Delivery, EncodedProfile, Entry, Meta, Scope, encode};

/// One output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Path relative to the output directory, `/`-separated.
    pub path: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Whether it contains a secret (an `env()` value or a secret key).
    pub secret: bool,
}
