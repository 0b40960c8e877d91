//! The blob store's contract, run over each backend: the local folder, and S3-compatible object storage (a real
//! S3 server the test command starts: moto in server mode, `ATENDE_TEST_S3_URL`). The S3 leg may be skipped,
//! loudly, only outside CI.

use atende_server::media::blob::{BlobError, BlobStore, ObjectBlobs};
use bytes::Bytes;
use std::sync::Arc;

/// A fresh bucket on the test S3 server, or `None` (said loudly) where none runs outside CI.
async fn s3_blobs() -> Option<Arc<dyn BlobStore>> {
    let on_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let endpoint = match std::env::var("ATENDE_TEST_S3_URL") {
        Ok(url) if url != "skip" && !url.is_empty() => url,
        _ if on_ci => {
            panic!("CI=true and no S3 server (ATENDE_TEST_S3_URL): the blob contract runs on both stores")
        }
        _ => {
            eprintln!("!!! S3 leg SKIPPED (no ATENDE_TEST_S3_URL) !!!");
            return None;
        }
    };
    let bucket = format!("atende-{}", std::process::id()) + &format!("-{}", rand_suffix());
    // moto creates a bucket on an unsigned PUT.
    let created = crate::common::client().put(format!("{endpoint}/{bucket}")).send().await;
    match created {
        Ok(response) if response.status().is_success() => {}
        Ok(response) => panic!("could not create the bucket {bucket}: {}", response.status()),
        Err(error) if on_ci => panic!("CI=true and the S3 server at {endpoint} does not answer: {error}"),
        Err(error) => {
            eprintln!("!!! S3 leg SKIPPED: no server at {endpoint}: {error} !!!");
            return None;
        }
    }
    let blobs = ObjectBlobs::s3_with(&format!("s3://{bucket}/midia"), |builder| {
        builder
            .with_endpoint(&endpoint)
            .with_allow_http(true)
            .with_access_key_id("teste")
            .with_secret_access_key("teste")
            .with_region("us-east-1")
    })
    .expect("s3 store");
    Some(Arc::new(blobs))
}

fn rand_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{nanos:x}")
}

macro_rules! blob_contract {
    ($name:ident, |$blobs:ident| $body:block) => {
        mod $name {
            use super::*;

            #[tokio::test]
            async fn local() {
                let folder = tempfile::tempdir().expect("folder");
                let $blobs: Arc<dyn BlobStore> =
                    Arc::new(ObjectBlobs::local(folder.path()).expect("local store"));
                $body
            }

            #[tokio::test]
            async fn s3() {
                let Some($blobs) = s3_blobs().await else { return };
                $body
            }
        }
    };
}

blob_contract!(a_file_is_kept_under_its_sha256_once_and_read_back_whole_or_in_part, |blobs| {
    let bytes = Bytes::from_static(b"comprovante do pix: R$ 42,00");
    let (key, digest) = blobs.put(bytes.clone()).await.expect("kept");
    use sha2::Digest;
    assert_eq!(key, hex::encode(sha2::Sha256::digest(&bytes)), "named by its SHA-256");
    assert_eq!(key.len(), 64);
    assert_eq!(hex::encode(digest), key);
    // The same file again: the same key, nothing new.
    assert_eq!(blobs.put(bytes.clone()).await.expect("kept").0, key);
    let whole = blobs.get(&key, None).await.expect("read");
    assert_eq!((whole.bytes, whole.total), (bytes.clone(), bytes.len() as u64));
    let part = blobs.get(&key, Some(3..9)).await.expect("read");
    assert_eq!((part.bytes.as_ref(), part.total), (&bytes[3..9], bytes.len() as u64));
    let clipped = blobs.get(&key, Some(20..1_000)).await.expect("read");
    assert_eq!(clipped.bytes.as_ref(), &bytes[20..]);
});

blob_contract!(an_unknown_or_malformed_key_reaches_nothing, |blobs| {
    let unknown = "0".repeat(64);
    assert!(matches!(blobs.get(&unknown, None).await, Err(BlobError::NotFound)));
    for bad in ["../../etc/passwd", "", "ABC", &"g".repeat(64), &format!("{}/x", "0".repeat(62))] {
        assert!(matches!(blobs.get(bad, None).await, Err(BlobError::BadKey)), "{bad}");
    }
});

blob_contract!(a_large_file_survives_the_trip, |blobs| {
    let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let (key, _) = blobs.put(Bytes::from(bytes.clone())).await.expect("kept");
    let back = blobs.get(&key, None).await.expect("read");
    assert_eq!(back.bytes.len(), bytes.len());
    assert!(back.bytes.as_ref() == bytes.as_slice());
});
