#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    carrack_fuzz::round_trip::<carrack_spec::image::ImageManifest>(data);
});
