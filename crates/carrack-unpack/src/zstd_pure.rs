//! zstd decoding in pure Rust (`ruzstd`), with what the C library's streaming decoder does and
//! `ruzstd`'s own streaming reader does not: every frame of the stream in turn (a layer may be
//! several frames, as `zstd:chunked` layers are), skippable frames skipped, and each frame's
//! content checksum checked against the decoded bytes.
//!
//! Self-contained (nothing from the crate) so that `benches/zstd.rs` measures this very code.

use std::io::{self, BufRead, Read};

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};

/// The decompressed stream of every frame of `source`, in order.
pub(crate) struct Frames<R> {
    source: R,
    decoder: FrameDecoder,
    in_frame: bool,
    started: bool,
}

impl<R: BufRead> Frames<R> {
    /// Reads the frames of `source`. The window is bounded as libzstd bounds it by default
    /// (128 MiB), so a hostile frame header cannot ask for more memory than that.
    pub(crate) fn new(source: R) -> Self {
        Self {
            source,
            decoder: FrameDecoder::new(),
            in_frame: false,
            started: false,
        }
    }

    /// Starts the next frame; `false` at the clean end of the stream (between frames, after
    /// at least one: an empty stream is an incomplete one, as libzstd says).
    fn next_frame(&mut self) -> io::Result<bool> {
        loop {
            if self.source.fill_buf()?.is_empty() {
                if !self.started {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "zstd: an empty stream",
                    ));
                }
                return Ok(false);
            }
            self.started = true;
            match self.decoder.reset(&mut self.source) {
                Ok(()) => return Ok(true),
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let skipped =
                        io::copy(&mut (&mut self.source).take(length.into()), &mut io::sink())?;
                    if skipped != u64::from(length) {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "zstd: truncated skippable frame",
                        ));
                    }
                }
                Err(e) => return Err(invalid(e)),
            }
        }
    }

    /// At the end of a frame whose header promised a checksum, compares it with the content's.
    fn check_frame(&self) -> io::Result<()> {
        match (
            self.decoder.get_checksum_from_data(),
            self.decoder.get_calculated_checksum(),
        ) {
            (Some(stored), Some(computed)) if stored != computed => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "zstd: frame checksum is {stored:#010x}, the content's is {computed:#010x}"
                ),
            )),
            _ => Ok(()),
        }
    }
}

impl<R: BufRead> Read for Frames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if !self.in_frame {
                if !self.next_frame()? {
                    return Ok(0);
                }
                self.in_frame = true;
            }
            while self.decoder.can_collect() == 0 && !self.decoder.is_finished() {
                self.decoder
                    .decode_blocks(&mut self.source, BlockDecodingStrategy::UptoBlocks(1))
                    .map_err(invalid)?;
            }
            let n = self.decoder.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            // Nothing left to collect and the last block decoded: the frame is done.
            self.check_frame()?;
            self.in_frame = false;
        }
    }
}

fn invalid(e: FrameDecoderError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("zstd: {e}"))
}
