//! The route table of the fake under `/client/v4`, with Cloudflare's answers for unknown paths
//! (7003) and wrong methods.

use axum::extract::{DefaultBodyLimit, Request};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;

use super::envelope::{ApiError, METHOD_NOT_ALLOWED, NO_ROUTE};
use super::state::Shared;
use super::{
    accounts, consumers, d1, domains, queues, scripts, secrets, storage, triggers, versions,
};

/// Uploads of a few hundred megabytes are refused by Cloudflare long before this.
const BODY_LIMIT: usize = 256 * 1024 * 1024;

/// The whole API, ready to serve.
pub fn router(shared: Shared) -> Router {
    Router::new()
        .nest("/client/v4", api())
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(shared)
}

fn api() -> Router<Shared> {
    let script = "/accounts/{a}/workers/scripts/{name}";
    Router::new()
        .route("/accounts", get(accounts::accounts))
        .route("/memberships", get(accounts::memberships))
        .route("/zones", get(triggers::zones))
        .route("/accounts/{a}/workers/subdomain", get(accounts::subdomain))
        .route("/accounts/{a}/workers/scripts", get(scripts::list))
        .route(script, put(scripts::put).delete(scripts::delete))
        .route(&format!("{script}/settings"), get(scripts::settings))
        .route(
            &format!("{script}/assets-upload-session"),
            post(super::assets::session),
        )
        .route(
            "/accounts/{a}/workers/assets/upload",
            post(super::assets::upload),
        )
        .route(
            &format!("{script}/script-settings"),
            get(scripts::script_settings).patch(scripts::patch_script_settings),
        )
        .route(
            &format!("{script}/subdomain"),
            get(accounts::script_subdomain).post(accounts::set_script_subdomain),
        )
        .route(
            &format!("{script}/versions"),
            get(versions::list).post(versions::upload),
        )
        .route(&format!("{script}/versions/{{id}}"), get(versions::get))
        .route(
            &format!("{script}/deployments"),
            get(versions::deployments).post(versions::deploy),
        )
        .route(
            &format!("{script}/schedules"),
            get(triggers::schedules).put(triggers::put_schedules),
        )
        .route(
            &format!("{script}/routes"),
            get(triggers::routes).put(triggers::put_routes),
        )
        .route(
            &format!("{script}/secrets"),
            get(secrets::list).put(secrets::put),
        )
        .route(
            &format!("{script}/secrets/{{secret}}"),
            axum::routing::delete(secrets::delete),
        )
        .route(
            "/accounts/{a}/workers/services/{name}",
            get(scripts::service),
        )
        .route(
            "/accounts/{a}/workers/domains",
            get(domains::list).put(domains::put),
        )
        .route(
            "/accounts/{a}/workers/domains/{id}",
            axum::routing::delete(domains::delete),
        )
        .merge(resources())
}

/// KV, D1, R2 and queues.
fn resources() -> Router<Shared> {
    let kv = "/accounts/{a}/storage/kv/namespaces";
    let queue = "/accounts/{a}/queues/{id}";
    Router::new()
        .route(kv, get(storage::list_kv).post(storage::create_kv))
        .route(
            &format!("{kv}/{{id}}"),
            axum::routing::delete(storage::delete_kv),
        )
        .route(
            "/accounts/{a}/r2/buckets",
            get(storage::list_r2).post(storage::create_r2),
        )
        .route("/accounts/{a}/r2/buckets/{name}", get(storage::get_r2))
        .route("/accounts/{a}/d1/database", get(d1::list).post(d1::create))
        .route("/accounts/{a}/d1/database/{uuid}", get(d1::get))
        .route("/accounts/{a}/d1/database/{uuid}/query", post(d1::query))
        .route(
            "/accounts/{a}/queues",
            get(queues::list).post(queues::create),
        )
        .route(queue, get(queues::get).delete(queues::delete))
        .route(
            &format!("{queue}/consumers"),
            get(consumers::list).post(consumers::attach),
        )
        .route(
            &format!("{queue}/consumers/{{consumer}}"),
            put(consumers::update).delete(consumers::detach),
        )
}

async fn no_route(request: Request) -> Response {
    let path = request.uri().path();
    let path = path.strip_prefix("/client/v4").unwrap_or(path);
    ApiError::not_found(
        NO_ROUTE,
        format!("Could not route to {path}, perhaps your object identifier is invalid?"),
    )
    .into_response()
}

async fn wrong_method(request: Request) -> Response {
    ApiError::new(
        405,
        METHOD_NOT_ALLOWED,
        format!("Method {} not allowed for this endpoint", request.method()),
    )
    .into_response()
}
