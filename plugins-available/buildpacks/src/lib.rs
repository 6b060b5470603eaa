//! What the buildpacks plugin keeps and the herokuish builder reads: an app's buildpack list
//! and stack image ([`store`]), and the rules a buildpack location follows ([`url`], core's `buildpack` module).

pub mod store;
pub use dokku_core::buildpack as url;
