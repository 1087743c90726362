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
    /// A Workflow instance's `run`.
    PerWorkflowRun,
    /// A Durable Object WebSocket message.
    PerWebSocketMessage,
    /// A WebSocket connecting to a Durable Object (partyserver / Agents
    /// `onConnect`).
    PerConnection,
    /// Whenever its caller calls it.
    PerCall,
    /// No entry point dmqa found reaches it.
    Unknown,
    /// The level `dmqa.toml`'s `[frequency]` sets, as written there.
    Configured(String),
}

/// Where a run of code starts: what the walk up from a call to its callers
/// ends at. Ordered by [`EntryPoint::name`], as entry points are listed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryPoint {
    /// An HTTP route registered with a router: `GET /v1/apps`.
    Route {
        /// The HTTP method, upper case (`ALL` for every method).
        method: String,
        /// The path as registered (`/v1/apps/:id`).
        path: String,
    },
    /// A handler the runtime calls: a Worker's `fetch`, `queue`,
    /// `scheduled`, …, or a Durable Object's `alarm`, `webSocketMessage`.
    Handler {
        /// Which.
        handler: Handler,
    },
    /// A function nothing dmqa found calls, by name.
    Function {
        /// Its name (`Class.method` for a method).
        name: String,
    },
}

impl EntryPoint {
    /// An HTTP request runs it: a route or a plain `fetch` handler.
    pub fn is_request(&self) -> bool {
        matches!(
            self,
            EntryPoint::Route { .. }
                | EntryPoint::Handler {
                    handler: Handler::Fetch
                }
        )
    }

    /// The handler it is, if any.
    pub fn handler(&self) -> Option<Handler> {
        match self {
            EntryPoint::Handler { handler } => Some(*handler),
            _ => None,
        }
    }
}

impl Ord for EntryPoint {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.name()
            .cmp(&other.name())
            .then_with(|| self.rank().cmp(&other.rank()))
    }
}

impl PartialOrd for EntryPoint {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl EntryPoint {
    fn rank(&self) -> u8 {
        match self {
            EntryPoint::Route { .. } => 0,
            EntryPoint::Handler { .. } => 1,
            EntryPoint::Function { .. } => 2,
        }
    }
}

/// What runs a piece of code.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Invoker {
    /// An HTTP route (`GET /v1/apps`) or a plain `fetch` handler.
    Request {
        /// The route, or `fetch`.
        entry: EntryPoint,
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
        /// The method the code is in, when the handler reaches it through
        /// another method (empty when the handler itself runs it).
        method: String,
    },
    /// Another entry point: a function nothing dmqa found calls, or a
    /// handler such as `email` or `tail`.
    Call {
        /// The entry point.
        entry: EntryPoint,
    },
    /// A Durable Object method nothing here calls on a stub.
    Method {
        /// The class.
        class: String,
        /// The method.
        method: String,
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
            Invoker::Request { entry } | Invoker::Call { entry } => vec![entry.name()],
            Invoker::Queue { queues } => queues.clone(),
            Invoker::Cron { schedules } => schedules
                .iter()
                .flat_map(|s| [s.clone(), format!("cron {s}")])
                .collect(),
            Invoker::Handler { class, .. } => vec![class.clone()],
            Invoker::Method { class, method } => vec![format!("{class}.{method}()")],
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
    /// A WebSocket connected (partyserver / Agents `onConnect`).
    WebSocketConnect,
    /// The object started (partyserver / Agents `onStart`).
    Start,
    /// A Workflow instance runs (`run` of a `WorkflowEntrypoint`).
    Workflow,
}

impl Handler {
    /// Whether only the runtime calls it, never code on a stub.
    /// A WebSocket Hibernation API handler: the runtime calls it only on
    /// sockets accepted with `acceptWebSocket`.
    pub fn hibernation(self) -> bool {
        matches!(
            self,
            Handler::WebSocketMessage | Handler::WebSocketClose | Handler::WebSocketError
        )
    }

    pub fn runtime_only(self) -> bool {
        matches!(
            self,
            Handler::Alarm
                | Handler::WebSocketMessage
                | Handler::WebSocketClose
                | Handler::WebSocketError
                | Handler::WebSocketConnect
                | Handler::Start
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
        entries: Vec<EntryPoint>,
    },
    /// The object itself, from one of its own methods or routes.
    Internal {
        /// The method or route.
        from: EntryPoint,
    },
    /// The runtime, for a handler it calls.
    Runtime {
        /// The handler.
        handler: Handler,
    },
}
