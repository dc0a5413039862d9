//! Runs vector operations from JSON lines on stdin (`{"op": …, "input": …}`) and prints one output
//! line each, through the same executor as the vector files. Peers in other languages use it to
//! compare the core with their own implementations on inputs they generate (`tests/peers/`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../tests/support/vectors.rs"]
mod vectors;

use std::io::{BufRead, Write};

fn main() {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in std::io::stdin().lock().lines() {
        let line = line.unwrap();
        if line.trim().is_empty() {
            continue;
        }
        let request: serde_json::Value = serde_json::from_str(&line).unwrap();
        let result = vectors::run(request["op"].as_str().unwrap(), &request["input"]);
        writeln!(out, "{result}").unwrap();
    }
}
