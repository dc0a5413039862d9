//! A bounded load client for the endpoint tests and the GIL benchmark: `load ADDR CONNECTIONS
//! REQUESTS [RATE]` sends REQUESTS keep-alive `GET /token` requests over CONNECTIONS connections
//! from this process — with RATE, at most RATE requests/s in all, evenly paced per connection — and
//! prints `{"requests":…,"ok":…,"errors":…,"seconds":…}`. An error is a failed connect, read or
//! write, or an answer other than 200 with a JSON body.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const REQUEST: &[u8] = b"GET /token HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// One answer on a keep-alive connection: whether it was a 200 with a JSON body.
fn exchange(reader: &mut BufReader<TcpStream>) -> std::io::Result<bool> {
    reader.get_mut().write_all(REQUEST)?;
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let ok = line.starts_with("HTTP/1.1 200 ");
    let mut length = 0usize;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    Ok(ok && body.first() == Some(&b'{'))
}

fn connect(addr: &str) -> std::io::Result<BufReader<TcpStream>> {
    let stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    Ok(BufReader::new(stream))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (addr, connections, requests, rate) = match args.as_slice() {
        [_, addr, c, r] => (addr.clone(), c.parse::<u64>().unwrap(), r.parse::<u64>().unwrap(), None),
        [_, addr, c, r, rate] => {
            (addr.clone(), c.parse::<u64>().unwrap(), r.parse::<u64>().unwrap(), Some(rate.parse::<f64>().unwrap()))
        }
        _ => panic!("usage: load ADDR CONNECTIONS REQUESTS [RATE]"),
    };
    // Each connection sends at RATE / CONNECTIONS per second: its n-th request not before n × interval.
    let interval = rate.map(|r| Duration::from_secs_f64(connections as f64 / r));
    let (sent, ok, errors) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let started = Instant::now();
    let threads: Vec<_> = (0..connections)
        .map(|_| {
            let (addr, sent, ok, errors) = (addr.clone(), sent.clone(), ok.clone(), errors.clone());
            std::thread::spawn(move || {
                let mut conn = connect(&addr).ok();
                let mut next = Instant::now();
                while sent.fetch_add(1, Ordering::Relaxed) < requests {
                    if let Some(every) = interval {
                        std::thread::sleep(next.saturating_duration_since(Instant::now()));
                        next += every;
                    }
                    let outcome = match conn.as_mut() {
                        Some(c) => exchange(c),
                        None => Err(std::io::ErrorKind::NotConnected.into()),
                    };
                    match outcome {
                        Ok(true) => {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(false) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(_) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                            conn = connect(&addr).ok();
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    println!(
        "{{\"requests\":{requests},\"ok\":{},\"errors\":{},\"seconds\":{:.3}}}",
        ok.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
}
