//! `/healthz` (the process answers) and `/readyz` (it takes sessions: not stopping or draining
//! before a stop, every tenant's engine running), for load balancers and orchestrators.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use serde_json::json;

use super::Net;

pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(net): State<Arc<Net>>) -> Response {
    let sessions = &net.sessions;
    if sessions.shutdown().is_cancelled() || net.draining.is_cancelled() {
        let body = json!({ "status": "shutting_down" });
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    }
    let stopped = sessions.stopped_tenants();
    if !stopped.is_empty() {
        let body = json!({ "status": "engine_stopped", "tenants": stopped });
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    }
    let body = json!({
        "status": "ready",
        "sessions": sessions.connections().len(),
        "tenants": sessions.tenant_count(),
    });
    Json(body).into_response()
}
