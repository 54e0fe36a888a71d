//! Memory per idle connection: opens N WebSocket connections to a running acdhub (ws or wss),
//! authenticates each, leaves them idle, and reads the server's resident memory from
//! /proc/PID/status before the first connection and with all N open. The figure per connection
//! is (loaded - baseline) / N.
//!
//! ```sh
//! cargo build --release --bin acdhub --example idle_connections
//! target/release/acdhub --config examples/idle_connections.toml &
//! target/release/examples/idle_connections --ws 127.0.0.1:28080 --connections 10000 \
//!     --user wall --password secret --server-pid $!
//! ```
//!
//! The first connection logs in with the password (argon2, slow by design) and every other one
//! with the token it was given. Connections open in parallel batches; each must get the server's
//! `hello` and then an `ack` to its `auth`. They stay open, and keep reading (so the server's
//! pings are answered), until the measurement is done. Both ends need a file descriptor per
//! connection: raise `ulimit -n` above N for the server and for this tool.
//!
//! Besides the figure from the empty server, it prints one from the server after the first
//! login: the password check and the first connection cost the server memory once, not per
//! connection. The kernel's socket memory is not in the process's RSS; the tool prints the
//! machine-wide TCP buffer pages and slab as a rough indication (both ends, everything else on
//! the machine included).

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// How long one connection may take to open, greet and authenticate.
const PATIENCE: Duration = Duration::from_secs(60);

#[derive(Debug, Parser)]
#[command(
    name = "idle_connections",
    about = "Resident memory of an acdhub server per idle connection"
)]
struct Args {
    /// The server's ws listener (host:port).
    #[arg(
        long,
        value_name = "ADDR",
        conflicts_with = "wss",
        required_unless_present = "wss"
    )]
    ws: Option<SocketAddr>,
    /// The server's wss listener (host:port); TLS trusting certs/dev-ca.pem, SNI `localhost`.
    #[arg(long, value_name = "ADDR")]
    wss: Option<SocketAddr>,
    /// Connections to open and hold.
    #[arg(long, default_value_t = 10_000)]
    connections: usize,
    /// Connections opened at once.
    #[arg(long, default_value_t = 200)]
    batch: usize,
    /// The principal to log in as.
    #[arg(long, default_value = "wall")]
    user: String,
    #[arg(long, default_value = "secret")]
    password: String,
    /// The server's process id, whose /proc/PID/status is read.
    #[arg(long)]
    server_pid: u32,
    /// Seconds to wait, all connections open and idle, before measuring.
    #[arg(long, default_value_t = 5)]
    settle: u64,
    /// If given, measure once more this many seconds after the first measurement (for example
    /// past the server's 25 s ping interval, to include a ping and pong on every connection).
    #[arg(long)]
    hold: Option<u64>,
    /// Only connect and read the greeting; do not authenticate (the server's auth_timeout_secs
    /// must then be longer than the whole run).
    #[arg(long)]
    no_auth: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Ws,
    Wss,
}

/// A plain or TLS stream.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

type Socket = WebSocketStream<Box<dyn Io>>;

/// Where and how to connect, shared by every connection task.
struct Target {
    address: SocketAddr,
    via: Via,
    tls: tokio_rustls::TlsConnector,
}

fn tls_connector() -> tokio_rustls::TlsConnector {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    let ca = include_bytes!("../certs/dev-ca.pem");
    for cert in rustls_pki_types::CertificateDer::pem_slice_iter(ca) {
        roots
            .add(cert.expect("certs/dev-ca.pem is PEM"))
            .expect("the dev CA is a valid root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

type Failure = String;

/// Opens a WebSocket to /ws with the protocol's subprotocol and reads the greeting.
async fn open(target: &Target) -> Result<Socket, Failure> {
    let (scheme, host) = match target.via {
        Via::Ws => ("ws", target.address.to_string()),
        Via::Wss => ("wss", format!("localhost:{}", target.address.port())),
    };
    let mut request = format!("{scheme}://{host}/ws")
        .into_client_request()
        .map_err(|e| format!("request: {e}"))?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("acdhub.v1"),
    );
    let tcp = TcpStream::connect(target.address)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let stream: Box<dyn Io> = match target.via {
        Via::Ws => Box::new(tcp),
        Via::Wss => {
            let name = rustls_pki_types::ServerName::try_from("localhost").expect("a DNS name");
            let tls = target
                .tls
                .connect(name, tcp)
                .await
                .map_err(|e| format!("TLS: {e}"))?;
            Box::new(tls)
        }
    };
    // Small buffers here too, so that the client's own memory stays modest.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(4096);
    let (mut socket, response) =
        tokio_tungstenite::client_async_with_config(request, stream, Some(config))
            .await
            .map_err(|e| format!("upgrade: {e}"))?;
    let protocol = response.headers().get("Sec-WebSocket-Protocol");
    if protocol.map(HeaderValue::as_bytes) != Some(b"acdhub.v1") {
        return Err(format!("the server chose subprotocol {protocol:?}"));
    }
    let hello = next_json(&mut socket).await?;
    if hello["type"] != "hello" {
        return Err(format!("expected hello, got {hello}"));
    }
    Ok(socket)
}

/// The next text message, as JSON; pings and pongs are passed over (tungstenite answers pings).
async fn next_json(socket: &mut Socket) -> Result<Value, Failure> {
    loop {
        let frame = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .map_err(|_| "no message in time".to_owned())?
            .ok_or_else(|| "the server closed the connection".to_owned())?
            .map_err(|e| format!("read: {e}"))?;
        match frame {
            Message::Text(text) => {
                return serde_json::from_str(text.as_str()).map_err(|e| format!("JSON: {e}"));
            }
            Message::Ping(_) | Message::Pong(_) => {}
            other => return Err(format!("unexpected frame {other:?}")),
        }
    }
}

/// Sends `auth` and returns the ack's result.
async fn authenticate(socket: &mut Socket, auth: &Value) -> Result<Value, Failure> {
    socket
        .send(Message::Text(auth.to_string().into()))
        .await
        .map_err(|e| format!("send auth: {e}"))?;
    let reply = next_json(socket).await?;
    if reply["type"] != "ack" || reply["id"] != auth["id"] {
        return Err(format!("auth not acknowledged: {reply}"));
    }
    Ok(reply["result"].clone())
}

/// One held connection: reports once it is open (and authenticated), then reads until told to
/// stop, and closes.
async fn hold(
    target: Arc<Target>,
    auth: Option<Arc<Value>>,
    ready: mpsc::Sender<Result<(), Failure>>,
    stop: watch::Receiver<bool>,
    pings: Arc<AtomicU64>,
) {
    let opened = async {
        let mut socket = open(&target).await?;
        if let Some(auth) = &auth {
            authenticate(&mut socket, auth).await?;
        }
        Ok::<_, Failure>(socket)
    };
    let socket = match tokio::time::timeout(PATIENCE, opened).await {
        Ok(Ok(socket)) => socket,
        Ok(Err(failure)) => {
            let _ = ready.send(Err(failure)).await;
            return;
        }
        Err(_) => {
            let _ = ready.send(Err("did not open in time".to_owned())).await;
            return;
        }
    };
    let _ = ready.send(Ok(())).await;
    drop(ready);
    idle(socket, stop, &pings).await;
}

/// Reads an open connection until told to stop, then closes it. Counts the server's pings
/// (tungstenite answers each with a pong as it reads); anything else is reported.
async fn idle(mut socket: Socket, mut stop: watch::Receiver<bool>, pings: &AtomicU64) {
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            frame = socket.next() => match frame {
                Some(Ok(Message::Ping(_))) => {
                    pings.fetch_add(1, Ordering::Relaxed);
                }
                Some(Ok(Message::Pong(_))) => {}
                Some(Ok(other)) => {
                    eprintln!("idle connection received {other:?}");
                    if matches!(other, Message::Close(_)) {
                        return;
                    }
                }
                Some(Err(error)) => {
                    eprintln!("idle connection failed: {error}");
                    return;
                }
                None => {
                    eprintln!("idle connection closed by the server");
                    return;
                }
            },
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), socket.close(None)).await;
}

/// What /proc says about the server's memory, in KiB.
#[derive(Debug, Clone, Copy)]
struct Memory {
    vm_rss: u64,
    rss_anon: Option<u64>,
}

impl Memory {
    fn read(pid: u32) -> Result<Memory, Failure> {
        let path = format!("/proc/{pid}/status");
        let status = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {path} (is the server running?): {e}"))?;
        let field = |name: &str| {
            status.lines().find_map(|line| {
                let rest = line.strip_prefix(name)?.strip_prefix(':')?;
                rest.trim().trim_end_matches("kB").trim().parse().ok()
            })
        };
        Ok(Memory {
            vm_rss: field("VmRSS").ok_or_else(|| format!("no VmRSS in {path}"))?,
            rss_anon: field("RssAnon"),
        })
    }
}

impl fmt::Display for Memory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VmRSS {}", mib(self.vm_rss))?;
        if let Some(anon) = self.rss_anon {
            write!(f, ", RssAnon {}", mib(anon))?;
        }
        Ok(())
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB ({kib} kB)", kib as f64 / 1024.0)
}

/// Machine-wide kernel memory for sockets: TCP buffer pages (/proc/net/sockstat) and slab
/// (/proc/meminfo), in KiB. Includes both ends of every connection and everything else running.
#[derive(Debug, Clone, Copy)]
struct Kernel {
    tcp_buffers: Option<u64>,
    slab: Option<u64>,
}

impl Kernel {
    fn read() -> Kernel {
        let sockstat = std::fs::read_to_string("/proc/net/sockstat").unwrap_or_default();
        let tcp_buffers = sockstat
            .lines()
            .find(|l| l.starts_with("TCP:"))
            .and_then(|l| {
                let words: Vec<&str> = l.split_whitespace().collect();
                let at = words.iter().position(|w| *w == "mem")?;
                words.get(at + 1)?.parse::<u64>().ok()
            })
            .map(|pages| pages * 4);
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let slab = meminfo.lines().find_map(|l| {
            let rest = l.strip_prefix("Slab:")?;
            rest.trim().trim_end_matches("kB").trim().parse().ok()
        });
        Kernel { tcp_buffers, slab }
    }
}

fn per_connection(before: u64, after: u64, n: usize) -> String {
    let delta = after as f64 - before as f64;
    format!("{:.1} KiB", delta / n as f64)
}

/// Wall time for the progress lines: the one clock this tool reads.
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if let Err(failure) = runtime.block_on(run(args)) {
        eprintln!("idle_connections: {failure}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<(), Failure> {
    let (address, via) = match (args.ws, args.wss) {
        (Some(ws), None) => (ws, Via::Ws),
        (None, Some(wss)) => (wss, Via::Wss),
        _ => return Err("give one of --ws and --wss".to_owned()),
    };
    let n = args.connections;
    if n == 0 || args.batch == 0 {
        return Err("--connections and --batch must be at least 1".to_owned());
    }
    let target = Arc::new(Target {
        address,
        via,
        tls: tls_connector(),
    });
    let pid = args.server_pid;
    let transport = match via {
        Via::Ws => "ws",
        Via::Wss => "wss",
    };
    println!(
        "{n} {} {transport} connections to {address}, server pid {pid}",
        if args.no_auth {
            "unauthenticated"
        } else {
            "authenticated"
        }
    );

    let baseline = Memory::read(pid)?;
    let kernel_before = Kernel::read();
    println!("baseline, no connections:      {baseline}");

    let (stop_tx, stop_rx) = watch::channel(false);
    let (ready_tx, mut ready_rx) = mpsc::channel(n.min(args.batch).max(1));
    let mut tasks = JoinSet::new();
    let pings = Arc::new(AtomicU64::new(0));

    // The first connection: with the password, to get the token for the others.
    let first_auth = (!args.no_auth)
        .then(|| json!({"id": "1", "type": "auth", "user": args.user, "password": args.password}));
    let (auth, after_first) = {
        let mut socket = open(&target)
            .await
            .map_err(|f| format!("connection 1: {f}"))?;
        let token_auth = match &first_auth {
            Some(auth) => {
                let result = authenticate(&mut socket, auth)
                    .await
                    .map_err(|f| format!("connection 1: {f}"))?;
                let token = result["token"]
                    .as_str()
                    .ok_or_else(|| format!("no token in the auth result: {result}"))?;
                Some(Arc::new(json!({"id": "1", "type": "auth", "token": token})))
            }
            None => None,
        };
        // Hand the first socket to a holder like the others.
        let (stop, pings) = (stop_rx.clone(), pings.clone());
        tasks.spawn(async move { idle(socket, stop, &pings).await });
        tokio::time::sleep(Duration::from_secs(1)).await;
        (token_auth, Memory::read(pid)?)
    };
    println!("after the first connection:    {after_first}");

    let started = now();
    let mut open_count = 1;
    let mut next_report = 1000;
    while open_count < n {
        let batch = args.batch.min(n - open_count);
        for _ in 0..batch {
            tasks.spawn(hold(
                target.clone(),
                auth.clone(),
                ready_tx.clone(),
                stop_rx.clone(),
                pings.clone(),
            ));
        }
        let mut failures = Vec::new();
        for _ in 0..batch {
            match ready_rx.recv().await {
                Some(Ok(())) => open_count += 1,
                Some(Err(failure)) => failures.push(failure),
                None => unreachable!("this function holds a sender"),
            }
        }
        if !failures.is_empty() {
            let _ = stop_tx.send(true);
            return Err(format!(
                "{} of a batch of {batch} connections failed after {open_count} were open; \
                 the first: {}",
                failures.len(),
                failures[0]
            ));
        }
        if open_count >= next_report || open_count == n {
            println!(
                "  {open_count} open ({:.1} s)",
                started.elapsed().as_secs_f64()
            );
            next_report += 1000;
        }
    }
    drop(ready_tx);

    tokio::time::sleep(Duration::from_secs(args.settle)).await;
    let mut measurements = vec![(
        args.settle,
        Memory::read(pid)?,
        Kernel::read(),
        pings.load(Ordering::Relaxed),
    )];
    if let Some(hold) = args.hold {
        tokio::time::sleep(Duration::from_secs(hold)).await;
        measurements.push((
            args.settle + hold,
            Memory::read(pid)?,
            Kernel::read(),
            pings.load(Ordering::Relaxed),
        ));
    }
    if tasks.len() != n {
        eprintln!(
            "warning: {} of {n} connections ended before the measurement",
            n - tasks.len()
        );
    }

    for &(idle, loaded, kernel, pings) in &measurements {
        println!("\nwith {n} connections, idle {idle} s: {loaded}");
        println!("  server pings answered so far: {pings}");
        println!(
            "  per connection, VmRSS:   {} from the empty server, {} from after the first connection",
            per_connection(baseline.vm_rss, loaded.vm_rss, n),
            per_connection(after_first.vm_rss, loaded.vm_rss, n - 1),
        );
        if let (Some(before), Some(first), Some(after)) =
            (baseline.rss_anon, after_first.rss_anon, loaded.rss_anon)
        {
            println!(
                "  per connection, RssAnon: {} from the empty server, {} from after the first connection",
                per_connection(before, after, n),
                per_connection(first, after, n - 1),
            );
        }
        if let (Some(before), Some(after)) = (kernel_before.tcp_buffers, kernel.tcp_buffers) {
            println!(
                "  machine-wide TCP buffers: {} KiB -> {} KiB ({} per connection pair)",
                before,
                after,
                per_connection(before, after, n)
            );
        }
        if let (Some(before), Some(after)) = (kernel_before.slab, kernel.slab) {
            println!(
                "  machine-wide slab:        {} KiB -> {} KiB ({} per connection pair)",
                before,
                after,
                per_connection(before, after, n)
            );
        }
    }
    // Machine-readable summary: transport, connections, baseline, after first, loaded (kB).
    let (_, last, _, _) = measurements[measurements.len() - 1];
    println!(
        "\nsummary: transport={transport} auth={} connections={n} baseline_kb={} first_kb={} \
         loaded_kb={} kib_per_connection={:.1}",
        !args.no_auth,
        baseline.vm_rss,
        after_first.vm_rss,
        last.vm_rss,
        (last.vm_rss as f64 - baseline.vm_rss as f64) / n as f64
    );

    let _ = stop_tx.send(true);
    let closing = async { while tasks.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(Duration::from_secs(30), closing).await;
    Ok(())
}
