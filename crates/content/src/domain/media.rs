//! Media: the allowed types and their kinds, the limits, and what a client's claims about an
//! upload must agree with. Pure; the bytes are handled by `store::blobs`.

use serde::Serialize;
use utoipa::ToSchema;

use super::ContentError;
use crate::config::MediaConfig;

/// What kind of media a type is; each kind has its own size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Image,
    Video,
    Audio,
    Document,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Image => "image",
            Kind::Video => "video",
            Kind::Audio => "audio",
            Kind::Document => "document",
        }
    }

    /// The stored form back; anything unknown is a document (served as a download).
    pub fn parse(text: &str) -> Kind {
        match text {
            "image" => Kind::Image,
            "video" => Kind::Video,
            "audio" => Kind::Audio,
            _ => Kind::Document,
        }
    }
}

/// The allowlist: sniffed type → kind and the extensions a filename may have for it.
const ALLOWED: &[(&str, Kind, &[&str])] = &[
    ("image/jpeg", Kind::Image, &["jpg", "jpeg", "jfif"]),
    ("image/png", Kind::Image, &["png"]),
    ("image/gif", Kind::Image, &["gif"]),
    ("image/webp", Kind::Image, &["webp"]),
    ("image/avif", Kind::Image, &["avif"]),
    ("video/mp4", Kind::Video, &["mp4", "m4v"]),
    ("video/webm", Kind::Video, &["webm"]),
    ("video/quicktime", Kind::Video, &["mov", "qt"]),
    ("audio/mpeg", Kind::Audio, &["mp3"]),
    ("audio/ogg", Kind::Audio, &["ogg", "oga", "opus"]),
    ("audio/x-wav", Kind::Audio, &["wav"]),
    ("audio/x-flac", Kind::Audio, &["flac"]),
    ("audio/m4a", Kind::Audio, &["m4a"]),
    ("application/pdf", Kind::Document, &["pdf"]),
];

/// A media item as stored.
#[derive(Debug, Clone)]
pub struct Media {
    pub id: String,
    pub owner_id: String,
    pub sha256: String,
    pub kind: Kind,
    pub mime: String,
    pub size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub filename: String,
    pub post_id: Option<contracts::PostId>,
    pub created_at_ms: i64,
    /// The thumbnail's blob and type, once made.
    pub thumbnail: Option<(String, String)>,
    /// Alt text: what it shows, for people who cannot see it.
    pub description: String,
}

/// Longest description (Mastodon's limit), in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1500;

impl Media {
    /// Whether `user` uploaded it.
    pub fn is_owned_by(&self, user: &str) -> bool {
        self.owner_id == user
    }
}

/// Who may fetch a media item, decided once and served by it: media follows its post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaAccess {
    /// Anyone, and shared caches may keep it: an avatar, or the media of a post everyone may
    /// read. (A CDN or presigned URLs can serve exactly these, leaving the rest on this path.)
    Public,
    /// Only this viewer, and only their own cache: the media of a followers-only or hidden post
    /// they may read, or their own upload not attached yet.
    Private,
    /// Not this viewer; answered as if it did not exist.
    Denied,
}

/// What the media's post means for a viewer: whether anyone may read it, or this viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostReaders {
    Everyone,
    ThisViewer,
    NotThisViewer,
}

/// The rule: an avatar is public; attached media are as readable as their post (public for a
/// post everyone may read, private for one only some may); an upload not attached to any post
/// (or whose post was deleted) is its owner's alone.
pub fn media_access(is_owner: bool, is_avatar: bool, post: Option<PostReaders>) -> MediaAccess {
    if is_avatar {
        return MediaAccess::Public;
    }
    match post {
        Some(PostReaders::Everyone) => MediaAccess::Public,
        Some(PostReaders::ThisViewer) => MediaAccess::Private,
        Some(PostReaders::NotThisViewer) => MediaAccess::Denied,
        None if is_owner => MediaAccess::Private,
        None => MediaAccess::Denied,
    }
}

/// Keeps only the last path segment of a client's filename and the characters safe in a
/// `Content-Disposition` header: no directories, no control characters, no quotes.
pub fn sanitize_filename(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ';' | '<' | '>' | '|' | '*' | '?' | ':'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    cleaned.chars().take(200).collect()
}

/// What the client claimed about an upload, to be checked against the bytes.
#[derive(Debug, Clone, Default)]
pub struct Claims {
    pub filename: String,
    pub content_type: Option<String>,
}

/// The size limit of a kind.
pub fn max_bytes(config: &MediaConfig, kind: Kind) -> u64 {
    match kind {
        Kind::Image => config.max_image_bytes,
        Kind::Video => config.max_video_bytes,
        Kind::Audio => config.max_audio_bytes,
        Kind::Document => config.max_document_bytes,
    }
}

/// The largest upload of any kind: a request above it is refused before reading.
pub fn largest_allowed(config: &MediaConfig) -> u64 {
    [Kind::Image, Kind::Video, Kind::Audio, Kind::Document].into_iter().map(|k| max_bytes(config, k)).max().unwrap_or(0)
}

/// Decides the type from the first bytes and checks the client's claims against it.
pub fn classify(head: &[u8], claims: &Claims) -> Result<(&'static str, Kind), ContentError> {
    let sniffed = infer::get(head).map(|t| t.mime_type());
    let Some(&(mime, kind, extensions)) = sniffed.and_then(|m| ALLOWED.iter().find(|(allowed, ..)| *allowed == m))
    else {
        let what = sniffed.unwrap_or("unrecognized data");
        return Err(ContentError::UnsupportedMediaType(format!(
            "{what} is not accepted; allowed are images (JPEG, PNG, GIF, WebP, AVIF), video (MP4, WebM, QuickTime), \
             audio (MP3, Ogg, WAV, FLAC, M4A) and PDF documents"
        )));
    };
    if let Some((_, extension)) = claims.filename.rsplit_once('.') {
        let extension = extension.to_ascii_lowercase();
        let known_elsewhere = ALLOWED.iter().any(|(_, _, exts)| exts.contains(&extension.as_str()));
        if known_elsewhere && !extensions.contains(&extension.as_str()) {
            return Err(ContentError::UnsupportedMediaType(format!(
                "the file name says .{extension} but the bytes are {mime}"
            )));
        }
    }
    if let Some(declared) =
        claims.content_type.as_deref().map(|t| t.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        && !declared.is_empty()
        && declared != "application/octet-stream"
        && declared != mime
        && !(declared.starts_with(kind.as_str()) && kind != Kind::Document)
    {
        return Err(ContentError::UnsupportedMediaType(format!("declared {declared} but the bytes are {mime}")));
    }
    Ok((mime, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_lose_paths_and_header_breaking_characters() {
        assert_eq!(sanitize_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_filename("C:\\Users\\x\\photo.jpg"), "photo.jpg");
        assert_eq!(sanitize_filename("a\"b;c\r\nd.png"), "abcd.png");
        assert_eq!(sanitize_filename(".hidden"), "hidden");
        assert_eq!(sanitize_filename("照片.png"), "照片.png");
    }

    #[test]
    fn media_follows_its_post() {
        use MediaAccess::*;
        assert_eq!(media_access(false, false, Some(PostReaders::Everyone)), Public);
        assert_eq!(media_access(false, false, Some(PostReaders::ThisViewer)), Private);
        assert_eq!(media_access(false, false, Some(PostReaders::NotThisViewer)), Denied);
        assert_eq!(media_access(true, false, None), Private, "an unattached upload is its owner's");
        assert_eq!(media_access(false, false, None), Denied);
        assert_eq!(media_access(false, true, None), Public, "avatars are public");
    }

    #[test]
    fn the_bytes_decide_the_type_and_a_lying_name_is_refused() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
        let claims = |name: &str, declared: Option<&str>| Claims {
            filename: name.into(),
            content_type: declared.map(Into::into),
        };
        assert_eq!(classify(png, &claims("a.png", Some("image/png"))).unwrap(), ("image/png", Kind::Image));
        assert_eq!(classify(png, &claims("a", None)).unwrap().0, "image/png", "no extension is fine");
        assert_eq!(classify(png, &claims("a.PNG", Some("application/octet-stream"))).unwrap().0, "image/png");
        // Refused as 415 Unsupported Media Type (see `api::error`).
        let refused =
            |result: Result<(&str, Kind), ContentError>| matches!(result, Err(ContentError::UnsupportedMediaType(_)));
        assert!(refused(classify(png, &claims("a.jpg", None))), "the name lies");
        assert!(refused(classify(png, &claims("a.png", Some("application/pdf")))));
        assert!(refused(classify(b"#!/bin/sh\nrm -rf /", &claims("x.sh", None))));
        assert!(refused(classify(b"MZ\x90\0", &claims("x.png", None))), "executables are not media");
    }
}

/// What a user's media take: the stored media's bytes, and the unfinished uploads' declared ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub bytes: u64,
    pub uploads_in_progress: usize,
}

impl Usage {
    /// Whether `more` bytes fit the quota (`0`: no quota); if not, the problem, naming it.
    pub fn fits(&self, more: u64, config: &MediaConfig) -> Result<(), ContentError> {
        let quota = config.quota_bytes_per_user;
        if quota > 0 && self.bytes.saturating_add(more) > quota {
            return Err(ContentError::TooLarge(format!(
                "this upload of {more} bytes would bring your media to {} bytes; your quota is {quota} bytes",
                self.bytes + more
            )));
        }
        Ok(())
    }

    /// Whether another resumable upload may start.
    pub fn may_start_upload(&self, config: &MediaConfig) -> Result<(), ContentError> {
        let most = config.max_uploads_in_progress;
        if self.uploads_in_progress >= most {
            return Err(ContentError::TooManyUploads(format!(
                "you have {} uploads in progress, the most allowed is {most}; finish or cancel one first",
                self.uploads_in_progress
            )));
        }
        Ok(())
    }
}
