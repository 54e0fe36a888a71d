//! The listeners and the rungs of the fallback ladder: names every layer uses (the listener
//! accepts on a transport, a session is carried on a rung, the counters are labelled by it).

/// The listener a connection came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Ws,
    Wss,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Ws => "ws",
            Transport::Wss => "wss",
        }
    }
}

/// The rung of the fallback ladder a connection is on (protocol.md, The fallback ladder).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rung {
    Wss,
    Ws,
    Sse,
    Poll,
}

impl Rung {
    pub const ALL: [Rung; 4] = [Rung::Wss, Rung::Ws, Rung::Sse, Rung::Poll];

    pub fn name(self) -> &'static str {
        match self {
            Rung::Wss => "wss",
            Rung::Ws => "ws",
            Rung::Sse => "sse",
            Rung::Poll => "poll",
        }
    }

    /// The WebSocket rung of a listener.
    pub fn websocket(transport: Transport) -> Rung {
        match transport {
            Transport::Ws => Rung::Ws,
            Transport::Wss => Rung::Wss,
        }
    }
}
