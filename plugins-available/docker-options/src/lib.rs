//! What the docker-options plugin shares with the storage and resource plugins: the
//! `$DOKKU_ROOT/APP/DOCKER_OPTIONS_{BUILD,DEPLOY,RUN}` store (one option per line, Dokku's
//! format) and the helpers of the `docker-args-*` triggers (echo stdin, append quoted words).

pub mod dockerargs;
pub mod store;
