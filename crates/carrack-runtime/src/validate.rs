//! `carrack validate`: every document against the prose rules of its spec (each finding quotes
//! the sentence it enforces) and against the official JSON schemas, embedded in carrack-spec.
//! Where a schema refuses what the prose allows, the schema finding says so, quoting the prose,
//! and the prose decides.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use carrack_spec::image::{Descriptor, ImageConfiguration, ImageIndex, ImageLayout, ImageManifest};
use carrack_spec::runtime::{Features, Spec, State};
use carrack_spec::schema::{Disagreement, SchemaSet, SchemaValidator, SchemaViolation};
use carrack_spec::{Document, DocumentKind, Finding, Level, Report, SpecName};
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
    /// Check against the JSON schemas found in this directory (DIR/runtime-spec/schema and
    /// DIR/image-spec/schema, as in the specs' checkouts) instead of the official ones built
    /// into carrack (runtime-spec 1.3.0, image-spec 1.1.1). A schema violation makes the
    /// document invalid, unless it is a known disagreement with the prose, which the output
    /// then quotes.
    #[arg(long, value_name = "DIR", conflicts_with = "no_schemas")]
    schemas: Option<PathBuf>,
    /// Check the prose rules only, not the JSON schemas.
    #[arg(long)]
    no_schemas: bool,
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
    /// Why the schemas could not be applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    schema_error: Option<String>,
    /// The broken prose rules, each quoting its sentence.
    findings: Vec<Finding>,
    /// The schema violations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    schema: Vec<SchemaFinding>,
}

/// A schema violation, and where the prose disagrees with the schema, what the prose says.
#[derive(Debug, Serialize)]
struct SchemaFinding {
    #[serde(flatten)]
    violation: SchemaViolation,
    #[serde(skip_serializing_if = "Option::is_none")]
    disagreement: Option<&'static Disagreement>,
}

impl SchemaFinding {
    /// Whether it makes the document invalid: it does unless the prose allows what the schema
    /// refuses.
    fn counts(&self) -> bool {
        !self.disagreement.is_some_and(Disagreement::prose_allows)
    }
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

/// The schema sets, loaded once, and their validators, compiled once per kind.
struct Schemas {
    runtime: SchemaSet,
    image: SchemaSet,
    compiled: HashMap<DocumentKind, SchemaValidator>,
}

impl Schemas {
    /// The official schemas built into carrack-spec.
    fn official() -> Result<Self, String> {
        let load = |spec| SchemaSet::official(spec).map_err(|e| e.to_string());
        Ok(Self::new(load(SpecName::Runtime)?, load(SpecName::Image)?))
    }

    /// The schemas of the specs' checkouts under `dir`.
    fn load(dir: &Path) -> Result<Self, String> {
        let load = |sub: &str| SchemaSet::from_dir(dir.join(sub)).map_err(|e| e.to_string());
        Ok(Self::new(
            load("runtime-spec/schema")?,
            load("image-spec/schema")?,
        ))
    }

    fn new(runtime: SchemaSet, image: SchemaSet) -> Self {
        Self {
            runtime,
            image,
            compiled: HashMap::new(),
        }
    }

    fn check(
        &mut self,
        kind: DocumentKind,
        doc: &serde_json::Value,
    ) -> Result<Vec<SchemaFinding>, String> {
        let validator = match self.compiled.entry(kind) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let set = match kind.spec() {
                    SpecName::Runtime => &self.runtime,
                    SpecName::Image => &self.image,
                };
                e.insert(set.validator_for(kind).map_err(|e| e.to_string())?)
            }
        };
        Ok(validator
            .check(doc)
            .into_iter()
            .map(|violation| SchemaFinding {
                disagreement: violation.disagreement(kind),
                violation,
            })
            .collect())
    }
}

fn examine(
    file: String,
    bytes: &[u8],
    path: &Path,
    forced: Option<DocumentKind>,
    schemas: Option<&mut Schemas>,
) -> Outcome {
    let mut out = Outcome {
        file,
        kind: None,
        valid: false,
        error: None,
        schema_error: None,
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
            Err(e) => {
                out.schema_error = Some(e);
                out.valid = false;
            }
        }
        out.valid &= !out.schema.iter().any(SchemaFinding::counts);
    }
    out
}

/// Runs the command; the exit code follows the contract in the help text.
pub(crate) fn run(args: &Args) -> ExitCode {
    let schemas = match (&args.schemas, args.no_schemas) {
        (_, true) => Ok(None),
        (Some(dir), false) => Schemas::load(dir).map(Some),
        (None, false) => Schemas::official().map(Some),
    };
    let mut schemas = match schemas {
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
                schemas.as_mut(),
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
                schemas.as_mut(),
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

/// The verdict line of one document.
fn verdict(o: &Outcome) -> String {
    if o.error.is_some() {
        return "INVALID (does not parse)".to_owned();
    }
    if o.schema_error.is_some() {
        return "INVALID (the schema could not be applied)".to_owned();
    }
    if !o.valid {
        return "INVALID".to_owned();
    }
    let shoulds = o
        .findings
        .iter()
        .filter(|f| f.level == Level::Should)
        .count();
    let disagreements = o.schema.len();
    let mut notes = Vec::new();
    if shoulds > 0 {
        notes.push(format!("{shoulds} SHOULD finding(s)"));
    }
    if disagreements > 0 {
        notes.push(format!(
            "{disagreements} schema violation(s) the prose allows"
        ));
    }
    if notes.is_empty() {
        "valid".to_owned()
    } else {
        format!("valid, {}", notes.join(", "))
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
        writeln!(w, "{}: {kind}: {}", o.file, verdict(o))?;
        if let Some(e) = &o.error {
            writeln!(w, "{}: error: {e}", o.file)?;
        }
        if let Some(e) = &o.schema_error {
            writeln!(w, "{}: schema error: {e}", o.file)?;
        }
        for f in &o.findings {
            writeln!(w, "{}: {f}", o.file)?;
        }
        for s in &o.schema {
            let v = &s.violation;
            let at = if v.pointer.is_empty() {
                "/"
            } else {
                &v.pointer
            };
            write!(
                w,
                "{}: SCHEMA {at}: {} [schema {}]",
                o.file, v.message, v.schema_pointer
            )?;
            match s.disagreement {
                Some(d) => {
                    let weight = if s.counts() {
                        "the prose agrees it is wrong"
                    } else {
                        "not counted, the prose decides"
                    };
                    writeln!(
                        w,
                        "; schema and prose disagree: {}; {weight}; the prose: [{}]",
                        d.note, d.prose
                    )?;
                }
                None => writeln!(w)?,
            }
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
