//! The load generator's engine: one thread, one epoll set over every connection plus a timerfd
//! for the open loop's schedule.
//!
//! Why not tokio and hyper's client: on a small machine the load generator shares the CPUs with
//! the server it measures, and every thread hand-off (a pacer waking a task, a task waking
//! hyper's connection task) is a context switch charged to the server's latency. Profiles of the
//! earlier tokio version showed ~28 µs of CPU per request, most of it switching; this loop
//! sends and receives on the thread that keeps the schedule and sleeps only when nothing is due.

use super::wire::parse_response;
use rustix::event::epoll;
use rustix::time::{
    Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags, Timespec, timerfd_create,
    timerfd_settime,
};
use std::collections::{BTreeMap, VecDeque};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

/// The epoll key of the timer; connections use their index.
const TIMER_KEY: u64 = u64::MAX;

/// Shortest sleep of the open loop: requests due sooner are sent at the next wake-up, a few at
/// a time at high rates, instead of one wake-up per request. Never early; the lag counts in
/// their latency.
pub const OPEN_LOOP_TICK: Duration = Duration::from_micros(50);

/// How long in-flight requests may take to finish after the run's end.
const DRAIN_GRACE: Duration = Duration::from_secs(5);

/// When requests are sent.
#[derive(Debug, Clone, Copy)]
pub enum Schedule {
    /// Each connection sends its next request when the previous one is answered.
    Closed,
    /// Request `seq` is due at `start + seq / rate`, sent on the first idle connection.
    Open {
        /// Requests per second.
        rate: f64,
    },
}

impl Schedule {
    /// When request `seq` is due.
    pub fn due(&self, start: Instant, seq: u64) -> Option<Instant> {
        match self {
            Schedule::Closed => None,
            Schedule::Open { rate } => Some(start + Duration::from_secs_f64(seq as f64 / rate)),
        }
    }
}

/// What a run produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Requests answered with 2xx.
    pub ok: u64,
    /// Requests answered otherwise, by status.
    pub failed: BTreeMap<u16, u64>,
    /// Connections lost (each loses its request in flight).
    pub io_errors: u64,
    /// Open loop: requests that fell due but found no idle connection before the end.
    pub unsent: u64,
    /// Latency of each successful request, microseconds, unsorted.
    pub latencies_us: Vec<u64>,
    /// From the start to the last response.
    pub elapsed: Duration,
    /// Why the first connection was lost, when one was.
    pub first_error: Option<String>,
    /// The most a request was sent after its due time: the load generator's own lateness (it
    /// was descheduled, or every connection was busy), included in the latencies.
    pub max_send_lag: Duration,
    /// Every successful request, in answer order, when asked for.
    pub requests: Vec<RequestRecord>,
}

/// One answered request, for `--trace`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestRecord {
    /// When it was due, from the start of the run.
    pub due_us: u64,
    /// How long after its due time it was sent.
    pub send_lag_us: u64,
    /// From its due time to its answer.
    pub latency_us: u64,
}

struct Conn<'s> {
    stream: &'s mut TcpStream,
    /// Bytes of the current request still to write.
    written: usize,
    /// When the request in flight was due (its latency's origin), `None` when idle.
    in_flight: Option<Instant>,
    input: Vec<u8>,
    alive: bool,
    sent_at: Instant,
}

/// Run `schedule` over `streams` (connected, any mode) until `total` requests were issued or
/// `end`, then wait for the answers in flight. `record_each` keeps a [`RequestRecord`] per
/// answered request.
pub fn drive(
    streams: &mut [TcpStream],
    request: &[u8],
    schedule: Schedule,
    total: u64,
    start: Instant,
    end: Instant,
    record_each: bool,
) -> std::io::Result<Outcome> {
    let ep = epoll::create(epoll::CreateFlags::CLOEXEC)?;
    let timer = timerfd_create(
        TimerfdClockId::Monotonic,
        TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
    )?;
    epoll::add(
        &ep,
        &timer,
        epoll::EventData::new_u64(TIMER_KEY),
        epoll::EventFlags::IN,
    )?;
    let mut conns = Vec::with_capacity(streams.len());
    for (i, stream) in streams.iter_mut().enumerate() {
        stream.set_nonblocking(true)?;
        stream.set_nodelay(true)?;
        epoll::add(
            &ep,
            &*stream,
            epoll::EventData::new_u64(i as u64),
            epoll::EventFlags::IN | epoll::EventFlags::OUT | epoll::EventFlags::ET,
        )?;
        conns.push(Conn {
            stream,
            written: 0,
            in_flight: None,
            input: Vec::with_capacity(4096),
            alive: true,
            sent_at: start,
        });
    }
    let mut idle: VecDeque<usize> = (0..conns.len()).collect();
    let mut due: VecDeque<Instant> = VecDeque::new();
    let mut issued = 0u64;
    let mut in_flight = 0usize;
    let mut out = Outcome::default();
    let mut events = Vec::with_capacity(conns.len() + 1);
    let mut armed: Option<Instant> = None;
    let mut last_answer = start;
    let mut alive = conns.len();

    loop {
        let now = Instant::now();
        let sending = now < end;
        if sending {
            // What has fallen due: open loop by the clock, closed loop whenever a connection
            // is idle.
            match schedule {
                Schedule::Open { .. } => {
                    while issued < total {
                        let Some(at) = schedule.due(start, issued) else {
                            break;
                        };
                        if at > now || at >= end {
                            break;
                        }
                        due.push_back(at);
                        issued += 1;
                    }
                }
                Schedule::Closed => {
                    while issued < total && idle.len() > due.len() {
                        due.push_back(now);
                        issued += 1;
                    }
                }
            }
            while !due.is_empty() {
                let Some(c) = idle.pop_front() else { break };
                if !conns[c].alive {
                    continue; // closed by the server while idle
                }
                let at = due.pop_front().unwrap_or(now);
                let conn = &mut conns[c];
                conn.in_flight = Some(at);
                conn.sent_at = now;
                out.max_send_lag = out.max_send_lag.max(now.saturating_duration_since(at));
                conn.written = 0;
                in_flight += 1;
                if let Err(e) = flush(conn, request) {
                    lose(conn, &mut out, &mut in_flight, &mut alive, e);
                }
            }
        }
        if in_flight == 0 && (!sending || (issued >= total && due.is_empty())) {
            break;
        }
        if alive == 0 {
            break;
        }
        if !sending && now >= end + DRAIN_GRACE {
            break;
        }
        // Sleep until the next request is due (open loop), the end, or the drain deadline.
        let wake = if !sending {
            end + DRAIN_GRACE
        } else {
            let next = if issued < total {
                schedule.due(start, issued).unwrap_or(end)
            } else {
                end
            };
            next.min(end).max(now + OPEN_LOOP_TICK)
        };
        if armed != Some(wake) {
            arm(&timer, wake.saturating_duration_since(now))?;
            armed = Some(wake);
        }
        events.clear();
        match epoll::wait(&ep, rustix::buffer::spare_capacity(&mut events), None) {
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
        let now = Instant::now();
        for ev in &events {
            let key = ev.data.u64();
            if key == TIMER_KEY {
                let mut buf = [0u8; 8];
                let _ = rustix::io::read(&timer, &mut buf);
                armed = None;
                continue;
            }
            let conn = &mut conns[key as usize];
            if !conn.alive {
                continue;
            }
            if conn.in_flight.is_some() {
                if let Err(e) = flush(conn, request) {
                    lose(conn, &mut out, &mut in_flight, &mut alive, e);
                    continue;
                }
            }
            match receive(conn) {
                Ok(()) => {}
                Err(e) => {
                    lose(conn, &mut out, &mut in_flight, &mut alive, e);
                    continue;
                }
            }
            // Every complete response frees the connection (one request in flight each).
            loop {
                match parse_response(&conn.input) {
                    Ok(Some(f)) => {
                        conn.input.drain(..f.total_len);
                        let Some(at) = conn.in_flight.take() else {
                            lose(
                                conn,
                                &mut out,
                                &mut in_flight,
                                &mut alive,
                                "unsolicited response".into(),
                            );
                            break;
                        };
                        in_flight -= 1;
                        last_answer = now;
                        if (200..300).contains(&f.status) {
                            out.ok += 1;
                            out.latencies_us
                                .push(now.saturating_duration_since(at).as_micros() as u64);
                            if record_each {
                                out.requests.push(RequestRecord {
                                    due_us: at.saturating_duration_since(start).as_micros() as u64,
                                    send_lag_us: conn
                                        .sent_at
                                        .saturating_duration_since(at)
                                        .as_micros()
                                        as u64,
                                    latency_us: now.saturating_duration_since(at).as_micros()
                                        as u64,
                                });
                            }
                        } else {
                            *out.failed.entry(f.status).or_default() += 1;
                        }
                        idle.push_back(key as usize);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        lose(conn, &mut out, &mut in_flight, &mut alive, e);
                        break;
                    }
                }
            }
        }
    }
    out.unsent = due.len() as u64;
    out.io_errors += in_flight as u64; // still unanswered after the grace period
    out.elapsed = last_answer.saturating_duration_since(start);
    Ok(out)
}

/// Write what is left of the request; a full socket buffer resumes on the next event.
fn flush(conn: &mut Conn<'_>, request: &[u8]) -> Result<(), String> {
    while conn.written < request.len() {
        match conn.stream.write(&request[conn.written..]) {
            Ok(0) => return Err("the server closed the connection".into()),
            Ok(n) => conn.written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("send: {e}")),
        }
    }
    Ok(())
}

/// Read everything available (edge-triggered: until the socket would block).
fn receive(conn: &mut Conn<'_>) -> Result<(), String> {
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match conn.stream.read(&mut chunk) {
            Ok(0) => return Err("the server closed the connection".into()),
            Ok(n) => conn.input.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("receive: {e}")),
        }
    }
}

/// A connection failed: its request in flight is lost and it takes no more.
fn lose(
    conn: &mut Conn<'_>,
    out: &mut Outcome,
    in_flight: &mut usize,
    alive: &mut usize,
    why: String,
) {
    if !conn.alive {
        return;
    }
    conn.alive = false;
    *alive -= 1;
    if conn.in_flight.take().is_some() {
        *in_flight -= 1;
    }
    out.io_errors += 1;
    out.first_error.get_or_insert(why);
}

/// Arm the one-shot timer `after` from now (at least 1 ns: zero would disarm it).
fn arm(timer: &OwnedFd, after: Duration) -> std::io::Result<()> {
    let after = after.max(Duration::from_nanos(1));
    let spec = Itimerspec {
        it_interval: Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        },
        it_value: Timespec {
            tv_sec: after.as_secs() as _,
            tv_nsec: after.subsec_nanos() as _,
        },
    };
    timerfd_settime(timer, TimerfdTimerFlags::empty(), &spec)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    const REQUEST: &[u8] = b"POST /x HTTP/1.1\r\nhost: t\r\ncontent-length: 2\r\n\r\n{}";

    /// A server answering each request on each connection after `delay`, closing a connection
    /// after `close_after` answers when set.
    fn server(
        connections: usize,
        delay: Duration,
        close_after: Option<usize>,
    ) -> (std::net::SocketAddr, std::thread::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = std::thread::spawn(move || {
            let mut threads = Vec::new();
            for _ in 0..connections {
                let (mut s, _) = listener.accept().unwrap();
                threads.push(std::thread::spawn(move || {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let mut answered = 0;
                    loop {
                        while buf.len() >= REQUEST.len() {
                            assert_eq!(&buf[..REQUEST.len()], REQUEST);
                            buf.drain(..REQUEST.len());
                            if close_after == Some(answered) {
                                return;
                            }
                            std::thread::sleep(delay);
                            let body = format!("{answered}");
                            let resp = format!(
                                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
                                body.len()
                            );
                            if s.write_all(resp.as_bytes()).is_err() {
                                return;
                            }
                            answered += 1;
                        }
                        match s.read(&mut chunk) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                }));
            }
            for t in threads {
                let _ = t.join();
            }
        });
        (addr, handle)
    }

    fn connect(addr: std::net::SocketAddr, n: usize) -> Vec<TcpStream> {
        (0..n).map(|_| TcpStream::connect(addr).unwrap()).collect()
    }

    #[test]
    fn closed_loop_sends_the_count_and_measures_each_answer() {
        let (addr, srv) = server(3, Duration::from_millis(1), None);
        let start = Instant::now();
        let out = drive(
            &mut connect(addr, 3),
            REQUEST,
            Schedule::Closed,
            30,
            start,
            start + Duration::from_secs(30),
            true,
        )
        .unwrap();
        assert_eq!(out.ok, 30);
        assert_eq!(out.io_errors, 0);
        assert_eq!(out.latencies_us.len(), 30);
        assert!(out.latencies_us.iter().all(|&l| l >= 1000), "{out:?}");
        // 30 requests over 3 connections at ≥ 1 ms each: at least 10 ms.
        assert!(out.elapsed >= Duration::from_millis(10));
        srv.join().unwrap();
    }

    #[test]
    fn open_loop_keeps_the_schedule_and_counts_from_the_due_time() {
        let (addr, srv) = server(4, Duration::from_millis(2), None);
        let start = Instant::now();
        // 1 000 req/s, 20 requests: the last is due at 19 ms; answers take ≥ 2 ms.
        let out = drive(
            &mut connect(addr, 4),
            REQUEST,
            Schedule::Open { rate: 1000.0 },
            20,
            start,
            start + Duration::from_secs(30),
            true,
        )
        .unwrap();
        assert_eq!(out.ok, 20);
        assert_eq!(out.unsent, 0);
        assert!(out.latencies_us.iter().all(|&l| l >= 2000), "{out:?}");
        // One record per answer: request k was due k ms after the start, sent no earlier.
        let mut due: Vec<u64> = out.requests.iter().map(|r| r.due_us).collect();
        due.sort_unstable();
        assert_eq!(due, (0..20).map(|k| k * 1000).collect::<Vec<_>>());
        assert!(
            out.requests
                .iter()
                .all(|r| r.latency_us >= r.send_lag_us + 2000)
        );
        assert!(out.max_send_lag < Duration::from_millis(500));
        assert!(
            out.elapsed >= Duration::from_millis(21),
            "{:?}",
            out.elapsed
        );
        srv.join().unwrap();
    }

    #[test]
    fn open_loop_reports_requests_that_found_no_connection() {
        // One connection, answers take 20 ms, 1 000 req/s for 50 ms: most requests wait for
        // the connection, and those still waiting at the end are unsent, not dropped silently.
        let (addr, srv) = server(1, Duration::from_millis(20), None);
        let start = Instant::now();
        let out = drive(
            &mut connect(addr, 1),
            REQUEST,
            Schedule::Open { rate: 1000.0 },
            1000,
            start,
            start + Duration::from_millis(50),
            false,
        )
        .unwrap();
        assert!((2..=4).contains(&out.ok), "{out:?}");
        assert!(out.unsent >= 40, "{out:?}");
        assert_eq!(out.ok + out.unsent, 50, "{out:?}");
        // Queued requests count their wait: the second waited for the first.
        assert!(out.latencies_us.iter().any(|&l| l >= 30_000), "{out:?}");
        srv.join().unwrap();
    }

    #[test]
    fn a_closed_connection_is_an_io_error_with_its_reason() {
        let (addr, srv) = server(2, Duration::ZERO, Some(3));
        let start = Instant::now();
        let out = drive(
            &mut connect(addr, 2),
            REQUEST,
            Schedule::Closed,
            100,
            start,
            start + Duration::from_secs(30),
            true,
        )
        .unwrap();
        assert_eq!(out.ok, 6, "{out:?}");
        assert_eq!(out.io_errors, 2, "{out:?}");
        assert!(
            out.first_error.as_deref().unwrap().contains("closed"),
            "{out:?}"
        );
        srv.join().unwrap();
    }
}
