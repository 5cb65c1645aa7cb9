//! Files embedded in the binary (the pages' CSS, scripts and images), served with their type.

use axum::{
    http::header,
    response::{IntoResponse, Response},
};
use rust_embed::Embed;

/// A file embedded in the binary (`E`'s folder), with its content type; `None` when there is no
/// such file.
pub(crate) fn embedded<E: Embed>(name: &str, cache_control: &'static str) -> Option<Response> {
    let file = E::get(name)?;
    let kind = match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    };
    Some(
        (
            [
                (header::CONTENT_TYPE, kind),
                (header::CACHE_CONTROL, cache_control),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            file.data,
        )
            .into_response(),
    )
}
