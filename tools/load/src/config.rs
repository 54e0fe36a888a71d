//! `acdhub-load config`: the acdhub configuration the other modes expect, so that a run can be
//! repeated from the command lines alone.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use clap::Args;

/// The tenant every mode signs in to.
pub const TENANT: &str = "load";

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Agents a0, a1, ...: each a login of its own, in three queues.
    #[arg(long)]
    pub agents: usize,
    /// Queues q0, q1, ...
    #[arg(long)]
    pub queues: usize,
    /// Wallboard connections the runs will open (login `wall`): sizes the limits.
    #[arg(long, default_value_t = 0)]
    pub wallboards: usize,
    /// The password of every login.
    #[arg(long, default_value = "secret")]
    pub password: String,
    /// The acdhub binary whose `hash-password` hashes the password.
    #[arg(long, value_name = "PATH", required_unless_present = "hash")]
    pub acdhub: Option<PathBuf>,
    /// An argon2 hash of the password, instead of --acdhub.
    #[arg(long, conflicts_with = "acdhub")]
    pub hash: Option<String>,
    #[arg(long, default_value = "127.0.0.1:28080")]
    pub ws: String,
    #[arg(long, default_value = "127.0.0.1:28443")]
    pub wss: String,
    #[arg(long, default_value = "127.0.0.1:29464")]
    pub metrics: String,
    /// Keep the journal (with fsync, the default of a real server); without it the runs
    /// measure the server's network and engine, not the disk.
    #[arg(long)]
    pub journal: bool,
    /// `[limits] stats_updates_per_sec` (1 to 50).
    #[arg(long, default_value_t = 4)]
    pub stats_updates_per_sec: u32,
    /// Conversations too, for `acdhub-load chats`: channel `chat` (three at once), a chat queue
    /// chat0.. beside each queue (no wrap-up), each agent aJ in chat(J mod queues), and the
    /// login `widget` (messaging).
    #[arg(long)]
    pub chats: bool,
}

/// Prints the configuration on stdout.
pub fn run(args: &ConfigArgs) -> Result<(), String> {
    if args.queues == 0 {
        return Err("--queues must be at least 1".to_owned());
    }
    let hash = match (&args.hash, &args.acdhub) {
        (Some(hash), _) => hash.clone(),
        (None, Some(acdhub)) => hash_password(acdhub, &args.password)?,
        (None, None) => return Err("give --acdhub or --hash".to_owned()),
    };
    print!("{}", render(args, &hash));
    Ok(())
}

/// Runs `acdhub hash-password` with the password on its standard input.
fn hash_password(acdhub: &PathBuf, password: &str) -> Result<String, String> {
    let mut child = Command::new(acdhub)
        .arg("hash-password")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e}", acdhub.display()))?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(password.as_bytes())
        .map_err(|e| e.to_string())?;
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!("{} hash-password failed", acdhub.display()));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The configuration text.
pub fn render(args: &ConfigArgs, hash: &str) -> String {
    let clients = args.agents + args.wallboards + 1000;
    let journal = if args.journal {
        "# The journal as a real server keeps it (fsync always).\n"
    } else {
        "# No journal: the runs measure the network, sessions and engine, not this VM's disk\n\
         # (BENCHMARKS.md measures the journal's cost on its own).\njournal = false\n"
    };
    let mut text = format!(
        "# Made by `acdhub-load config` (tools/load) for its load runs: tenant `{TENANT}`, {queues}\n\
         # queues q0.., {agents} agents a0.. each in three queues with skill 3, one login per agent,\n\
         # `pbx` (telephony) and `wall` (wallboard), all with the same password.\n\n\
         [server]\nws = \"{ws}\"\nwss = \"{wss}\"\n\n[metrics]\nlisten = \"{metrics}\"\n\n\
         [storage]\n{journal}\n\
         # Raised so that the load measures the server, not its abuse limits: every client comes\n\
         # from 127.0.0.1 and every wallboard is the one login `wall`, and the PBX sends far\n\
         # more than a real one (thousands of calls a second). All connections of one login share\n\
         # four times `commands_per_sec`: 10,000 wallboards of `wall` subscribe at once.\n\
         [limits]\nmax_connections = {clients}\nunauthenticated_per_address = {clients}\n\
         max_sessions_per_principal = {clients}\ncommands_per_sec = 1000000\n\
         command_burst = 1000000\ntelephony_commands_per_sec = 1000000\n\
         telephony_command_burst = 1000000\nstats_updates_per_sec = {stats}\n\n\
         [[tenants]]\nid = \"{TENANT}\"\ntime_zone = \"Europe/Berlin\"\n\n\
         # The reason `acdhub-load commands` sends with `not_ready`.\n\
         [[tenants.not_ready_reasons]]\ncode = \"break\"\n",
        queues = args.queues,
        agents = args.agents,
        ws = args.ws,
        wss = args.wss,
        metrics = args.metrics,
        stats = args.stats_updates_per_sec,
    );
    for queue in 0..args.queues {
        text.push_str(&format!(
            "\n[[tenants.queues]]\nid = \"q{queue}\"\nring_timeout_secs = 20\nwrap_up_secs = 60\n"
        ));
    }
    if args.chats {
        text.push_str("\n[[tenants.channels]]\nid = \"chat\"\ncapacity = 3\n");
        for queue in 0..args.queues {
            text.push_str(&format!(
                "\n[[tenants.queues]]\nid = \"chat{queue}\"\nchannel = \"chat\"\nring_timeout_secs = 20\n"
            ));
        }
    }
    for agent in 0..args.agents {
        let mut skills: Vec<String> = agent_queues(agent, args.queues)
            .iter()
            .map(|queue| format!("q{queue} = 3"))
            .collect();
        if args.chats {
            skills.push(format!("chat{} = 3", agent % args.queues));
        }
        text.push_str(&format!(
            "\n[[tenants.agents]]\nid = \"a{agent}\"\nskills = {{ {} }}\n",
            skills.join(", ")
        ));
    }
    let mut principal = |user: &str, role: &str| {
        text.push_str(&format!(
            "\n[[principals]]\nuser = \"{user}\"\nrole = \"{role}\"\ntenant = \"{TENANT}\"\n\
             password_hash = \"{hash}\"\n"
        ));
    };
    for agent in 0..args.agents {
        principal(&format!("a{agent}"), "agent");
    }
    principal("pbx", "telephony");
    principal("wall", "wallboard");
    if args.chats {
        principal("widget", "messaging");
    }
    text
}

/// The queues of agent `agent`: three queues 7 and 13 apart, as examples/offer_latency.rs
/// has them (fewer when there are too few queues for three different ones).
fn agent_queues(agent: usize, queues: usize) -> Vec<usize> {
    let mut chosen = Vec::with_capacity(3);
    for offset in [0, 7, 13] {
        let queue = (agent + offset) % queues;
        if !chosen.contains(&queue) {
            chosen.push(queue);
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(agents: usize, queues: usize) -> ConfigArgs {
        ConfigArgs {
            agents,
            queues,
            wallboards: 500,
            password: "secret".to_owned(),
            acdhub: None,
            hash: None,
            ws: "127.0.0.1:28080".to_owned(),
            wss: "127.0.0.1:28443".to_owned(),
            metrics: "127.0.0.1:29464".to_owned(),
            journal: false,
            stats_updates_per_sec: 4,
            chats: false,
        }
    }

    fn parse(text: &str) -> toml::Table {
        text.parse().expect("the configuration is TOML")
    }

    #[test]
    fn has_every_agent_queue_and_login() {
        let text = render(&args(50, 20), "$argon2id$v=19$m=19456,t=2,p=1$salt$hash");
        let config = parse(&text);
        let tenant = &config["tenants"].as_array().unwrap()[0];
        assert_eq!(tenant["id"].as_str(), Some(TENANT));
        assert_eq!(tenant["agents"].as_array().unwrap().len(), 50);
        assert_eq!(tenant["queues"].as_array().unwrap().len(), 20);
        let principals = config["principals"].as_array().unwrap();
        assert_eq!(principals.len(), 52);
        assert!(
            principals
                .iter()
                .any(|p| p["user"].as_str() == Some("pbx")
                    && p["role"].as_str() == Some("telephony"))
        );
        assert!(
            principals
                .iter()
                .any(|p| p["user"].as_str() == Some("wall")
                    && p["role"].as_str() == Some("wallboard"))
        );
        let agent = &tenant["agents"].as_array().unwrap()[3];
        assert_eq!(agent["id"].as_str(), Some("a3"));
        assert_eq!(agent["skills"].as_table().unwrap().len(), 3);
        let reasons = tenant["not_ready_reasons"].as_array().unwrap();
        assert_eq!(reasons[0]["code"].as_str(), Some("break"));
    }

    #[test]
    fn limits_make_room_for_every_client_and_the_pbx() {
        let config = parse(&render(&args(10_000, 200), "hash"));
        let limits = config["limits"].as_table().unwrap();
        for key in [
            "max_connections",
            "unauthenticated_per_address",
            "max_sessions_per_principal",
        ] {
            assert_eq!(limits[key].as_integer(), Some(11_500), "{key}");
        }
        for key in ["commands_per_sec", "command_burst"] {
            assert_eq!(limits[key].as_integer(), Some(1_000_000), "{key}");
        }
        assert_eq!(
            limits["telephony_commands_per_sec"].as_integer(),
            Some(1_000_000)
        );
        assert_eq!(
            limits["telephony_command_burst"].as_integer(),
            Some(1_000_000)
        );
        assert_eq!(config["storage"]["journal"].as_bool(), Some(false));
        assert_eq!(config["server"]["ws"].as_str(), Some("127.0.0.1:28080"));
        assert_eq!(
            config["metrics"]["listen"].as_str(),
            Some("127.0.0.1:29464")
        );
    }

    #[test]
    fn few_queues_give_agents_distinct_skills() {
        let config = parse(&render(&args(10, 1), "hash"));
        let agents = config["tenants"][0]["agents"].as_array().unwrap();
        assert_eq!(agents.len(), 10);
        assert_eq!(agents[0]["skills"].as_table().unwrap().len(), 1);
    }

    #[test]
    fn the_journal_stays_when_asked() {
        let mut with_journal = args(1, 1);
        with_journal.journal = true;
        let config = parse(&render(&with_journal, "hash"));
        assert!(
            config["storage"]
                .as_table()
                .unwrap()
                .get("journal")
                .is_none()
        );
    }

    #[test]
    fn with_chats_every_agent_has_a_chat_queue_and_the_connector_a_login() {
        let mut with_chats = args(50, 20);
        with_chats.chats = true;
        let text = render(&with_chats, "$argon2id$x");
        let file: toml::Value = toml::from_str(&text).expect("the configuration is TOML");
        let tenant = &file["tenants"].as_array().unwrap()[0];
        assert_eq!(tenant["channels"][0]["id"].as_str(), Some("chat"));
        let chat_queues = tenant["queues"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|q| q.get("channel").is_some())
            .count();
        assert_eq!(chat_queues, 20);
        assert_eq!(
            tenant["agents"][27]["skills"]["chat7"].as_integer(),
            Some(3),
            "agent J in chat(J mod queues)"
        );
        let principals = file["principals"].as_array().unwrap();
        assert!(principals.iter().any(
            |p| p["user"].as_str() == Some("widget") && p["role"].as_str() == Some("messaging")
        ));
    }
}
