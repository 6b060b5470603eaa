//! The domain-name rules of the domains plugin, as a library so that other plugins (certs)
//! check names the same way.

pub mod validate;
