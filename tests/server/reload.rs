//! SIGHUP (`systemctl reload`) on the real binary: it never stops the server. A renewed
//! certificate is served to new connections while the open ones carry on; queue parameters and
//! new queues apply at once; a change that needs a restart (a tenant removed) or a file that
//! cannot be used is refused whole, with a log line that names the key, and the running
//! configuration keeps running.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde_json::{Value, json};
use tokio::net::TcpStream;

use crate::binary::Acdhub;
use crate::net::{self, Client, Via, sample};

const DEV_CERTIFICATE: &str = include_str!("../../certs/localhost.pem");
const DEV_PRIVATE_KEY: &str = include_str!("../../certs/localhost-key.pem");
const RENEWED_CERTIFICATE: &str = include_str!("../certs/renewed.pem");
const RENEWED_PRIVATE_KEY: &str = include_str!("../certs/renewed-key.pem");

fn der(pem: &str) -> Vec<u8> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .next()
        .unwrap()
        .unwrap()
        .to_vec()
}

/// The certificate a new TLS connection to `addr` is served, as DER.
async fn served_certificate(addr: SocketAddr) -> Vec<u8> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let tls = net::tls_connector().connect(name, tcp).await.unwrap();
    let (_, connection) = tls.get_ref();
    connection.peer_certificates().unwrap()[0].to_vec()
}

/// The test configuration with wss on the certificate files in `dir`, holding `certificate`
/// and `key` for now.
fn with_tls_files(dir: &Path, text: &str, certificate: &str, key: &str) -> (String, PathBuf) {
    let (cert_file, key_file) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_file, certificate).unwrap();
    std::fs::write(&key_file, key).unwrap();
    let keys = format!(
        "[server]\ntls_certificate = {:?}\ntls_private_key = {:?}\n",
        cert_file.display().to_string(),
        key_file.display().to_string()
    );
    (text.replacen("[server]\n", &keys, 1), cert_file)
}

#[tokio::test]
async fn sighup_serves_a_renewed_certificate_to_new_connections_and_keeps_the_open_ones() {
    let dir = net::fresh_dir("reload-tls");
    let (text, cert_file) = with_tls_files(
        &dir,
        &net::config_text(""),
        DEV_CERTIFICATE,
        DEV_PRIVATE_KEY,
    );
    let config = dir.join("acdhub.toml");
    std::fs::write(&config, text).unwrap();
    let mut acdhub = Acdhub::start(&config).await;
    let (mut agent, _) = Client::login_at(acdhub.wss, Via::Wss, "a1").await;
    assert_eq!(served_certificate(acdhub.wss).await, der(DEV_CERTIFICATE));
    // Pages learn which certificate wss serves (the development one, from its files too), so
    // /diagnostics can tell a browser that does not trust it from a blocked port.
    let served = async |acdhub: &Acdhub| {
        let (status, text) = net::http_get(acdhub.ws, "/rt/endpoints").await;
        assert_eq!(status, 200, "{text}");
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["certificate"].clone()
    };
    assert_eq!(served(&acdhub).await, "development");

    // Renewed in place, as certbot does: same paths, new contents.
    std::fs::write(&cert_file, RENEWED_CERTIFICATE).unwrap();
    std::fs::write(dir.join("key.pem"), RENEWED_PRIVATE_KEY).unwrap();
    acdhub.hangup();
    let applied = acdhub.wait_for("reload: applied").await;
    assert!(applied.contains("certificate reloaded"), "{applied}");
    assert!(acdhub.is_running(), "SIGHUP never stops the server");
    agent.ok(json!({"type": "ping"})).await;
    assert_eq!(
        served_certificate(acdhub.wss).await,
        der(RENEWED_CERTIFICATE)
    );
    let exposition = acdhub.scrape().await;
    let renewed_expiry = sample(&exposition, "acdhub_tls_certificate_not_after_seconds");
    // openssl x509 -noout -enddate -in tests/certs/renewed.pem: Nov 30 20:23:14 2036 GMT
    assert_eq!(renewed_expiry, 2_111_689_394.0);
    assert_eq!(served(&acdhub).await, "configured");

    // A broken certificate is refused: the renewed one keeps serving.
    std::fs::write(&cert_file, "-----BEGIN NOTHING-----\n").unwrap();
    acdhub.hangup();
    let refused = acdhub.wait_for("reload refused").await;
    let named = format!("{}: cannot read the certificate chain", cert_file.display());
    assert!(refused.contains(&named), "{refused}");
    assert!(
        refused.contains("the running configuration is unchanged"),
        "{refused}"
    );
    assert!(acdhub.is_running());
    agent.ok(json!({"type": "ping"})).await;
    assert_eq!(
        served_certificate(acdhub.wss).await,
        der(RENEWED_CERTIFICATE)
    );

    // A key that does not go with the certificate is refused too, naming both files.
    std::fs::write(&cert_file, DEV_CERTIFICATE).unwrap();
    acdhub.hangup();
    let refused = acdhub.wait_for("reload refused").await;
    assert!(refused.contains("do not go together"), "{refused}");
    assert!(refused.contains("key.pem"), "{refused}");
    assert_eq!(
        served_certificate(acdhub.wss).await,
        der(RENEWED_CERTIFICATE)
    );

    let exposition = acdhub.scrape().await;
    let reloads = |result: &str| {
        sample(
            &exposition,
            &format!("acdhub_config_reloads_total{{result=\"{result}\"}}"),
        )
    };
    assert_eq!((reloads("applied"), reloads("refused")), (1.0, 2.0));
    acdhub.stop();
    assert_eq!(agent.expect_close().await, 1012);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The ids of the queues in an auth result.
fn queue_ids(result: &Value) -> Vec<String> {
    result["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap().to_owned())
        .collect()
}

fn instant(value: &Value) -> Timestamp {
    value.as_str().unwrap().parse().unwrap()
}

/// `text` with each `(old, new)` replaced once.
fn edited(text: &str, edits: &[(&str, &str)]) -> String {
    let mut text = text.to_owned();
    for (old, new) in edits {
        assert!(text.contains(old), "no `{old}` in the configuration");
        text = text.replacen(old, new, 1);
    }
    text
}

#[tokio::test]
async fn sighup_applies_new_queues_and_parameters_and_refuses_removing_a_tenant() {
    let dir = net::fresh_dir("reload-config");
    let globex = net::second_tenant();
    let first = net::config_text(&globex);
    let config = dir.join("acdhub.toml");
    std::fs::write(&config, &first).unwrap();
    let mut acdhub = Acdhub::start(&config).await;
    let (_, result) = Client::login_at(acdhub.ws, Via::Ws, "a1").await;
    assert_eq!(queue_ids(&result), ["support", "sales"]);

    // A queue added, a1 given a skill in it, support's ring timeout from 2 s to 40 s.
    let second = edited(
        &first,
        &[
            (
                "ring_timeout_secs = 2\nwrap_up_secs = 60",
                "ring_timeout_secs = 40\nwrap_up_secs = 60",
            ),
            (
                "[[tenants.agents]]\nid = \"a1\"",
                "[[tenants.queues]]\nid = \"billing\"\n\n[[tenants.agents]]\nid = \"a1\"",
            ),
            (
                "skills = { support = 3, sales = 2 }",
                "skills = { support = 3, sales = 2, billing = 1 }",
            ),
        ],
    );
    std::fs::write(&config, &second).unwrap();
    acdhub.hangup();
    let applied = acdhub.wait_for("reload: applied").await;
    assert!(
        applied.contains("1 queues changed, 1 queues added, 0 agents added"),
        "{applied}"
    );
    assert!(acdhub.is_running());
    let (mut agent, result) = Client::login_at(acdhub.ws, Via::Ws, "a1").await;
    assert_eq!(queue_ids(&result), ["support", "sales", "billing"]);
    let (mut pbx, _) = Client::login_at(acdhub.ws, Via::Ws, "pbx").await;
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;
    pbx.ok(json!({"type": "call_arrived", "call": "r-1", "queue": "support"}))
        .await;
    let offer = agent.expect("offer").await;
    let ringing = agent.expect_state("a1", "ringing").await;
    let rings_for = instant(&offer["ring_deadline"]).duration_since(instant(&ringing["since"]));
    assert_eq!(rings_for.as_secs(), 40, "the new ring timeout: {offer}");
    agent.ok(json!({"type": "reject", "call": "r-1"})).await;

    // Without globex: refused whole, naming the tenant.
    std::fs::write(&config, second.replacen(&globex, "", 1)).unwrap();
    acdhub.hangup();
    let refused = acdhub.wait_for("reload refused").await;
    assert!(
        refused.contains("tenants: tenant \"globex\" was removed"),
        "{refused}"
    );
    assert!(acdhub.is_running());
    // The running configuration runs on: every queue, and globex.
    pbx.ok(json!({"type": "call_arrived", "call": "r-2", "queue": "sales"}))
        .await;
    pbx.ok(json!({"type": "call_arrived", "call": "r-3", "queue": "billing"}))
        .await;
    let (_, result) = Client::login_at(acdhub.ws, Via::Ws, "a1").await;
    assert_eq!(queue_ids(&result), ["support", "sales", "billing"]);
    let (_, result) = Client::login_at(acdhub.ws, Via::Ws, "g1").await;
    assert_eq!(result["tenant"], "globex");

    // A file that is not TOML: refused, naming the file and line.
    std::fs::write(&config, "[server\n").unwrap();
    acdhub.hangup();
    let refused = acdhub.wait_for("reload refused").await;
    assert!(
        refused.contains(&format!("{}:1:", config.display())),
        "{refused}"
    );
    assert!(acdhub.is_running());
    agent.ok(json!({"type": "ping"})).await;

    let exposition = acdhub.scrape().await;
    let reloads = |result: &str| {
        sample(
            &exposition,
            &format!("acdhub_config_reloads_total{{result=\"{result}\"}}"),
        )
    };
    assert_eq!((reloads("applied"), reloads("refused")), (1.0, 2.0));
    acdhub.stop();
    std::fs::remove_dir_all(&dir).unwrap();
}
