//! What the buildpacks plugin keeps and the herokuish builder reads: an app's buildpack list
//! and stack image ([`store`]), and the rules a buildpack location follows ([`url`]).

pub mod store;
pub mod url;
