//! The `polc` command-line interface.
fn main() {}
