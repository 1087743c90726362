//! What runs a piece of code, and how often: the facts behind the
//! Frequency cells of access patterns and R2 actors.

use schemars::JsonSchema;
use serde::Serialize;

/// How often an entry point runs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// An HTTP route or a `fetch` handler: every request.
    High,
    /// A queue consumer: every message.
    PerMessage,
    /// A cron trigger firing every minute.
    EveryMinute,
    /// `*/N` minutes.
    EveryFewMinutes,
    /// Once an hour.
    Hourly,
    /// `*/N` hours.
    EveryFewHours,
    /// Once a day.
    Daily,
    /// Once a week.
    Weekly,
    /// Once a month.
    Monthly,
    /// A cron trigger of another or several schedules.
    PerCronRun,
    /// A Durable Object alarm.
    PerAlarm,
    /// A Durable Object WebSocket message.
    PerWebSocketMessage,
    /// Whenever its caller calls it.
    PerCall,
    /// No entry point dmqa found reaches it.
    Unknown,
    /// The level `dmqa.toml`'s `[frequency]` sets, as written there.
    Configured(String),
}

/// What runs a piece of code.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Invoker {
    /// An HTTP route (`GET /v1/apps`) or a plain `fetch` handler.
    Request {
        /// The route, or `fetch`.
        entry: String,
    },
    /// A queue consumer, for these queues.
    Queue {
        /// Queue names.
        queues: Vec<String>,
    },
    /// Cron triggers with these schedules.
    Cron {
        /// Cron expressions.
        schedules: Vec<String>,
    },
    /// A Durable Object runtime handler (`alarm`, `webSocketMessage`) of
    /// this class (empty when unknown).
    Handler {
        /// The class.
        class: String,
    },
    /// Another entry point, or a function by name (`Room.flush()` for a
    /// Durable Object method nothing here calls on a stub).
    Call {
        /// Its name.
        name: String,
    },
    /// Nothing dmqa found reaches it: the function it is in (`-` when
    /// none).
    Unreached {
        /// The function.
        actor: String,
    },
}

impl Invoker {
    /// The names `dmqa.toml`'s `[frequency]` may give it: a route, a
    /// queue, a cron schedule (with or without `cron `), a class or
    /// function.
    pub fn names(&self) -> Vec<String> {
        match self {
            Invoker::Request { entry } => vec![entry.clone()],
            Invoker::Queue { queues } => queues.clone(),
            Invoker::Cron { schedules } => schedules
                .iter()
                .flat_map(|s| [s.clone(), format!("cron {s}")])
                .collect(),
            Invoker::Handler { class } => vec![class.clone()],
            Invoker::Call { name } => vec![name.clone()],
            Invoker::Unreached { actor } => vec![actor.clone()],
        }
    }
}

/// One way code runs: what triggers it and how often.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub struct Run {
    /// How often.
    pub frequency: Frequency,
    /// By what.
    pub invoker: Invoker,
}

/// A handler the runtime calls: a Worker's or a Durable Object's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Handler {
    /// HTTP requests (and WebSocket upgrades).
    Fetch,
    /// Queue batches.
    Queue,
    /// Cron triggers.
    Scheduled,
    /// Email Routing.
    Email,
    /// Tail events of other Workers.
    Tail,
    /// A Durable Object alarm.
    Alarm,
    /// A hibernating WebSocket's message.
    WebSocketMessage,
    /// A hibernating WebSocket closed.
    WebSocketClose,
    /// A hibernating WebSocket failed.
    WebSocketError,
}

impl Handler {
    /// Whether only the runtime calls it, never code on a stub.
    pub fn runtime_only(self) -> bool {
        matches!(
            self,
            Handler::Alarm
                | Handler::WebSocketMessage
                | Handler::WebSocketClose
                | Handler::WebSocketError
        )
    }
}

/// What calls a Durable Object method.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Caller {
    /// Code calling it on a stub: the function, and the entry points
    /// reaching that function.
    Stub {
        /// The function (or file) making the call.
        actor: String,
        /// The entry points reaching it.
        entries: Vec<String>,
    },
    /// The object itself, from one of its own methods or routes.
    Internal {
        /// The method or route.
        from: String,
    },
    /// The runtime, for a handler it calls.
    Runtime {
        /// The handler.
        handler: Handler,
    },
}
