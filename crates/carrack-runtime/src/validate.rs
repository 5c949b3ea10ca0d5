//! `carrack validate`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use carrack_spec::image::{Descriptor, ImageConfiguration, ImageIndex, ImageLayout, ImageManifest};
use carrack_spec::runtime::{Features, Spec, State};
use carrack_spec::schema::{SchemaSet, SchemaViolation};
use carrack_spec::{Document, DocumentKind, Finding, Report};
use serde::Serialize;

use crate::detect::detect;
use crate::embedded;

/// Arguments of `carrack validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The kind of every PATH: config, state, features, manifest, index, image-config,
    /// descriptor, oci-layout. Detected from the file name and content when omitted.
    #[arg(long, value_parser = parse_kind)]
    kind: Option<DocumentKind>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Also check each document against the official JSON schemas found in this directory
    /// (the specs' checkouts: DIR/runtime-spec/schema and DIR/image-spec/schema).
    #[arg(long, value_name = "DIR")]
    schemas: Option<PathBuf>,
    /// Documents to check. `-` reads standard input.
    paths: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

fn parse_kind(s: &str) -> Result<DocumentKind, String> {
    DocumentKind::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = DocumentKind::ALL.iter().map(|k| k.name()).collect();
        format!("unknown kind {s:?}; one of {}", names.join(", "))
    })
}

/// The outcome for one document.
#[derive(Debug, Serialize)]
struct Outcome {
    file: String,
    kind: Option<&'static str>,
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    findings: Vec<Finding>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    schema: Vec<SchemaViolation>,
}

fn check_as<T: Document>(bytes: &[u8]) -> Result<Report, String> {
    T::from_slice(bytes)
        .map(|d| d.validate())
        .map_err(|e| e.to_string())
}

fn check(kind: DocumentKind, bytes: &[u8]) -> Result<Report, String> {
    match kind {
        DocumentKind::Config => check_as::<Spec>(bytes),
        DocumentKind::State => check_as::<State>(bytes),
        DocumentKind::Features => check_as::<Features>(bytes),
        DocumentKind::Manifest => check_as::<ImageManifest>(bytes),
        DocumentKind::Index => check_as::<ImageIndex>(bytes),
        DocumentKind::ImageConfig => check_as::<ImageConfiguration>(bytes),
        DocumentKind::Descriptor => check_as::<Descriptor>(bytes),
        DocumentKind::ImageLayout => check_as::<ImageLayout>(bytes),
        other => Err(format!("no model for {other}")),
    }
}

/// Schema sets, loaded once.
struct Schemas {
    runtime: SchemaSet,
    image: SchemaSet,
}

impl Schemas {
    fn load(dir: &Path) -> Result<Self, String> {
        let load = |sub: &str| SchemaSet::from_dir(dir.join(sub)).map_err(|e| e.to_string());
        Ok(Self {
            runtime: load("runtime-spec/schema")?,
            image: load("image-spec/schema")?,
        })
    }

    fn check(
        &self,
        kind: DocumentKind,
        doc: &serde_json::Value,
    ) -> Result<Vec<SchemaViolation>, String> {
        let set = match kind {
            DocumentKind::Config | DocumentKind::State | DocumentKind::Features => &self.runtime,
            _ => &self.image,
        };
        Ok(set
            .validator_for(kind)
            .map_err(|e| e.to_string())?
            .check(doc))
    }
}

fn examine(
    file: String,
    bytes: &[u8],
    path: &Path,
    forced: Option<DocumentKind>,
    schemas: Option<&Schemas>,
) -> Outcome {
    let mut out = Outcome {
        file,
        kind: None,
        valid: false,
        error: None,
        findings: Vec::new(),
        schema: Vec::new(),
    };
    let value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            out.error = Some(format!("not JSON: {e}"));
            return out;
        }
    };
    let kind = match forced.map_or_else(|| detect(path, &value), Ok) {
        Ok(k) => k,
        Err(e) => {
            out.error = Some(e.to_string());
            return out;
        }
    };
    out.kind = Some(kind.name());
    match check(kind, bytes) {
        Ok(report) => {
            out.valid = report.is_valid();
            out.findings = report.into_vec();
        }
        Err(e) => out.error = Some(e),
    }
    if let Some(schemas) = schemas {
        match schemas.check(kind, &value) {
            Ok(v) => out.schema = v,
            Err(e) => out.error = Some(e),
        }
        out.valid &= out.schema.is_empty();
    }
    out
}

/// Runs the command; the exit code follows the contract in the help text.
pub(crate) fn run(args: &Args) -> ExitCode {
    let schemas = match args.schemas.as_deref().map(Schemas::load).transpose() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("carrack validate: {e}");
            return ExitCode::from(2);
        }
    };
    let mut outcomes = Vec::new();
    if args.paths.is_empty() {
        for doc in embedded::documents() {
            outcomes.push(examine(
                format!("<embedded {}>", doc.name),
                &doc.bytes,
                Path::new(""),
                None,
                schemas.as_ref(),
            ));
        }
    }
    for path in &args.paths {
        let read = if path.as_os_str() == "-" {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map(|_| buf)
        } else {
            std::fs::read(path)
        };
        match read {
            Ok(bytes) => outcomes.push(examine(
                path.display().to_string(),
                &bytes,
                path,
                args.kind,
                schemas.as_ref(),
            )),
            Err(e) => {
                eprintln!("carrack validate: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    if print(&outcomes, args.format).is_err() {
        return ExitCode::from(2);
    }
    if outcomes.iter().all(|o| o.valid) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn print(outcomes: &[Outcome], format: Format) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    if format == Format::Json {
        serde_json::to_writer_pretty(&mut w, outcomes)?;
        return writeln!(w);
    }
    for o in outcomes {
        let kind = o.kind.unwrap_or("?");
        let shoulds = o
            .findings
            .iter()
            .filter(|f| f.level == carrack_spec::Level::Should)
            .count();
        let verdict = match (&o.error, o.valid) {
            (Some(_), _) => "INVALID (does not parse)".to_owned(),
            (None, true) if shoulds == 0 => "valid".to_owned(),
            (None, true) => format!("valid, {shoulds} SHOULD finding(s)"),
            (None, false) => "INVALID".to_owned(),
        };
        writeln!(w, "{}: {kind}: {verdict}", o.file)?;
        if let Some(e) = &o.error {
            writeln!(w, "{}: error: {e}", o.file)?;
        }
        for f in &o.findings {
            writeln!(w, "{}: {f}", o.file)?;
        }
        for v in &o.schema {
            let at = if v.pointer.is_empty() {
                "/"
            } else {
                &v.pointer
            };
            writeln!(
                w,
                "{}: SCHEMA {at}: {} [schema {}]",
                o.file, v.message, v.schema_pointer
            )?;
        }
    }
    let bad = outcomes.iter().filter(|o| !o.valid).count();
    writeln!(
        w,
        "{} document(s) checked, {} valid, {bad} invalid",
        outcomes.len(),
        outcomes.len() - bad
    )
}
