//! docs/triggers.md is the table the sources give (regenerate it with scripts/trigger-table).

#[test]
fn the_trigger_table_is_current_and_covers_the_pipeline() {
    let repo = dokku_tests::repo();
    let generated = dokku_tests::triggers::table(&repo);
    let written = std::fs::read_to_string(repo.join("docs/triggers.md")).unwrap_or_default();
    assert!(
        written == generated,
        "docs/triggers.md is stale: run scripts/trigger-table"
    );
    // The deploy pipeline's triggers are each fired and answered by a core plugin.
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
        let row = generated
            .lines()
            .find(|l| l.starts_with(&format!("| `{t}` |")))
            .unwrap_or_else(|| panic!("{t} is not in the table"));
        let cols: Vec<&str> = row.split(" | ").collect();
        assert!(cols[2] != "—" && cols[3] != "—", "{t}: {row}");
    }
}
