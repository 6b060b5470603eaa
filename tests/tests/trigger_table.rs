//! docs/triggers.md is the table the sources give (regenerate it with scripts/trigger-table), and
//! every trigger of Dokku's documentation (docs/dokku-triggers.txt) is fired and answered here as
//! that list says, or says why not.

#[test]
fn the_trigger_table_is_current() {
    let repo = dokku_tests::repo();
    let generated = dokku_tests::triggers::table(&repo);
    let written = std::fs::read_to_string(repo.join("docs/triggers.md")).unwrap_or_default();
    assert!(
        written == generated,
        "docs/triggers.md is stale: run scripts/trigger-table"
    );
}

#[test]
fn every_documented_trigger_is_fired_and_answered_as_listed() {
    let repo = dokku_tests::repo();
    let rows = dokku_tests::triggers::scan(&repo);
    let docs = dokku_tests::triggers::documented(&repo);
    assert!(
        docs.len() > 100,
        "docs/dokku-triggers.txt lists {}",
        docs.len()
    );
    let mut wrong = Vec::new();
    for d in &docs {
        let row = rows.get(&d.name);
        let fired = row.is_some_and(|r| !r.fired_by.is_empty());
        let answered = row.is_some_and(|r| !r.answered_by.is_empty());
        let ok = match d.role.as_str() {
            "fired" => fired,
            "answered" => answered,
            "both" => fired && answered,
            // Not ours: say why, and do not leave it marked so once a plugin takes it up.
            "none" => !d.note.is_empty() && !fired && !answered,
            "other" => !d.note.is_empty(),
            _ => false,
        };
        if !ok {
            wrong.push(format!(
                "{} ({}): fired={fired} answered={answered}",
                d.name, d.role
            ));
        }
    }
    assert!(wrong.is_empty(), "not as listed:\n{}", wrong.join("\n"));
}

#[test]
fn the_deploy_pipeline_is_fired_and_answered_by_core_plugins() {
    let rows = dokku_tests::triggers::scan(&dokku_tests::repo());
    for t in [
        "receive-app",
        "post-extract",
        "builder-detect",
        "builder-build",
        "release-and-deploy",
        "scheduler-deploy",
        "check-deploy",
        "post-deploy",
        "proxy-build-config",
        "docker-args-deploy",
    ] {
        let r = rows
            .get(t)
            .unwrap_or_else(|| panic!("{t} is not in the table"));
        assert!(
            !r.fired_by.is_empty() && !r.answered_by.is_empty(),
            "{t}: fired by {:?}, answered by {:?}",
            r.fired_by,
            r.answered_by
        );
    }
}
