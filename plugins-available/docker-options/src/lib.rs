//! What the docker-options plugin shares with the storage and resource plugins: the
//! store in Dokku 0.38's place, `$DOKKU_LIB_ROOT/config/docker-options/APP/_default_.PHASE`
//! and `PROC.deploy` (one option per line, Dokku's format) and the helpers of the `docker-args-*` triggers (echo stdin, append quoted words).

pub mod dockerargs;
pub mod store;
