//! What the docker-options plugin shares with the storage plugin: the store in Dokku 0.38's
//! place, `$DOKKU_LIB_ROOT/config/docker-options/APP/_default_.PHASE` and `PROC.deploy` (one
//! option per line, Dokku's format). The helpers of the `docker-args-*` triggers are
//! `dokku_core::docker::dockerargs`.

pub mod store;
