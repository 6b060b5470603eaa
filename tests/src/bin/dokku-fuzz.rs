//! `scripts/fuzz`: the bad-input fuzzer over every command of `dokku help --all`, locally and
//! over ssh, in throwaway installations (see `dokku_tests::fuzz`). Prints every finding, then
//! the counts; exits 1 when anything was found.
//!   dokku-fuzz [--seed N] [--sample N] [--local|--ssh] [--jobs N] [--timeout SECS]
//!              [--only TEXT] [--out FILE] [-v]

use dokku_tests::fuzz::{self, Options};
use std::time::Duration;

fn usage() -> ! {
    eprintln!(
        "usage: dokku-fuzz [--seed N] [--sample N] [--local|--ssh] [--jobs N] [--timeout SECS] [--only TEXT] [--out FILE] [-v]"
    );
    std::process::exit(2)
}

fn main() {
    let mut opts = Options {
        progress: true,
        ..Options::default()
    };
    let mut out_file: Option<String> = None;
    let mut args = std::env::args().skip(1);
    let num =
        |v: Option<String>| -> u64 { v.and_then(|v| v.parse().ok()).unwrap_or_else(|| usage()) };
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seed" => opts.seed = num(args.next()),
            "--sample" => opts.sample = Some(num(args.next()) as usize),
            "--local" => {
                opts.local = true;
                opts.ssh = false;
            }
            "--ssh" => {
                opts.ssh = true;
                opts.local = false;
            }
            "--jobs" => opts.jobs = num(args.next()) as usize,
            "--timeout" => opts.timeout = Duration::from_secs(num(args.next())),
            "--only" => opts.only = Some(args.next().unwrap_or_else(|| usage())),
            "--out" => out_file = Some(args.next().unwrap_or_else(|| usage())),
            "-v" | "--verbose" => opts.verbose = true,
            "-h" | "--help" => {
                println!("dokku-fuzz: every command of `dokku help --all` with bad inputs, locally and over ssh");
                println!("  --seed N       shuffle seed (default 11)");
                println!(
                    "  --sample N     only the first N runs of the shuffled cases (default: all)"
                );
                println!("  --local|--ssh  only one way of running (default: both)");
                println!(
                    "  --jobs N       parallel workers, each with its own installation (default 1)"
                );
                println!("  --timeout S    per-run limit in seconds (default 20)");
                println!("  --only TEXT    only commands whose name contains TEXT");
                println!("  --out FILE     write every finding to FILE");
                println!("  -v             print each run");
                return;
            }
            _ => usage(),
        }
    }
    if let Ok(v) = std::env::var("FUZZ_SAMPLE") {
        if opts.sample.is_none() {
            opts.sample = v.parse().ok();
        }
    }
    let report = fuzz::run(&opts);
    let lines: Vec<String> = report.findings.iter().map(|f| f.to_string()).collect();
    for l in &lines {
        println!("{l}");
    }
    if let Some(f) = out_file {
        std::fs::write(&f, lines.join("\n") + "\n").expect("write --out");
    }
    print!("{}", report.summary());
    if !report.findings.is_empty() {
        std::process::exit(1);
    }
}
