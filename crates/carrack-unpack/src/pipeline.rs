//! Three threads per layer: one reads the blob (verifying its size and digest), decompresses
//! it and enforces the stream limits; one hashes the uncompressed stream for its diff_id; the
//! caller's thread parses the tar and writes the filesystem. Chunks travel through small bounded channels
//! and are recycled, so memory stays flat whatever the layer's size. Three threads rather than
//! two let the scheduler keep two cores busy: the decoder and the writer each take about as
//! long as the hashing.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use sha2::Digest as _;

use crate::limits::{LimitExceeded, Limits};

const CHUNK: usize = 256 * 1024;
const DEPTH: usize = 8;

/// How a layer blob is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    None,
    Gzip,
    Zstd,
}

/// Counts the bytes read through it into a shared counter.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
    local: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.local.fetch_add(n as u64, Ordering::Relaxed);
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Why the decoding side stopped.
#[derive(Debug)]
pub(crate) enum DecodeError {
    /// Reading or decompressing failed (including a wrong blob size or digest).
    Read(io::Error),
    /// A limit was exceeded.
    Limit(LimitExceeded),
    /// The consumer stopped reading (it failed first; its error is the one to report).
    Stopped,
}

/// What the decoding side measured.
#[derive(Debug)]
pub(crate) struct Decoded {
    /// sha256 of the uncompressed stream.
    pub(crate) sha256: [u8; 32],
}

/// The consumer's end: a `Read` over the chunks the decoder sends. Spent chunks go back to the
/// decoder, so buffers are reused instead of allocated (and page-faulted in) for every chunk.
pub(crate) struct ChannelReader {
    rx: Receiver<io::Result<Vec<u8>>>,
    spent: SyncSender<Vec<u8>>,
    cur: Vec<u8>,
    pos: usize,
    done: bool,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.cur.len() {
            if self.done {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    let old = std::mem::replace(&mut self.cur, chunk);
                    if old.capacity() > 0 {
                        let _ = self.spent.try_send(old);
                    }
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Ok(0);
                }
            }
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn decode(
    blob: impl Read,
    codec: Codec,
    limits: &Limits,
    counter: Arc<AtomicU64>,
    tx: &SyncSender<io::Result<Vec<u8>>>,
    spent: &Receiver<Vec<u8>>,
) -> Result<(), DecodeError> {
    let local = Arc::new(AtomicU64::new(0));
    let mut raw = BufReader::with_capacity(
        CHUNK,
        Counting {
            inner: blob,
            count: counter,
            local: local.clone(),
        },
    );
    let mut total: u64 = 0;
    {
        let mut decoder: Box<dyn Read + '_> = match codec {
            Codec::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(&mut raw)),
            Codec::Zstd => crate::codec::zstd_decoder(&mut raw).map_err(DecodeError::Read)?,
            Codec::None => Box::new(&mut raw),
        };
        loop {
            let mut chunk = spent.try_recv().unwrap_or_default();
            chunk.resize(CHUNK, 0);
            let mut filled = 0;
            while filled < CHUNK {
                match decoder.read(&mut chunk[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let _ = tx.send(Err(io::Error::new(e.kind(), e.to_string())));
                        return Err(DecodeError::Read(e));
                    }
                }
            }
            if filled == 0 {
                break;
            }
            chunk.truncate(filled);
            total += filled as u64;
            if let Err(limit) = check(limits, total, local.load(Ordering::Relaxed)) {
                let _ = tx.send(Err(io::Error::other(limit.to_string())));
                return Err(DecodeError::Limit(limit));
            }
            if tx.send(Ok(chunk)).is_err() {
                return Err(DecodeError::Stopped);
            }
        }
    }
    // Read the blob to its end, so its size and digest are verified whatever the decoder left.
    loop {
        let n = raw.fill_buf().map_err(DecodeError::Read)?.len();
        if n == 0 {
            break;
        }
        raw.consume(n);
    }
    Ok(())
}

/// Hashes the uncompressed chunks on their way from the decoder to the consumer.
fn hash(
    from: Receiver<io::Result<Vec<u8>>>,
    to: &SyncSender<io::Result<Vec<u8>>>,
) -> Result<[u8; 32], DecodeError> {
    let mut hasher = sha2::Sha256::new();
    for chunk in from {
        if let Ok(c) = &chunk {
            hasher.update(c);
        }
        if to.send(chunk).is_err() {
            return Err(DecodeError::Stopped);
        }
    }
    Ok(hasher.finalize().into())
}

fn check(limits: &Limits, uncompressed: u64, compressed: u64) -> Result<(), LimitExceeded> {
    if uncompressed > limits.max_total_bytes {
        return Err(LimitExceeded::TotalBytes {
            limit: limits.max_total_bytes,
        });
    }
    if uncompressed > limits.ratio_grace_bytes
        && uncompressed / compressed.max(1) > limits.max_ratio
    {
        return Err(LimitExceeded::Ratio {
            compressed,
            uncompressed,
            limit: limits.max_ratio,
        });
    }
    Ok(())
}

/// Decodes `blob` on a second thread while `consume` reads the uncompressed stream on this one.
/// After `consume` succeeds the rest of the stream is drained (and hashed). Returns the
/// consumer's result and the decoder's.
pub(crate) fn run<T, E>(
    blob: impl Read + Send,
    codec: Codec,
    limits: &Limits,
    counter: Arc<AtomicU64>,
    consume: impl FnOnce(&mut ChannelReader) -> Result<T, E>,
) -> (Result<T, E>, Result<Decoded, DecodeError>) {
    let (tx, rx_hash) = sync_channel(DEPTH / 2);
    let (tx_hash, rx) = sync_channel(DEPTH / 2);
    let (spent_tx, spent_rx) = sync_channel(DEPTH + 2);
    std::thread::scope(|s| {
        let producer = s.spawn(move || decode(blob, codec, limits, counter, &tx, &spent_rx));
        let hasher = s.spawn(move || hash(rx_hash, &tx_hash));
        let mut reader = ChannelReader {
            rx,
            spent: spent_tx,
            cur: Vec::new(),
            pos: 0,
            done: false,
        };
        let consumed = consume(&mut reader);
        if consumed.is_ok() {
            let _ = io::copy(&mut reader, &mut io::sink());
        }
        drop(reader);
        let panicked = || DecodeError::Read(io::Error::other("decoder panicked"));
        let decoded = producer.join().unwrap_or_else(|_| Err(panicked()));
        let hashed = hasher.join().unwrap_or_else(|_| Err(panicked()));
        // The decoder's own failure explains a hasher that stopped.
        let decoded = decoded.and(hashed).map(|sha256| Decoded { sha256 });
        (consumed, decoded)
    })
}
