//! plugn: discovers executable plugins, fires named triggers across them in order, logs every
//! trigger to the events log, and installs, enables, disables, updates and removes plugins.
//! The `plugn` binary is a thin command line over this library; `dokku` and Rust plugins call
//! it in-process.

pub mod archive;
pub mod atomic;
pub mod discovery;
pub mod events;
pub mod manage;
pub mod manifest;
pub mod paths;
pub mod plugin_config;
pub mod trigger;

pub use paths::Paths;
pub use trigger::{fire, Input, Outcome, Output};

/// The version of plugn (and of this dokku).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
