//! Open an image layout, resolve a tag for a platform and print the manifest.
//!
//! `cargo run -p carrack-image --example resolve_image -- LAYOUT TAG [linux/arm64]`
//! (the platform is the host's when not given; one the image lacks is an error naming those it has)

#[cfg(unix)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use carrack_image::{Layout, PlatformMatcher};
    use carrack_spec::Document;

    let args: Vec<String> = std::env::args().skip(1).collect();
    let [layout, tag, rest @ ..] = args.as_slice() else {
        return Err("usage: resolve_image LAYOUT TAG [PLATFORM]".into());
    };
    // "linux/arm64/v8", "linux/x86_64", "windows(10.0.17763)/amd64": parsed as docker does.
    let platform = match rest.first() {
        Some(p) => PlatformMatcher::parse(p)?,
        None => PlatformMatcher::host(),
    };
    let layout = Layout::open(layout)?;
    // Through nested indexes; every candidate's platform checked (the entry's, else its config's).
    let found = layout.resolve(tag, &platform)?;
    println!("{} for {platform}", found.descriptor.digest);
    println!("{}", found.manifest.to_string_pretty());
    Ok(())
}

#[cfg(not(unix))]
fn main() {
    eprintln!("resolve_image: the layout store is Unix only");
    std::process::exit(2);
}
