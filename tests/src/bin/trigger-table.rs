//! `scripts/trigger-table`: prints docs/triggers.md, generated from the sources.

fn main() {
    print!("{}", dokku_tests::triggers::table(&dokku_tests::repo()));
}
