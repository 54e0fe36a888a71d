//! A real nginx (Debian's package) as a reverse proxy in front of a test server, run as the test
//! user: its configuration, logs and temporary files live in one fresh directory, it listens on
//! a loopback port found free just before it starts, and it is stopped when the handle drops.
//!
//! nginx runs with `master_process off`: one process, which holds the listening socket and does
//! the proxying, so ending that process leaves nothing behind. It runs under a small shell that
//! ends it when the shell's standard input, a pipe from the test, closes: when the handle drops,
//! and also when the test process dies without dropping anything (killed by a signal or a
//! timeout), so no nginx outlives its test.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::time::Instant;

use crate::net::{PATIENCE, fresh_dir};

/// A running nginx.
pub struct Nginx {
    child: Child,
    addr: SocketAddr,
    prefix: PathBuf,
}

/// Runs `"$@"` (nginx and its arguments) and stops it (SIGTERM) when standard input reaches its
/// end; exits when nginx does, with its status. A background job's standard input is /dev/null
/// unless redirected, hence the copy of it in fd 3.
const WATCHDOG: &str = r#"exec 3<&0
"$@" </dev/null &
nginx=$!
(read -r _ <&3; kill "$nginx" 2>/dev/null) &
exec 3<&-
wait "$nginx""#;

/// How many times `start` picks a new port when nginx finds its port taken (another process
/// bound it between the test releasing it and nginx binding it).
const PORT_ATTEMPTS: usize = 5;

/// The nginx executable. `/usr/sbin` is searched too, since a test user's PATH may lack it.
fn executable() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|dir| dir.join("nginx"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "nginx is not installed, and the proxy tests need a real one: run ./test.sh, \
                 which installs it, or `apt-get install nginx`"
            )
        })
}

impl Nginx {
    /// Starts nginx as a reverse proxy for every path to `upstream`, configured as a site with
    /// a WebSocket endpoint usually is: `/ws` gets its own location, which speaks HTTP/1.1 to
    /// the upstream and passes `Upgrade` and `Connection` on; everything else is a plain
    /// `proxy_pass` with nginx's defaults, HTTP/1.0 to the upstream included. `Host` is kept.
    /// `server_directives` go into the server block, for every location: the proxy settings
    /// the test is about (`proxy_buffering on; proxy_read_timeout 10s;`). `test` names the
    /// directory its files go to.
    ///
    /// The HTTP/1.0 matters to a test of buffering: a buffering nginx passes on each chunk of a
    /// chunked (HTTP/1.1) response as soon as the chunk is complete, but holds an unchunked
    /// stream until a whole buffer (4 or 8 KiB) is full, which is what an event stream needs
    /// `X-Accel-Buffering: no` against.
    pub fn reverse_proxy(test: &str, upstream: SocketAddr, server_directives: &str) -> Nginx {
        let executable = executable();
        let prefix = fresh_dir(&format!("nginx-{test}"));
        for dir in ["logs", "temp"] {
            std::fs::create_dir_all(prefix.join(dir)).expect("nginx's directories");
        }
        let mut last_log = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port();
            let conf = prefix.join("nginx.conf");
            std::fs::write(&conf, config(&prefix, port, upstream, server_directives))
                .expect("nginx's configuration is written");
            let error_log = prefix.join("logs/error.log");
            let _ = std::fs::remove_file(&error_log);
            let mut child = Command::new("sh")
                .arg("-c")
                .arg(WATCHDOG)
                .arg("sh")
                .arg(&executable)
                .arg("-p")
                .arg(&prefix)
                .arg("-e")
                .arg(&error_log)
                .arg("-c")
                .arg(&conf)
                .arg("-g")
                .arg(format!(
                    "daemon off; pid {};",
                    prefix.join("logs/nginx.pid").display()
                ))
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run sh for {}: {e}", executable.display()));
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            match wait_until_listening(&mut child, addr, &prefix) {
                Ok(()) => {
                    return Nginx {
                        child,
                        addr,
                        prefix,
                    };
                }
                Err(()) => {
                    stop(&mut child);
                    last_log = std::fs::read_to_string(&error_log).unwrap_or_default();
                    if !last_log.contains("Address already in use") {
                        break;
                    }
                }
            }
        }
        panic!("nginx did not start; its error log:\n{last_log}");
    }

    /// Where clients reach the proxy.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// nginx's error log so far, for failure messages.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.prefix.join("logs/error.log")).unwrap_or_default()
    }
}

/// Closes the watchdog's standard input, which stops nginx, and waits for both to end.
fn stop(child: &mut Child) {
    drop(child.stdin.take());
    let _ = child.wait();
}

impl Drop for Nginx {
    /// Stops nginx, and removes its directory unless the test failed (its logs tell why).
    fn drop(&mut self) {
        stop(&mut self.child);
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.prefix);
        }
    }
}

/// A loopback port that was free a moment ago: bound to port 0, read back and released.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Waits until nginx answers on `addr` (Ok), or exits (Err). The answer must be this nginx's:
/// `GET /nginx-ready` returns the directory it runs in, so a process that took the port first
/// (another test's nginx, say) is not mistaken for it.
fn wait_until_listening(child: &mut Child, addr: SocketAddr, prefix: &Path) -> Result<(), ()> {
    let deadline = Instant::now() + PATIENCE;
    let ours = prefix.display().to_string();
    loop {
        if child.try_wait().expect("nginx's status").is_some() {
            return Err(());
        }
        if ready_answer(addr).is_some_and(|answer| answer.ends_with(&ours)) {
            return Ok(());
        }
        assert!(
            Instant::now() < deadline,
            "nginx did not answer on {addr} within {PATIENCE:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The whole response to `GET /nginx-ready` from whatever listens on `addr`, if it answers.
fn ready_answer(addr: SocketAddr) -> Option<String> {
    use std::io::{Read, Write};
    let mut tcp = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    tcp.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    tcp.write_all(b"GET /nginx-ready HTTP/1.0\r\n\r\n").ok()?;
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).ok()?;
    Some(answer)
}

/// The whole configuration. Every path nginx would write to by default (/var/log/nginx,
/// /var/lib/nginx) is moved under `prefix`, so that nginx runs without root.
fn config(prefix: &Path, port: u16, upstream: SocketAddr, server_directives: &str) -> String {
    let prefix = prefix.display();
    format!(
        r#"
master_process off;
worker_processes 1;
error_log {prefix}/logs/error.log info;

events {{
    worker_connections 256;
}}

http {{
    access_log {prefix}/logs/access.log;
    client_body_temp_path {prefix}/temp/client_body;
    proxy_temp_path {prefix}/temp/proxy;
    fastcgi_temp_path {prefix}/temp/fastcgi;
    uwsgi_temp_path {prefix}/temp/uwsgi;
    scgi_temp_path {prefix}/temp/scgi;

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}

    server {{
        listen 127.0.0.1:{port};

        proxy_set_header Host $host;
        {server_directives}

        location = /ws {{
            proxy_pass http://{upstream};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
        }}

        location / {{
            proxy_pass http://{upstream};
        }}

        location = /nginx-ready {{
            return 200 "{prefix}";
        }}
    }}
}}
"#
    )
}
