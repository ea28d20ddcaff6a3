//! `/load?modules=M&image=I&variant=V&format=F`: one image of an image
//! module, as load.php answers it, from the module's current output (the
//! image recoloured for its variant, or with the module's default colour).
//!
//! `format=rasterized` is answered with the same image as `original` (an
//! SVG stays an SVG): rldev does not rasterize. MediaWiki sends a PNG there,
//! which only browsers without SVG support would ask for; every browser rldev
//! serves uses the data URI or the `original` URL. Caching, `ETag` and `304`
//! follow `/load`'s rules.

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::live::Snapshot;
use super::load::{Plan, Request, not_modified};

/// The answer to an image request; `None` when the request names no image.
pub fn answer(
    pairs: &[(String, String)],
    req: &Request,
    snap: &Snapshot,
    plan: &Plan,
    headers: &HeaderMap,
) -> Option<Response> {
    let param = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let name = param("image").filter(|n| !n.is_empty())?;
    let variant = param("variant").filter(|v| !v.is_empty());
    let found = match req.modules.as_slice() {
        [module] => snap.current(module).and_then(|out| {
            let of_image = || out.images.iter().filter(|i| i.name == name);
            // An unknown variant gets the image without one, as in load.php.
            of_image()
                .find(|i| i.variant.as_deref() == variant)
                .or_else(|| of_image().find(|i| i.variant.is_none()))
                .cloned()
        }),
        _ => None,
    };
    let Some(image) = found else {
        return Some(
            (
                StatusCode::NOT_FOUND,
                [(header::CACHE_CONTROL, "no-store")],
                format!(
                    "rldev: no image {name:?} in {} (an image request names one image module)\n",
                    req.modules.join(",")
                ),
            )
                .into_response(),
        );
    };
    let inm = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    let status = if inm.is_some_and(|v| not_modified(v, &plan.etag)) {
        StatusCode::NOT_MODIFIED
    } else {
        StatusCode::OK
    };
    let extension = image
        .mime
        .trim_start_matches("image/")
        .trim_end_matches("+xml");
    // FileBackend::makeContentDisposition, as load.php sends it.
    let filename: String = format!("{}.{extension}", image.name)
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    let body = match status {
        StatusCode::OK => Body::from(image.data.to_vec()),
        _ => Body::empty(),
    };
    let response = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, image.mime)
        .header(
            header::CONTENT_DISPOSITION,
            format!("inline;filename*=UTF-8''{filename}"),
        )
        .header(header::CACHE_CONTROL, plan.caching.header())
        .header(header::ETAG, &plan.etag)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(body)
        .expect("valid headers");
    Some(response)
}
