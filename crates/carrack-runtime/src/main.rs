//! `carrack`: a runc-compatible OCI runtime built on the carrack libraries.
//!
//! Today it validates OCI documents and manages image layouts; the container lifecycle
//! commands follow.

mod detect;
mod embedded;
mod image;
mod unpack;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// carrack — OCI runtime-spec 1.3 and image-spec 1.1 tooling.
#[derive(Debug, Parser)]
#[command(name = "carrack", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate OCI documents (config.json, state, features, manifests, indexes, image
    /// configurations, descriptors, oci-layout) against every MUST and SHOULD rule.
    ///
    /// With no PATH, validates documents carrack generates itself (runc's default config, its
    /// rootless variant, and a small image) and prints what it checked.
    /// Exit status: 0 when no MUST rule is broken, 1 when one is or a document does not parse,
    /// 2 on usage or I/O errors.
    Validate(validate::Args),
    /// Work with OCI image layouts: init, ls, tag, untag, resolve, fsck, gc, import, export,
    /// import-docker, unpack, bundle, commit.
    #[command(subcommand)]
    Image(Box<image::Command>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Image(cmd) => image::run(*cmd),
    }
}
