//! The HTTP routes of the Open Inference Protocol, on axum.

use crate::batcher::{BatchQueue, SubmitError};
use crate::error::ApiError;
use crate::metrics::{self, Metrics, ModelMetrics};
use crate::model::{MODEL_VERSION, ModelInfo};
use crate::protocol::{self, HEADER_CONTENT_LENGTH};
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

/// One served model.
pub struct ServedModel {
    /// Its tensors.
    pub info: ModelInfo,
    /// Its request queue.
    pub queue: Arc<BatchQueue>,
    /// Its metrics.
    pub metrics: Arc<ModelMetrics>,
    /// Executors ready (binding allocated).
    pub groups_ready: AtomicUsize,
    /// Executors in total.
    pub groups: usize,
}

impl ServedModel {
    /// Whether at least one executor is ready.
    pub fn ready(&self) -> bool {
        self.groups_ready.load(Ordering::SeqCst) > 0
    }
}

/// Everything the handlers share.
pub struct AppState {
    /// Models by name.
    pub models: HashMap<String, Arc<ServedModel>>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Largest accepted body.
    pub max_body_bytes: usize,
    /// Set when shutdown begins: readiness turns false.
    pub shutting_down: AtomicBool,
}

/// The server's name in `GET /v2`.
pub const SERVER_NAME: &str = "neuron-rt-serve";

/// Protocol extensions announced in `GET /v2`.
pub const EXTENSIONS: &[&str] = &["binary_tensor_data", "model_configuration"];

/// The router.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v2", get(server_metadata))
        .route("/v2/health/live", get(live))
        .route("/v2/health/ready", get(ready))
        .route("/v2/models/{name}", get(model_metadata))
        .route(
            "/v2/models/{name}/versions/{version}",
            get(model_metadata_v),
        )
        .route("/v2/models/{name}/ready", get(model_ready))
        .route(
            "/v2/models/{name}/versions/{version}/ready",
            get(model_ready_v),
        )
        .route("/v2/models/{name}/config", get(model_config))
        .route(
            "/v2/models/{name}/versions/{version}/config",
            get(model_config_v),
        )
        .route("/v2/models/{name}/infer", post(infer))
        .route("/v2/models/{name}/versions/{version}/infer", post(infer_v))
        .route("/metrics", get(metrics_text))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

fn json(status: StatusCode, v: serde_json::Value) -> Response {
    (status, axum::Json(v)).into_response()
}

async fn not_found(State(s): State<Arc<AppState>>, method: Method, uri: Uri) -> Response {
    let e = ApiError::NotFound(format!(
        "no route for {method} {}; this server speaks the Open Inference Protocol under /v2 \
         (e.g. POST /v2/models/{{name}}/infer) and serves /metrics",
        uri.path()
    ));
    s.metrics.unrouted_error(e.kind());
    e.into_response()
}

async fn method_not_allowed(State(s): State<Arc<AppState>>, method: Method, uri: Uri) -> Response {
    let e = ApiError::MethodNotAllowed(format!(
        "{method} is not allowed on {}; infer is POST, everything else GET",
        uri.path()
    ));
    s.metrics.unrouted_error(e.kind());
    e.into_response()
}

async fn server_metadata() -> Response {
    json(
        StatusCode::OK,
        serde_json::json!({
            "name": SERVER_NAME,
            "version": env!("CARGO_PKG_VERSION"),
            "extensions": EXTENSIONS,
        }),
    )
}

async fn live() -> Response {
    json(StatusCode::OK, serde_json::json!({ "live": true }))
}

async fn ready(State(s): State<Arc<AppState>>) -> Response {
    let ok = !s.shutting_down.load(Ordering::SeqCst) && s.models.values().all(|m| m.ready());
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json(status, serde_json::json!({ "ready": ok }))
}

fn lookup(s: &AppState, name: &str, version: Option<&str>) -> Result<Arc<ServedModel>, ApiError> {
    let m = s.models.get(name).ok_or_else(|| {
        let mut known: Vec<&String> = s.models.keys().collect();
        known.sort();
        ApiError::NotFound(format!(
            "unknown model '{name}'; this server serves: {}",
            known
                .iter()
                .map(|k| format!("'{k}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    if let Some(v) = version {
        if v != MODEL_VERSION {
            return Err(ApiError::NotFound(format!(
                "model '{name}' has no version '{v}'; its only version is '{MODEL_VERSION}'"
            )));
        }
    }
    Ok(Arc::clone(m))
}

fn lookup_counted(
    s: &AppState,
    name: &str,
    version: Option<&str>,
) -> Result<Arc<ServedModel>, ApiError> {
    lookup(s, name, version).inspect_err(|e| s.metrics.unrouted_error(e.kind()))
}

async fn model_metadata(State(s): State<Arc<AppState>>, Path(name): Path<String>) -> Response {
    metadata_of(&s, &name, None)
}

async fn model_metadata_v(
    State(s): State<Arc<AppState>>,
    Path((name, version)): Path<(String, String)>,
) -> Response {
    metadata_of(&s, &name, Some(&version))
}

fn metadata_of(s: &AppState, name: &str, version: Option<&str>) -> Response {
    match lookup_counted(s, name, version) {
        Ok(m) => json(StatusCode::OK, m.info.metadata()),
        Err(e) => e.into_response(),
    }
}

async fn model_ready(State(s): State<Arc<AppState>>, Path(name): Path<String>) -> Response {
    ready_of(&s, &name, None)
}

async fn model_ready_v(
    State(s): State<Arc<AppState>>,
    Path((name, version)): Path<(String, String)>,
) -> Response {
    ready_of(&s, &name, Some(&version))
}

fn ready_of(s: &AppState, name: &str, version: Option<&str>) -> Response {
    match lookup_counted(s, name, version) {
        Ok(m) => {
            let ok = m.ready() && !s.shutting_down.load(Ordering::SeqCst);
            let status = if ok {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            json(status, serde_json::json!({ "name": name, "ready": ok }))
        }
        Err(e) => e.into_response(),
    }
}

async fn model_config(State(s): State<Arc<AppState>>, Path(name): Path<String>) -> Response {
    config_of(&s, &name, None)
}

async fn model_config_v(
    State(s): State<Arc<AppState>>,
    Path((name, version)): Path<(String, String)>,
) -> Response {
    config_of(&s, &name, Some(&version))
}

fn config_of(s: &AppState, name: &str, version: Option<&str>) -> Response {
    match lookup_counted(s, name, version) {
        Ok(m) => {
            let c = m.queue.config();
            json(StatusCode::OK, m.info.config(c.delay, c.batching))
        }
        Err(e) => e.into_response(),
    }
}

async fn metrics_text(State(s): State<Arc<AppState>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(metrics::CONTENT_TYPE),
        )],
        s.metrics.render(),
    )
        .into_response()
}

async fn infer(
    State(s): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    infer_any(s, name, None, headers, body).await
}

async fn infer_v(
    State(s): State<Arc<AppState>>,
    Path((name, version)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    infer_any(s, name, Some(version), headers, body).await
}

async fn infer_any(
    s: Arc<AppState>,
    name: String,
    version: Option<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let model = match lookup_counted(&s, &name, version.as_deref()) {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    model.metrics.request();
    let result = infer_model(&s, &model, headers, body).await;
    model
        .metrics
        .latency
        .observe(started.elapsed().as_secs_f64());
    match result {
        Ok(r) => r,
        Err(e) => {
            model.metrics.error(e.kind());
            e.into_response()
        }
    }
}

async fn infer_model(
    s: &AppState,
    model: &ServedModel,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let header_len = match headers.get(HEADER_CONTENT_LENGTH) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|t| t.trim().parse::<usize>().ok())
                .ok_or_else(|| {
                    ApiError::bad(format!(
                        "{HEADER_CONTENT_LENGTH} must be a byte count, got {v:?}"
                    ))
                })?,
        ),
    };
    let bytes = axum::body::to_bytes(body, s.max_body_bytes)
        .await
        .map_err(|_| {
            ApiError::PayloadTooLarge(format!(
                "request body is larger than the server's limit of {} bytes (or was cut off); \
                 send smaller batches or raise --max-body-bytes",
                s.max_body_bytes
            ))
        })?;
    let mut request = protocol::parse_infer_request(&bytes, header_len, &model.info)?;
    drop(bytes);
    let inputs = std::mem::take(&mut request.inputs);
    let rx = model
        .queue
        .submit(request.samples, inputs)
        .map_err(|e| match e {
            SubmitError::TooLarge { .. } => ApiError::bad(e.to_string()),
            SubmitError::Full(_) => ApiError::Overloaded(e.to_string()),
            SubmitError::Closed => ApiError::Unavailable(e.to_string()),
        })?;
    let outputs = rx
        .await
        .map_err(|_| ApiError::Unavailable("the model's executor stopped".into()))?
        .map_err(ApiError::Runtime)?;
    let encoded = protocol::encode_response(&model.info, &request, &outputs);
    let mut response = Response::new(Body::from(encoded.body));
    let h = response.headers_mut();
    match encoded.header_len {
        Some(n) => {
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            h.insert(HEADER_CONTENT_LENGTH, HeaderValue::from(n));
        }
        None => {
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
    }
    Ok(response)
}
