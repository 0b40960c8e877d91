//! Where the bytes of files are kept: behind one trait, the local filesystem under the data folder (the
//! default) or S3-compatible object storage for several instances (`ATENDE_MEDIA_URL=s3://bucket/prefix`
//! with the usual `AWS_*` variables). Content-addressed: a file's key is its SHA-256, so a file received twice
//! is stored once, and a key names its bytes for good (served with long cache headers).

use async_trait::async_trait;
use bytes::Bytes;
use object_store::path::Path;
use object_store::ObjectStore;
use sha2::{Digest, Sha256};
use std::ops::Range;
use std::sync::Arc;

/// Why the blob store failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("arquivo não encontrado no armazenamento")]
    NotFound,
    #[error("chave de arquivo inválida")]
    BadKey,
    #[error("armazenamento de mídia indisponível: {0}")]
    Unavailable(String),
}

/// The bytes of a file, or part of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub bytes: Bytes,
    /// The whole file's size (the part's, when asked for all of it).
    pub total: u64,
}

#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Keeps `bytes` under their SHA-256 (lower-case hex), which it returns with the digest.
    async fn put(&self, bytes: Bytes) -> Result<(String, [u8; 32]), BlobError>;

    /// The bytes of `key`, all of them or the `range` asked for (clipped to the file).
    async fn get(&self, key: &str, range: Option<Range<u64>>) -> Result<Blob, BlobError>;

    /// Where it keeps them, for the logs ("local: /var/lib/atende/media", "s3://bucket/prefix").
    fn describe(&self) -> String;
}

/// A [`BlobStore`] over any `object_store` backend (local filesystem, S3).
pub struct ObjectBlobs {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    description: String,
}

impl ObjectBlobs {
    /// Files under `folder` on this machine (created if missing).
    pub fn local(folder: &std::path::Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(folder)
            .map_err(|e| anyhow::anyhow!("Failed to create the media folder {}: {e}", folder.display()))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(folder)?;
        Ok(Self {
            store: Arc::new(store),
            prefix: Path::default(),
            description: format!("local: {}", folder.display()),
        })
    }

    /// S3-compatible object storage at `url` (`s3://bucket/prefix`), with credentials, region and endpoint
    /// from the `AWS_*` variables (`AWS_ENDPOINT_URL` for MinIO, moto or another S3-compatible server).
    pub fn s3(url: &str) -> anyhow::Result<Self> {
        Self::s3_with(url, |builder| builder)
    }

    /// [`ObjectBlobs::s3`], with the builder's settings changed by `configure` after the environment's (tests
    /// name their server and keys this way, not through process-wide variables).
    pub fn s3_with(
        url: &str,
        configure: impl FnOnce(object_store::aws::AmazonS3Builder) -> object_store::aws::AmazonS3Builder,
    ) -> anyhow::Result<Self> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| anyhow::anyhow!("ATENDE_MEDIA_URL must be s3://bucket/prefix, not {url}"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            anyhow::bail!("ATENDE_MEDIA_URL names no bucket: {url}");
        }
        let mut builder = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
        let endpoint = std::env::var("AWS_ENDPOINT_URL").or_else(|_| std::env::var("AWS_ENDPOINT")).ok();
        if let Some(endpoint) = endpoint {
            builder = builder.with_allow_http(endpoint.starts_with("http://")).with_endpoint(endpoint);
        }
        if std::env::var("AWS_DEFAULT_REGION").is_err() && std::env::var("AWS_REGION").is_err() {
            builder = builder.with_region("us-east-1");
        }
        let store = configure(builder).build()?;
        Ok(Self {
            store: Arc::new(store),
            prefix: Path::from(prefix.trim_matches('/')),
            description: url.to_owned(),
        })
    }

    fn path_of(&self, key: &str) -> Result<Path, BlobError> {
        // Only what `put` returns is a key: 64 hex digits (nothing else can reach a path).
        if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(BlobError::BadKey);
        }
        Ok(self.prefix.child(&key[..2]).child(key))
    }
}

fn unavailable(error: object_store::Error) -> BlobError {
    match error {
        object_store::Error::NotFound { .. } => BlobError::NotFound,
        other => BlobError::Unavailable(other.to_string()),
    }
}

#[async_trait]
impl BlobStore for ObjectBlobs {
    async fn put(&self, bytes: Bytes) -> Result<(String, [u8; 32]), BlobError> {
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        let key = hex::encode(digest);
        let path = self.path_of(&key)?;
        match self.store.head(&path).await {
            // Kept already (the same file sent again): its bytes are these.
            Ok(_) => return Ok((key, digest)),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(error) => return Err(unavailable(error)),
        }
        self.store.put(&path, bytes.into()).await.map_err(unavailable)?;
        Ok((key, digest))
    }

    async fn get(&self, key: &str, range: Option<Range<u64>>) -> Result<Blob, BlobError> {
        let path = self.path_of(key)?;
        match range {
            None => {
                let bytes =
                    self.store.get(&path).await.map_err(unavailable)?.bytes().await.map_err(unavailable)?;
                Ok(Blob { total: bytes.len() as u64, bytes })
            }
            Some(range) => {
                let total = self.store.head(&path).await.map_err(unavailable)?.size;
                let range = range.start.min(total)..range.end.min(total);
                let bytes = if range.is_empty() {
                    Bytes::new()
                } else {
                    self.store.get_range(&path, range).await.map_err(unavailable)?
                };
                Ok(Blob { bytes, total })
            }
        }
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}

/// The blob store `ATENDE_MEDIA_URL` names (`s3://…`), else files under `data_dir/media`.
pub fn open(url: Option<&str>, data_dir: &std::path::Path) -> anyhow::Result<Arc<dyn BlobStore>> {
    let blobs = match url.map(str::trim).filter(|u| !u.is_empty()) {
        Some(url) if url.starts_with("s3://") => ObjectBlobs::s3(url)?,
        Some(url) => {
            let folder = url.strip_prefix("file://").unwrap_or(url);
            ObjectBlobs::local(std::path::Path::new(folder))?
        }
        None => ObjectBlobs::local(&data_dir.join("media"))?,
    };
    tracing::info!(store = %blobs.describe(), "media blob store");
    Ok(Arc::new(blobs))
}
