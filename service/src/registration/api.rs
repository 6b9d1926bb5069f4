//! The handlers: read and check the request, one store call on the blocking pool, JSON out.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, MethodRouter};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ErrorBody, ServiceError};
use super::images::{self, CustomImage};
use super::store::{Platform, Registration, StatusEntry, TileRequest};
use super::validate::{check_os_version, check_user_name, check_windows_version, nfc};
use super::{PatternKind, ServiceEvent, ServiceState};

const DEFAULT_LOG_LIMIT: u32 = 100;
const MAX_LOG_LIMIT: u32 = 1000;

/// Every route of the service with its handlers: the one list [`routes`] serves and the
/// OpenAPI document's test compares with the document.
pub(crate) fn table() -> Vec<(&'static str, MethodRouter<ServiceState>)> {
    vec![
        ("/api/registrations", post(register)),
        ("/api/registrations/{user}", delete(unregister)),
        ("/api/server-info", get(server_info)),
        ("/api/subscribers", get(subscribers)),
        ("/api/status-log", get(status_log)),
        ("/api/tile-update", post(tile_update)),
        ("/images/custom.png", get(custom_image)),
        ("/images/numbers/{file}", get(number_image)),
        ("/ImageService/GetTileImage", get(recipe_image)),
    ]
}

/// The service's routes and `extra` (the operator's), under one fallback and body limit.
pub(super) fn routes(state: ServiceState, extra: Router) -> Router {
    let limit = state.inner.body_limit;
    table()
        .into_iter()
        .fold(Router::new(), |router, (path, methods)| {
            router.route(path, methods)
        })
        .with_state(state)
        .merge(extra)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
}

type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// The description of the routes above, from their annotations and the serde types they take
/// and answer; [`super::openapi`] adds the guard's answers and the operator's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    register,
    unregister,
    server_info,
    subscribers,
    status_log,
    tile_update,
    custom_image,
    number_image,
    recipe_image
))]
struct ApiDoc;

/// The service's own part of the OpenAPI document.
pub(super) fn api_doc() -> utoipa::openapi::OpenApi {
    <ApiDoc as utoipa::OpenApi>::openapi()
}

/// The body as `T`, which must be a JSON object: serde would take an array such as
/// `["ann", "http://…", "7.1"]` for a struct's fields in order, which no client means.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(
    state: &ServiceState,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<T> {
    let Json(value) =
        body.map_err(|r| ServiceError::from_json_rejection(r, state.inner.body_limit))?;
    if !value.is_object() {
        let kind = match value {
            serde_json::Value::Array(_) => "an array",
            serde_json::Value::String(_) => "a string",
            serde_json::Value::Number(_) => "a number",
            serde_json::Value::Bool(_) => "a boolean",
            _ => "null",
        };
        return Err(ServiceError::BadRequest {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "not_an_object",
            message: format!("the request body must be a JSON object {{...}}, not {kind}"),
        });
    }
    // Read again through axum's extractor, whose errors name the field (`user_name: invalid
    // type ...`). The position it gives is in the re-serialized text, not the client's: cut.
    let bytes = serde_json::to_vec(&value).map_err(|e| ServiceError::Internal(e.to_string()))?;
    Json::<T>::from_bytes(&bytes).map(|Json(v)| v).map_err(|r| {
        match ServiceError::from_json_rejection(r, state.inner.body_limit) {
            ServiceError::BadRequest {
                status,
                code,
                message,
            } => ServiceError::BadRequest {
                status,
                code,
                message: without_position(&message).to_owned(),
            },
            other => other,
        }
    })
}

/// `... expected a string at line 1 column 111` -> `... expected a string`.
fn without_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(at)
            if message[at + 9..]
                .split(" column ")
                .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) =>
        {
            &message[..at]
        }
        _ => message,
    }
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T> {
    q.map(|Query(v)| v)
        .map_err(ServiceError::from_query_rejection)
}

/// A phone's registration.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"user_name": "ann", "channel_uri": "http://db3.notify.live.net/throttledthirdparty/01.00/AAF", "os_version": "7.1"}))]
struct RegisterBody {
    /// 1..=64 characters after NFC normalisation, no control or invisible formatting
    /// characters, no leading or trailing whitespace; the key of the registration.
    #[schema(min_length = 1, max_length = 64)]
    user_name: String,
    /// The device's channel URI, at most 2048 bytes: for `mpns`, a channel path on an allowed
    /// push host (`*.notify.live.net` or one the operator configured); for `wns`, `https` on
    /// `*.notify.windows.com` (or an allowed host) with a `?token=` query.
    #[schema(max_length = 2048)]
    channel_uri: String,
    /// For `mpns`: `7.0`, `7.1`, `7.5`, `7.8`, `8.0`, `8.1` or a full version such as
    /// `8.0.10492.0`; for `wns`: `10`, `11` or a full version such as `10.0.22631.4460`.
    os_version: String,
    /// `mpns` (the default, so that every existing client keeps working) or `wns`.
    #[serde(default)]
    platform: Platform,
}

/// A registration as stored, and whether it replaced one.
#[derive(Serialize, ToSchema)]
struct Registered {
    /// The registration as stored.
    registration: Registration,
    /// Whether a registration with the same user name was replaced (then the status is 200).
    replaced: bool,
}

#[utoipa::path(post, path = "/api/registrations", tag = "phones",
    request_body(content = RegisterBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Registered", body = Registered),
        (status = 200, description = "Registered, replacing the user's earlier registration", body = Registered),
        (status = 400, description = "The body is not JSON or lacks a field (`malformed_json`, `wrong_fields`)", body = ErrorBody),
        (status = 415, description = "No `Content-Type: application/json` (`not_json`)", body = ErrorBody),
        (status = 422, description = "A field breaks a rule (the error names it), or the body is not a JSON object", body = ErrorBody),
    ))]
async fn register(
    State(state): State<ServiceState>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Response> {
    let mut body: RegisterBody = json_body(&state, body)?;
    body.user_name = nfc(&body.user_name);
    check_user_name("user_name", &body.user_name)?;
    let channel = match body.platform {
        Platform::Mpns => {
            let channel = state.inner.allowed_hosts.check(&body.channel_uri)?;
            check_os_version(&body.os_version)?;
            channel.as_str().to_owned()
        }
        Platform::Wns => {
            let channel = state.inner.allowed_hosts.check_wns(&body.channel_uri)?;
            check_windows_version(&body.os_version)?;
            channel.as_str().to_owned()
        }
    };
    let registration = Registration {
        user_name: body.user_name,
        channel_uri: channel,
        os_version: body.os_version,
        registered_at: state.now(),
        last_outcome: None,
        platform: body.platform,
    };
    let stored = registration.clone();
    let replaced = state.store().run(move |s| s.register(&stored)).await?;
    tracing::info!(user = %registration.user_name, replaced, "phone registered");
    let status = if replaced {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let body = Registered {
        registration: registration.clone(),
        replaced,
    };
    state.emit(ServiceEvent::Registered(registration));
    Ok((status, Json(body)).into_response())
}

#[utoipa::path(delete, path = "/api/registrations/{user}", tag = "phones",
    params(("user" = String, Path, min_length = 1, max_length = 64, example = "ann", description = "The user name the phone registered with")),
    responses(
        (status = 204, description = "Unregistered"),
        (status = 400, description = "The path could not be read (`bad_path`)", body = ErrorBody),
        (status = 404, description = "The user is not registered", body = ErrorBody),
        (status = 422, description = "Not a valid user name", body = ErrorBody),
    ))]
async fn unregister(
    State(state): State<ServiceState>,
    user: Result<Path<String>, PathRejection>,
) -> Result<StatusCode> {
    let Path(user) = user.map_err(|e| ServiceError::BadRequest {
        status: StatusCode::BAD_REQUEST,
        code: "bad_path",
        message: e.body_text(),
    })?;
    let user = nfc(&user);
    check_user_name("user", &user)?;
    let name = user.clone();
    if state.store().run(move |s| s.unregister(&name)).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ServiceError::NotFound(format!(
            "user {user:?} is not registered"
        )))
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ServerInfoQuery {
    /// The user whose counter to show; without it the counter is 0.
    #[param(min_length = 1, max_length = 64, example = "ann")]
    user: Option<String>,
}

/// The active pattern, as a phone asks for it.
#[derive(Serialize, ToSchema)]
struct ServerInfo {
    /// The active pattern's display name (`Ask to Pin`): the recipe's app compares it.
    push_pattern: &'static str,
    /// The active pattern's id.
    pattern: PatternKind,
    /// The user's counter for the active pattern (`0..=99`); 0 without a user.
    counter: u8,
}

#[utoipa::path(get, path = "/api/server-info", tag = "phones", params(ServerInfoQuery),
    responses(
        (status = 200, description = "The active pattern and the user's counter", body = ServerInfo),
        (status = 400, description = "The query could not be read (`bad_query`)", body = ErrorBody),
        (status = 422, description = "`user` is not a valid user name", body = ErrorBody),
    ))]
async fn server_info(
    State(state): State<ServiceState>,
    q: Result<Query<ServerInfoQuery>, QueryRejection>,
) -> Result<Json<ServerInfo>> {
    let mut q = query(q)?;
    q.user = q.user.as_deref().map(nfc);
    if let Some(user) = &q.user {
        check_user_name("user", user)?;
    }
    let (pattern, counter) = state
        .store()
        .run(move |s| {
            let pattern = s.active_pattern()?;
            let counter = match &q.user {
                Some(user) => s.counter(pattern, user)?,
                None => 0,
            };
            Ok((pattern, counter))
        })
        .await?;
    Ok(Json(ServerInfo {
        push_pattern: pattern.display_name(),
        pattern,
        counter,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SubscribersQuery {
    /// The user name the page starts after (the `next` of the page before).
    after: Option<String>,
    /// The page size, `1..=1000` (100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

/// A page of subscribers, by user name.
#[derive(Serialize, ToSchema)]
struct SubscribersPage {
    /// How many subscribers there are in all.
    count: u64,
    /// This page's registrations.
    subscribers: Vec<Registration>,
    /// The `after` of the next page, or null after the last.
    next: Option<String>,
}

#[utoipa::path(get, path = "/api/subscribers", tag = "operator", params(SubscribersQuery),
    responses(
        (status = 200, description = "A page of subscribers", body = SubscribersPage),
        (status = 400, description = "The query could not be read (`bad_query`)", body = ErrorBody),
        (status = 422, description = "`limit` is out of range", body = ErrorBody),
    ))]
async fn subscribers(
    State(state): State<ServiceState>,
    q: Result<Query<SubscribersQuery>, QueryRejection>,
) -> Result<Json<SubscribersPage>> {
    let q = query(q)?;
    let limit = q.limit.unwrap_or(DEFAULT_SUBSCRIBERS_LIMIT);
    if !(1..=MAX_SUBSCRIBERS_LIMIT).contains(&limit) {
        return Err(ServiceError::invalid(
            "limit",
            "out_of_range",
            format!("limit {limit} is out of range 1..={MAX_SUBSCRIBERS_LIMIT}"),
        ));
    }
    // The cursor is a user name: normalised like the stored ones (NFC), so that it finds its place.
    let after = q.after.map(|a| nfc(&a));
    let (page, total) = state
        .store()
        .run(move |s| s.subscribers_page(after.as_deref(), limit))
        .await?;
    // A full page may have more after it; the last name is where the next page starts.
    let next = if page.len() == limit as usize {
        page.last().map(|r| r.user_name.clone())
    } else {
        None
    };
    Ok(Json(SubscribersPage {
        count: total,
        subscribers: page,
        next,
    }))
}

/// `GET /api/subscribers`' page size when none is given, and the largest allowed.
const DEFAULT_SUBSCRIBERS_LIMIT: u32 = 100;
const MAX_SUBSCRIBERS_LIMIT: u32 = 1000;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LogQuery {
    /// The last entry id seen (0): entries after it are answered.
    after: Option<i64>,
    /// How many entries at most, `1..=1000` (100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

/// Status log entries, oldest first.
#[derive(Serialize, ToSchema)]
struct StatusLog {
    /// The entries after `after`, oldest first.
    entries: Vec<StatusEntry>,
}

#[utoipa::path(get, path = "/api/status-log", tag = "operator", params(LogQuery),
    responses(
        (status = 200, description = "Every send and what came back", body = StatusLog),
        (status = 400, description = "The query could not be read (`bad_query`)", body = ErrorBody),
        (status = 422, description = "`limit` is out of range", body = ErrorBody),
    ))]
async fn status_log(
    State(state): State<ServiceState>,
    q: Result<Query<LogQuery>, QueryRejection>,
) -> Result<Json<StatusLog>> {
    let q = query(q)?;
    let limit = q.limit.unwrap_or(DEFAULT_LOG_LIMIT);
    if !(1..=MAX_LOG_LIMIT).contains(&limit) {
        return Err(ServiceError::invalid(
            "limit",
            "out_of_range",
            format!("limit {limit} is out of range 1..={MAX_LOG_LIMIT}"),
        ));
    }
    let after = q.after.unwrap_or(0);
    let entries = state
        .store()
        .run(move |s| s.status_log(after, limit))
        .await?;
    Ok(Json(StatusLog { entries }))
}

/// "Test Now" of Tile Schedule.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"user_name": "ann", "number": 7}))]
struct TileUpdateBody {
    /// A registered user.
    #[schema(min_length = 1, max_length = 64)]
    user_name: String,
    /// The number image to show, `0..=99`.
    #[schema(minimum = 0, maximum = 99)]
    number: i64,
}

/// The recorded "Test Now" request and the image its tile will show.
#[derive(Serialize, ToSchema)]
struct TileUpdateAccepted {
    /// The request as recorded.
    request: TileRequest,
    /// The number image's URL.
    image_uri: String,
}

#[utoipa::path(post, path = "/api/tile-update", tag = "phones",
    request_body(content = TileUpdateBody, content_type = "application/json"),
    responses(
        (status = 202, description = "Recorded; the Tile Schedule pattern sends the tile", body = TileUpdateAccepted),
        (status = 400, description = "The body is not JSON or lacks a field (`malformed_json`, `wrong_fields`)", body = ErrorBody),
        (status = 404, description = "The user is not registered", body = ErrorBody),
        (status = 415, description = "No `Content-Type: application/json` (`not_json`)", body = ErrorBody),
        (status = 422, description = "A field breaks a rule, or the body is not a JSON object", body = ErrorBody),
    ))]
async fn tile_update(
    State(state): State<ServiceState>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Response> {
    let mut body: TileUpdateBody = json_body(&state, body)?;
    body.user_name = nfc(&body.user_name);
    check_user_name("user_name", &body.user_name)?;
    let number = u8::try_from(body.number)
        .ok()
        .filter(|&n| n <= images::MAX_NUMBER)
        .ok_or_else(|| {
            ServiceError::invalid(
                "number",
                "out_of_range",
                format!(
                    "number {} is out of range 0..={}",
                    body.number,
                    images::MAX_NUMBER
                ),
            )
        })?;
    let image_uri = state
        .number_image_uri(number)
        .ok_or_else(|| ServiceError::Internal(format!("no image URI for {number}")))?;
    let at = state.now();
    let user = body.user_name.clone();
    let uri = image_uri.clone();
    let request = state
        .store()
        .run(move |s| match s.registration(&user)? {
            Some(reg) => s
                .record_tile_request(&user, &reg.channel_uri, number, &uri, at)
                .map(Some),
            None => Ok(None),
        })
        .await?
        .ok_or_else(|| {
            ServiceError::NotFound(format!(
                "user {:?} is not registered; register before asking for a tile update",
                body.user_name
            ))
        })?;
    let body = TileUpdateAccepted {
        request: request.clone(),
        image_uri,
    };
    state.emit(ServiceEvent::TileUpdateRequested(request));
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct CustomQuery {
    /// The text drawn (at most 60 characters the tile font can draw).
    text: Option<String>,
    /// The text size in pixels per character, `8..=48` (20).
    #[param(value_type = Option<u32>, minimum = 8, maximum = 48)]
    size: Option<String>,
    /// The text colour: a name or `#rrggbb` (white).
    color: Option<String>,
    /// `tile1`, `tile2`, `tile3`, a name or `#rrggbb` (`tile1`).
    background: Option<String>,
}

/// A PNG image (173×173, a tile's size), in the document only: a string of that media type.
struct Png;

impl utoipa::PartialSchema for Png {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .content_media_type("image/png")
            .description(Some("A PNG image, 173×173 pixels"))
            .into()
    }
}

impl ToSchema for Png {}

#[utoipa::path(get, path = "/images/custom.png", tag = "images", params(CustomQuery),
    responses(
        (status = 200, description = "The Custom Tile image", content_type = "image/png", body = Png,
            headers(("Cache-Control" = String, description = "`public, max-age=3600`"))),
        (status = 400, description = "The query could not be read (`bad_query`)", body = ErrorBody),
        (status = 404, description = "A background that is not one of the set", body = ErrorBody),
        (status = 422, description = "A parameter breaks a rule (the error names it)", body = ErrorBody),
    ))]
async fn custom_image(q: Result<Query<CustomQuery>, QueryRejection>) -> Result<Response> {
    let q = query(q)?;
    let image = CustomImage::from_params(
        q.text.as_deref(),
        q.size.as_deref(),
        q.color.as_deref(),
        q.background.as_deref(),
    )
    .map_err(|e| match e.field {
        // A background outside the set is not an image of the set.
        "background" => ServiceError::NotFound(e.message),
        _ => e.into(),
    })?;
    let png = tokio::task::spawn_blocking(move || image.render())
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(png_failed)?;
    Ok(png_response(png, "public, max-age=3600"))
}

#[utoipa::path(get, path = "/images/numbers/{file}", tag = "images",
    params(("file" = String, Path, example = "7.png", description = "`<n>.png` with `n` in `0..=99`, no leading zeros (`7.png`)")),
    responses(
        (status = 200, description = "A Tile Schedule number image", content_type = "image/png", body = Png,
            headers(("Cache-Control" = String, description = "`public, max-age=86400`"))),
        (status = 404, description = "Not an image of the set", body = ErrorBody),
    ))]
async fn number_image(file: Result<Path<String>, PathRejection>) -> Result<Response> {
    // A segment that is not even UTF-8 is not an image name either.
    let Path(file) = file.map_err(|_| no_such_image("(not UTF-8)"))?;
    let n = file
        .strip_suffix(".png")
        .and_then(images::parse_number)
        .ok_or_else(|| no_such_image(&file))?;
    number_response(n)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct RecipeQuery {
    /// `number<n>.png` with `n` in `0..=99` (the recipe's service read this key).
    #[param(example = "number7.png")]
    parameter: Option<String>,
    /// The same, under the key the recipe's schedule asked with.
    uri: Option<String>,
}

/// The recipe's image URL. Its schedule asked with `?uri=` while the service read
/// `?parameter=`; both keys work here, and only `number<n>.png` names of the set.
#[utoipa::path(get, path = "/ImageService/GetTileImage", tag = "images", params(RecipeQuery),
    responses(
        (status = 200, description = "A Tile Schedule number image", content_type = "image/png", body = Png,
            headers(("Cache-Control" = String, description = "`public, max-age=86400`"))),
        (status = 404, description = "Not an image of the set", body = ErrorBody),
    ))]
async fn recipe_image(q: Result<Query<RecipeQuery>, QueryRejection>) -> Result<Response> {
    let Query(q) = q.map_err(|_| no_such_image("(unreadable query)"))?;
    let name = q.parameter.or(q.uri).unwrap_or_default();
    let n = name
        .strip_prefix("number")
        .and_then(|rest| rest.strip_suffix(".png"))
        .and_then(images::parse_number)
        .ok_or_else(|| no_such_image(&name))?;
    number_response(n)
}

fn number_response(n: u8) -> Result<Response> {
    let png = images::number_png(n)
        .ok_or_else(|| no_such_image(&n.to_string()))?
        .map_err(png_failed)?;
    Ok(png_response(png, "public, max-age=86400"))
}

fn png_failed(e: image::ImageError) -> ServiceError {
    ServiceError::Internal(format!("PNG encoding failed: {e}"))
}

fn no_such_image(name: &str) -> ServiceError {
    let shown: String = name.chars().take(80).collect();
    ServiceError::NotFound(format!(
        "no image {shown:?}; number images are 0..={} (for example /images/numbers/7.png)",
        images::MAX_NUMBER
    ))
}

fn png_response(png: Vec<u8>, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        png,
    )
        .into_response()
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ServiceError {
    let path: String = uri.path().chars().take(200).collect();
    ServiceError::BadRequest {
        status: StatusCode::METHOD_NOT_ALLOWED,
        code: "method_not_allowed",
        message: format!("{path} does not take {method}"),
    }
}

async fn not_found(uri: axum::http::Uri) -> ServiceError {
    let path: String = uri.path().chars().take(200).collect();
    ServiceError::NotFound(format!("no route {path}"))
}
