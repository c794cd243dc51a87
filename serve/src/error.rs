//! HTTP errors: a status, a JSON body `{"error": "..."}` (the protocol's error form) and a kind
//! label for the metrics.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An error answered to a client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed or does not fit the model.
    #[error("{0}")]
    BadRequest(String),
    /// 404: unknown model, version or route.
    #[error("{0}")]
    NotFound(String),
    /// 405: the route exists for another method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 413: the body is larger than the server accepts.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 503: the model's queue is full.
    #[error("{0}")]
    Overloaded(String),
    /// 503: the server is shutting down or the model is not ready.
    #[error("{0}")]
    Unavailable(String),
    /// 500: the runtime failed to execute the model (the message names the status).
    #[error("{0}")]
    Runtime(String),
}

impl ApiError {
    /// A [`ApiError::BadRequest`].
    pub fn bad(msg: impl Into<String>) -> ApiError {
        ApiError::BadRequest(msg.into())
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Overloaded(_) | ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Runtime(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The metrics label.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ApiError::BadRequest(_) => ErrorKind::BadRequest,
            ApiError::NotFound(_) => ErrorKind::NotFound,
            ApiError::MethodNotAllowed(_) => ErrorKind::MethodNotAllowed,
            ApiError::PayloadTooLarge(_) => ErrorKind::PayloadTooLarge,
            ApiError::Overloaded(_) => ErrorKind::Overloaded,
            ApiError::Unavailable(_) => ErrorKind::Unavailable,
            ApiError::Runtime(_) => ErrorKind::Runtime,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.to_string() });
        (self.status(), axum::Json(body)).into_response()
    }
}

/// Error kinds counted in `nrt_serve_request_errors_total{kind=...}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// 400.
    BadRequest,
    /// 404.
    NotFound,
    /// 405.
    MethodNotAllowed,
    /// 413.
    PayloadTooLarge,
    /// 503, queue full.
    Overloaded,
    /// 503, shutting down / not ready.
    Unavailable,
    /// 500, runtime failure.
    Runtime,
}

impl ErrorKind {
    /// Every kind, in label order.
    pub const ALL: [ErrorKind; 7] = [
        ErrorKind::BadRequest,
        ErrorKind::NotFound,
        ErrorKind::MethodNotAllowed,
        ErrorKind::PayloadTooLarge,
        ErrorKind::Overloaded,
        ErrorKind::Unavailable,
        ErrorKind::Runtime,
    ];

    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::NotFound => "not_found",
            ErrorKind::MethodNotAllowed => "method_not_allowed",
            ErrorKind::PayloadTooLarge => "payload_too_large",
            ErrorKind::Overloaded => "overloaded",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Runtime => "runtime",
        }
    }

    /// Index into [`ErrorKind::ALL`].
    pub fn index(self) -> usize {
        ErrorKind::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }
}
