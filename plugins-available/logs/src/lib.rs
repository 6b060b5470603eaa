//! An app's scheduled containers, as the docker-local scheduler labels them
//! (`com.dokku.app-name`, `com.dokku.container-type=deploy`, `com.dokku.process-type`,
//! `com.dokku.dyno=PROCESS.N`, named `APP.PROCESS.N`). Shared by the logs and enter plugins.

pub mod containers;
