//! The one definition of the metadata table's shape. The shape checker, the did-you-mean for
//! unknown keys and the published JSON schema are all derived from these lists, so they cannot
//! drift apart.

/// The shape of a value in the metadata table.
#[derive(Debug)]
pub enum Shape {
    Str,
    Bool,
    /// An integer within `min..=max`.
    Int {
        min: i64,
        max: i64,
    },
    /// A `YYYY-MM-DD` date, as a string or a bare TOML date.
    Date,
    /// Any TOML value (a `vars` entry).
    Any,
    List(&'static Shape),
    /// A table with fixed keys.
    Table(&'static [Key]),
    /// A table keyed by names the user chooses (binding names, queue names, environments).
    Map {
        what: &'static str,
        value: &'static Shape,
    },
    /// A string, or a table with fixed keys (routes).
    StrOr(&'static [Key]),
    /// A boolean, or a value of the inner shape (`run_worker_first`).
    BoolOr(&'static Shape),
}

/// One known key.
#[derive(Debug)]
pub struct Key {
    pub name: &'static str,
    pub shape: Shape,
    pub required: bool,
    pub doc: &'static str,
}

const fn key(name: &'static str, shape: Shape, doc: &'static str) -> Key {
    Key {
        name,
        shape,
        required: false,
        doc,
    }
}

const fn required(name: &'static str, shape: Shape, doc: &'static str) -> Key {
    Key {
        name,
        shape,
        required: true,
        doc,
    }
}

const STR_LIST: Shape = Shape::List(&Shape::Str);
const SECONDS_12H: Shape = Shape::Int { min: 0, max: 43200 };

const ROUTE: &[Key] = &[
    required(
        "pattern",
        Shape::Str,
        "Route pattern, e.g. `example.com/*`.",
    ),
    key("zone_name", Shape::Str, "The zone's name."),
    key("zone_id", Shape::Str, "The zone's id."),
];

const KV: &[Key] = &[
    key(
        "id",
        Shape::Str,
        "A fixed namespace id; without it the namespace is provisioned by title.",
    ),
    key(
        "title",
        Shape::Str,
        "Title to find or create the namespace by (default `<worker>-<binding>`).",
    ),
];

const D1: &[Key] = &[
    key(
        "id",
        Shape::Str,
        "A fixed database uuid; without it the database is provisioned by name.",
    ),
    key(
        "database",
        Shape::Str,
        "Database name (default `<worker>-<binding>`).",
    ),
    key(
        "migrations",
        Shape::Str,
        "Migrations folder relative to the crate (default `migrations` when it exists).",
    ),
];

const R2: &[Key] = &[
    key(
        "bucket",
        Shape::Str,
        "Bucket name (default `<worker>-<binding>`).",
    ),
    key("jurisdiction", Shape::Str, "Data jurisdiction, e.g. `eu`."),
];

const PRODUCER: &[Key] = &[
    required("queue", Shape::Str, "Name of the queue to send to."),
    key(
        "delivery_delay",
        SECONDS_12H,
        "Seconds before a sent message is delivered.",
    ),
];

const CONSUMER: &[Key] = &[
    key(
        "max_batch_size",
        Shape::Int { min: 1, max: 100 },
        "Messages per batch (default 10).",
    ),
    key(
        "max_wait_ms",
        Shape::Int { min: 0, max: 60000 },
        "Longest wait for a full batch, in milliseconds (default 5000).",
    ),
    key(
        "max_retries",
        Shape::Int { min: 0, max: 100 },
        "Retries before a message is dropped or dead-lettered (default 3).",
    ),
    key(
        "retry_delay",
        SECONDS_12H,
        "Seconds before a retried message is delivered again (default 0).",
    ),
    key(
        "dead_letter_queue",
        Shape::Str,
        "Queue that receives messages out of retries.",
    ),
    key(
        "max_concurrency",
        Shape::Int { min: 1, max: 250 },
        "Most consumer invocations at once.",
    ),
];

const QUEUES: &[Key] = &[
    key(
        "producers",
        Shape::Map {
            what: "binding",
            value: &Shape::Table(PRODUCER),
        },
        "Queue producer bindings.",
    ),
    key(
        "consumers",
        Shape::Map {
            what: "queue",
            value: &Shape::Table(CONSUMER),
        },
        "Queues this worker consumes, keyed by queue name.",
    ),
];

const SERVICE: &[Key] = &[
    key("worker", Shape::Str, "Name of the worker to bind to."),
    key(
        "entrypoint",
        Shape::Str,
        "A named entrypoint of that worker.",
    ),
    key(
        "url",
        Shape::Str,
        "An external HTTP backend (http:// or https://) instead of a worker.",
    ),
];

const DURABLE_OBJECT: &[Key] = &[
    required("class", Shape::Str, "The Durable Object class name."),
    key(
        "worker",
        Shape::Str,
        "The worker that defines the class, when it is not this one.",
    ),
];

const RENAMED: &[Key] = &[
    required("from", Shape::Str, "The class's old name."),
    required("to", Shape::Str, "The class's new name."),
];

const MIGRATION: &[Key] = &[
    required("tag", Shape::Str, "A unique tag for this migration step."),
    key(
        "new_classes",
        STR_LIST,
        "Classes created with key-value storage.",
    ),
    key(
        "new_sqlite_classes",
        STR_LIST,
        "Classes created with SQLite storage.",
    ),
    key(
        "renamed_classes",
        Shape::List(&Shape::Table(RENAMED)),
        "Classes renamed.",
    ),
    key(
        "deleted_classes",
        STR_LIST,
        "Classes deleted, with their data.",
    ),
];

const BUILD: &[Key] = &[
    key("profile", Shape::Str, "Cargo profile (default `release`)."),
    key("features", STR_LIST, "Cargo features to enable."),
    key(
        "no_default_features",
        Shape::Bool,
        "Do not enable the `default` feature.",
    ),
    key(
        "wasm_opt",
        Shape::Bool,
        "Run `wasm-opt` when one is found (default true).",
    ),
];

const ASSETS: &[Key] = &[
    required(
        "directory",
        Shape::Str,
        "Folder of files to serve, relative to the crate (e.g. `public`).",
    ),
    key(
        "binding",
        Shape::Str,
        "Binding the worker fetches assets through (e.g. `ASSETS`).",
    ),
    key(
        "html_handling",
        Shape::Str,
        "`auto-trailing-slash` (default), `force-trailing-slash`, `drop-trailing-slash` or `none`.",
    ),
    key(
        "not_found_handling",
        Shape::Str,
        "`none` (default), `404-page` or `single-page-application`.",
    ),
    key(
        "run_worker_first",
        Shape::BoolOr(&STR_LIST),
        "Run the worker before assets: `false` (default), `true`, or route patterns such as `[\"/api/*\", \"!/api/docs/*\"]`.",
    ),
];

const fn bindings(value: &'static Shape) -> Shape {
    Shape::Map {
        what: "binding",
        value,
    }
}

/// Keys shared by the package table and its environments.
macro_rules! worker_keys {
    ($($extra:expr),*) => {
        &[
            key("name", Shape::Str, "Worker (script) name; default: the package name, `-<env>` appended in an environment."),
            key("account_id", Shape::Str, "Cloudflare account id."),
            key("compatibility_date", Shape::Date, "Workers runtime compatibility date, `YYYY-MM-DD`."),
            key("compatibility_flags", STR_LIST, "Runtime compatibility flags."),
            key("workers_dev", Shape::Bool, "Serve on `<name>.<subdomain>.workers.dev` (default true)."),
            key("routes", Shape::List(&Shape::StrOr(ROUTE)), "Routes: a pattern, or `{ pattern, zone_name }` / `{ pattern, zone_id }`."),
            key("domains", STR_LIST, "Custom domains (hostnames)."),
            key("crons", STR_LIST, "Cron schedules (five fields)."),
            key("secrets", STR_LIST, "Secret names; values come from `.dev.vars` or `cargo edge secret`."),
            key("content_hash_binding", Shape::Str, "Name of the plain-text binding carrying the bundle's content hash."),
            key("vars", bindings(&Shape::Any), "Variables: strings are plain text, other values JSON."),
            key("kv", bindings(&Shape::Table(KV)), "KV namespace bindings."),
            key("d1", bindings(&Shape::Table(D1)), "D1 database bindings."),
            key("r2", bindings(&Shape::Table(R2)), "R2 bucket bindings."),
            key("queues", Shape::Table(QUEUES), "Queue producers and consumers."),
            key("services", bindings(&Shape::Table(SERVICE)), "Service bindings: another worker or an external URL."),
            key("durable_objects", bindings(&Shape::Table(DURABLE_OBJECT)), "Durable Object namespace bindings."),
            key("migrations", Shape::List(&Shape::Table(MIGRATION)), "Durable Object migrations, in order."),
            key("build", Shape::Table(BUILD), "Build options."),
            key("assets", Shape::Table(ASSETS), "Workers Static Assets: a folder served in front of the worker."),
            $($extra),*
        ]
    };
}

/// Keys an `env.<NAME>` table may hold: all the package's keys except `env`.
pub const ENV_KEYS: &[Key] = worker_keys!();

/// Keys of `[package.metadata.edge]`.
pub const PACKAGE_KEYS: &[Key] = worker_keys!(key(
    "env",
    Shape::Map {
        what: "environment",
        value: &Shape::Table(ENV_KEYS)
    },
    "Environments, selected with `--env NAME`; each inherits the package table."
));

macro_rules! workspace_keys {
    ($($extra:expr),*) => {
        &[
    key("account_id", Shape::Str, "Cloudflare account id."),
    key(
        "compatibility_date",
        Shape::Date,
        "Workers runtime compatibility date, `YYYY-MM-DD`.",
    ),
    key(
        "compatibility_flags",
        STR_LIST,
        "Runtime compatibility flags.",
    ),
    key(
        "workers_dev",
        Shape::Bool,
        "Serve on workers.dev (default true).",
    ),
    key("secrets", STR_LIST, "Secret names every member declares."),
    key(
        "content_hash_binding",
        Shape::Str,
        "Name of the content-hash binding.",
    ),
    key(
        "vars",
        bindings(&Shape::Any),
        "Variables every member gets.",
    ),
    key("build", Shape::Table(BUILD), "Build options."),
            $($extra),*
        ]
    };
}

/// Keys a `[workspace.metadata.edge.env.<NAME>]` table may hold.
pub const WORKSPACE_ENV_KEYS: &[Key] = workspace_keys!();

/// Keys of `[workspace.metadata.edge]`: defaults every member inherits.
pub const WORKSPACE_KEYS: &[Key] = workspace_keys!(key(
    "env",
    Shape::Map {
        what: "environment",
        value: &Shape::Table(WORKSPACE_ENV_KEYS)
    },
    "Environment defaults for every member with `--env NAME`: over the member's own table, under its `env.NAME`."
));

/// The known key names of a table, for did-you-mean.
pub fn names(keys: &[Key]) -> impl Iterator<Item = &'static str> + '_ {
    keys.iter().map(|k| k.name)
}
