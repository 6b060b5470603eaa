//! A bounded sample of the bad-input fuzzer (`scripts/fuzz` runs all of it): every command of
//! `dokku help --all` at least once, locally and over ssh, with no finding allowed. The sample
//! size is `FUZZ_SAMPLE` (default 400 runs) and the shuffle's seed `FUZZ_SEED` (default 11).

use dokku_tests::fuzz::{self, Options};

#[test]
fn bad_inputs_are_refused_cleanly() {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let opts = Options {
        seed: env("FUZZ_SEED").unwrap_or(11),
        sample: Some(env("FUZZ_SAMPLE").unwrap_or(400) as usize),
        ..Options::default()
    };
    let report = fuzz::run(&opts);
    for f in &report.findings {
        println!("{f}");
    }
    print!("{}", report.summary());
    assert_eq!(
        report.commands_run, report.commands,
        "the sample must reach every command"
    );
    assert!(
        report.findings.is_empty(),
        "{} finding(s):\n{}",
        report.findings.len(),
        report.summary()
    );
}

/// A fuzz finding: `ssh-keys:add NAME PATH` echoed a path holding a newline as is, so the
/// refusal took two ` !     ` lines.
#[test]
fn ssh_keys_add_refuses_a_path_with_a_newline_in_one_line() {
    let sb = dokku_tests::Sandbox::new();
    let out = sb.dokku(&["ssh-keys:add", "fz-key", "it's \"q\"\nline2"]);
    dokku_tests::refused(out, "cannot read");
}
