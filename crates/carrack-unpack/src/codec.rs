//! zstd decoding behind one entry point, with two implementations chosen by target: the C
//! library (the `zstd` crate over libzstd) on Linux, where carrack unpacks and where the C
//! decoder is the faster one, and the pure-Rust [`Frames`](crate::zstd_pure::Frames) elsewhere,
//! where a C compiler for the target may not exist (illumos). Both read every frame, skip
//! skippable frames, check frame checksums and bound the window at 128 MiB. The README's
//! Platforms section has the figures and the command that measured them.

use std::io::{self, BufRead, Read};

/// The decompressed stream of the zstd stream `compressed`.
pub(crate) fn zstd_decoder<'a>(compressed: impl BufRead + 'a) -> io::Result<Box<dyn Read + 'a>> {
    #[cfg(target_os = "linux")]
    {
        Ok(Box::new(zstd::stream::read::Decoder::with_buffer(
            compressed,
        )?))
    }
    #[cfg(not(target_os = "linux"))]
    {
        Ok(Box::new(crate::zstd_pure::Frames::new(compressed)))
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::io::Read;

    use crate::zstd_pure::Frames;

    fn both(compressed: &[u8]) -> (std::io::Result<Vec<u8>>, std::io::Result<Vec<u8>>) {
        let mut native = Vec::new();
        let native = super::zstd_decoder(compressed)
            .and_then(|mut d| d.read_to_end(&mut native))
            .map(|_| native);
        let mut pure = Vec::new();
        let pure = Frames::new(compressed).read_to_end(&mut pure).map(|_| pure);
        (native, pure)
    }

    fn data(len: usize) -> Vec<u8> {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        (0..len)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Half of it compressible text, half noise.
                if i % 2048 < 1024 {
                    b"layer "[i % 6]
                } else {
                    state as u8
                }
            })
            .collect()
    }

    fn frame(bytes: &[u8], checksum: bool) -> Vec<u8> {
        let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).expect("encoder");
        e.include_checksum(checksum).expect("checksum flag");
        std::io::Write::write_all(&mut e, bytes).expect("compress");
        e.finish().expect("finish")
    }

    fn skippable(payload: &[u8]) -> Vec<u8> {
        let mut out = 0x184d_2a50_u32.to_le_bytes().to_vec();
        out.extend_from_slice(&u32::try_from(payload.len()).expect("small").to_le_bytes());
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn both_decoders_read_every_frame_and_skip_skippable_ones() {
        let (a, b) = (data(300_000), data(70_000));
        let mut stream = skippable(b"metadata first");
        stream.extend(frame(&a, true));
        stream.extend(skippable(&[7; 100]));
        stream.extend(frame(&b, false));
        stream.extend(skippable(b"a zstd:chunked footer"));
        let mut want = a.clone();
        want.extend_from_slice(&b);
        let (native, pure) = both(&stream);
        assert_eq!(native.expect("libzstd"), want);
        assert_eq!(pure.expect("ruzstd"), want);
        // No frame at all is an incomplete stream to both.
        let (native, pure) = both(&[]);
        assert!(native.is_err() && pure.is_err());
    }

    #[test]
    fn both_decoders_refuse_corruption_truncation_and_trailing_garbage() {
        let good = frame(&data(200_000), true);
        // A flipped bit in the stored checksum (the last 4 bytes): only the check catches it.
        let mut bad_sum = good.clone();
        let last = bad_sum.len() - 1;
        bad_sum[last] ^= 1;
        let truncated = &good[..good.len() - 10];
        let mut trailing = good.clone();
        trailing.extend_from_slice(b"not zstd");
        let mut short_skip = good.clone();
        short_skip.extend(&skippable(&[0; 64])[..40]);
        for (what, stream) in [
            ("bad checksum", &bad_sum[..]),
            ("truncated", truncated),
            ("trailing garbage", &trailing[..]),
            ("truncated skippable frame", &short_skip[..]),
        ] {
            let (native, pure) = both(stream);
            assert!(native.is_err(), "libzstd took a stream with a {what}");
            assert!(pure.is_err(), "ruzstd took a stream with a {what}");
        }
    }
}
