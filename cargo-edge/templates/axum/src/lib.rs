//! An axum application on Workers: the fetch handler hands each request to an axum `Router`,
//! so extractors, `Json`, status codes and fallbacks work as on a server.
//!
//! | request            | answer                                             |
//! |--------------------|----------------------------------------------------|
//! | `GET /`            | a greeting from the `GREETING` var                 |
//! | `PUT /notes/{id}`  | stores `{"text": "..."}` in KV, 200 with the note  |
//! | `GET /notes/{id}`  | 200 with the note, or 404                          |

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tower_service::Service;
use worker::{event, kv::KvStore, Context, Env, HttpRequest};

/// What every handler can reach. axum wants state `Clone + Send + Sync`: `KvStore` is (a
/// worker is single-threaded, so worker marks its JS handles `Send`); for a type that is not,
/// wrap it in `worker::send::SendWrapper`.
#[derive(Clone)]
struct AppState {
    greeting: String,
    notes: KvStore,
}

#[derive(Serialize, Deserialize)]
struct Note {
    id: String,
    text: String,
}

#[derive(Deserialize)]
struct NewNote {
    text: String,
}

fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(hello))
        .route("/notes/{id}", get(read_note).put(write_note))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such route") })
        .with_state(state)
}

#[event(fetch)]
async fn fetch(
    req: HttpRequest,
    env: Env,
    _ctx: Context,
) -> worker::Result<axum::http::Response<axum::body::Body>> {
    let state = AppState {
        greeting: env.var("GREETING")?.to_string(),
        notes: env.kv("NOTES")?,
    };
    Ok(app(state).call(req).await?)
}

async fn hello(State(state): State<AppState>) -> String {
    format!("{} from {{name}}, served by axum!", state.greeting)
}

// axum needs `Send` futures; the futures of worker's JS calls are not (they hold JS values).
// `#[worker::send]` marks the whole handler `Send`, which is sound on a single thread.
#[worker::send]
async fn read_note(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    Ok(match state.notes.get(&id).json::<Note>().await? {
        Some(note) => Json(note).into_response(),
        None => error(StatusCode::NOT_FOUND, &format!("no note `{id}`")),
    })
}

/// `Json<NewNote>` does the checking: a wrong content type is a 415, malformed JSON a 400 and
/// a missing `text` a 422, each before this runs.
#[worker::send]
async fn write_note(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(new): Json<NewNote>,
) -> Result<Json<Note>, AppError> {
    let note = Note { id, text: new.text };
    let json = serde_json::to_string(&note).map_err(worker::Error::from)?;
    state.notes.put(&note.id, json)?.execute().await?;
    Ok(Json(note))
}

/// `{"error": message}` with `status`.
fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

/// A failing binding: logged, and a 500 for the client.
struct AppError(worker::Error);

impl From<worker::Error> for AppError {
    fn from(e: worker::Error) -> Self {
        AppError(e)
    }
}

impl From<worker::kv::KvError> for AppError {
    fn from(e: worker::kv::KvError) -> Self {
        AppError(e.into())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        worker::console_error!("{}", self.0);
        error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
    }
}
