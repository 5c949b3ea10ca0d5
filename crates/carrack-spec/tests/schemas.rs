//! The official JSON schemas as oracles (the copies embedded in carrack-spec, which must be the
//! files of the specs checkout byte for byte):
//! * carrack's serialised output of every good vector validates against them;
//! * every member any schema defines is modelled (a document with every schema member parses in
//!   strict mode, which rejects unknown members), and survives a round trip.

#![cfg(feature = "schema")]

mod common;

use carrack_spec::schema::SchemaSet;
use carrack_spec::{DocumentKind, SpecName};
use serde_json::{Map, Value, json};

use common::{parse_strict, parse_validate, specs_dir, vectors};

fn sets() -> (SchemaSet, SchemaSet) {
    (
        SchemaSet::official(SpecName::Runtime).expect("runtime schemas"),
        SchemaSet::official(SpecName::Image).expect("image schemas"),
    )
}

#[test]
fn embedded_schemas_are_the_official_files() {
    for (spec, dir) in [
        (SpecName::Runtime, "runtime-spec"),
        (SpecName::Image, "image-spec"),
    ] {
        let checkout_dir = specs_dir().join(dir).join("schema");
        let checkout = SchemaSet::from_dir(&checkout_dir).expect("checkout schemas");
        let embedded = SchemaSet::official(spec).expect("embedded schemas");
        let names: Vec<&str> = embedded.file_names().collect();
        assert_eq!(
            names,
            checkout.file_names().collect::<Vec<_>>(),
            "{dir}: the embedded files are not the checkout's"
        );
        let copies = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("schemas")
            .join(dir);
        for name in names {
            let ours = std::fs::read(copies.join(name)).expect("embedded copy");
            let theirs = std::fs::read(checkout_dir.join(name)).expect("checkout file");
            assert!(ours == theirs, "{dir}/{name} differs from the checkout");
        }
        assert!(copies.join("LICENSE").is_file(), "{dir}: licence missing");
    }
}

#[test]
fn every_kind_compiles_against_the_embedded_schemas() {
    let (runtime, image) = sets();
    for kind in DocumentKind::ALL {
        let set = match kind.spec() {
            SpecName::Runtime => &runtime,
            SpecName::Image => &image,
        };
        set.validator_for(kind)
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
}

fn is_runtime(kind: DocumentKind) -> bool {
    matches!(
        kind,
        DocumentKind::Config | DocumentKind::State | DocumentKind::Features
    )
}

#[test]
fn serialised_good_vectors_validate_against_official_schemas() {
    let (runtime, image) = sets();
    let mut n = 0;
    for v in vectors().into_iter().filter(|v| v.good) {
        let bytes = std::fs::read(&v.path).expect("read");
        let mut stream = serde_json::Deserializer::from_slice(&bytes).into_iter::<Value>();
        let first = stream.next().expect("a document").expect("JSON");
        let (_, value) =
            parse_validate(v.kind, &serde_json::to_vec(&first).expect("bytes")).expect("parses");
        let set = if is_runtime(v.kind) { &runtime } else { &image };
        let violations = set.validator_for(v.kind).expect("compile").check(&value);
        assert!(
            violations.is_empty(),
            "{}: {violations:#?}",
            v.path.display()
        );
        n += 1;
    }
    assert!(n >= 25);
}

/// Builds a document holding every member a schema defines.
struct Maximal<'a> {
    files: &'a std::collections::BTreeMap<String, Value>,
}

impl Maximal<'_> {
    fn resolve(&self, reference: &str, current: &str) -> (Value, String) {
        let (file, pointer) = reference.split_once('#').unwrap_or((reference, ""));
        let file = if file.is_empty() {
            current.to_owned()
        } else {
            file.rsplit('/').next().unwrap_or(file).to_owned()
        };
        let doc = self
            .files
            .get(&file)
            .unwrap_or_else(|| panic!("{file} not in set"));
        let node = if pointer.is_empty() {
            doc
        } else {
            doc.pointer(pointer)
                .unwrap_or_else(|| panic!("{file}#{pointer}"))
        };
        (node.clone(), file)
    }

    fn build(&self, node: &Value, file: &str, name: &str, depth: usize) -> Value {
        assert!(depth < 40, "schema recursion at {name}");
        if let Some(r) = node.get("$ref").and_then(Value::as_str) {
            let (n, f) = self.resolve(r, file);
            return self.build(&n, &f, name, depth + 1);
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(first) = node
                .get(key)
                .and_then(|v| v.as_array())
                .and_then(|a| a.first())
            {
                return self.build(first, file, name, depth + 1);
            }
        }
        if let Some(e) = node
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
        {
            return e.clone();
        }
        let ty = match node.get("type") {
            Some(Value::String(t)) => t.clone(),
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .unwrap_or("null")
                .to_owned(),
            _ if node.get("properties").is_some() => "object".to_owned(),
            _ => "string".to_owned(),
        };
        match ty.as_str() {
            "object" => {
                let mut m = Map::new();
                if let Some(props) = node.get("properties").and_then(Value::as_object) {
                    for (k, v) in props {
                        m.insert(k.clone(), self.build(v, file, k, depth + 1));
                    }
                } else if let Some(ap) = node.get("additionalProperties").filter(|v| v.is_object())
                {
                    m.insert(
                        "com.example.key".into(),
                        self.build(ap, file, name, depth + 1),
                    );
                } else if let Some(pp) = node
                    .get("patternProperties")
                    .and_then(Value::as_object)
                    .and_then(|p| p.values().next())
                {
                    m.insert(
                        "com.example.key".into(),
                        self.build(pp, file, name, depth + 1),
                    );
                }
                Value::Object(m)
            }
            "array" => match node.get("items") {
                Some(items) => json!([self.build(items, file, name, depth + 1)]),
                None => json!([]),
            },
            "integer" | "number" => json!(
                node.get("minimum")
                    .and_then(Value::as_i64)
                    .map_or(1, |m| m.max(1))
            ),
            "boolean" => json!(true),
            "null" => Value::Null,
            _ => json!(self.string_for(name)),
        }
    }

    fn string_for(&self, name: &str) -> String {
        match name {
            "digest" | "diff_ids" => {
                "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a".into()
            }
            "ociVersion" | "ociVersionMin" | "ociVersionMax" => "1.3.0".into(),
            _ => "text".into(),
        }
    }
}

/// Members where the schema and the prose disagree; the model follows the prose (and Go's types).
const PROSE_WINS: &[&str] = &[
    // config-windows.md: `affinity` is an array of objects; the schema says one object.
    "/windows/resources/cpu/affinity",
];

fn prune(v: &mut Value, at: &str) {
    if let Some((parent, last)) = at.rsplit_once('/')
        && let Some(Value::Object(m)) = v.pointer_mut(parent)
    {
        m.remove(last);
    }
}

#[test]
fn every_schema_member_is_modelled() {
    let (runtime, image) = sets();
    for kind in DocumentKind::ALL {
        let dir = if is_runtime(kind) {
            "runtime-spec/schema"
        } else {
            "image-spec/schema"
        };
        let files: std::collections::BTreeMap<String, Value> =
            std::fs::read_dir(specs_dir().join(dir))
                .expect("schema dir")
                .filter_map(|e| {
                    let p = e.ok()?.path();
                    let name = p.file_name()?.to_str()?.to_owned();
                    if !name.ends_with(".json") {
                        return None;
                    }
                    Some((name, serde_json::from_slice(&std::fs::read(&p).ok()?).ok()?))
                })
                .collect();
        let root = SchemaSet::root_file(kind);
        let max = Maximal { files: &files };
        let mut doc = max.build(&files[root], root, "", 0);
        for p in PROSE_WINS {
            prune(&mut doc, p);
        }
        let bytes = serde_json::to_vec(&doc).expect("bytes");
        let members = count_members(&doc);
        eprintln!("{kind}: maximal document with {members} members");
        assert!(members > 0, "{kind}: the generator produced too little");
        parse_strict(kind, &bytes)
            .unwrap_or_else(|e| panic!("{kind}: a schema member is not modelled: {e}\n{doc:#}"));
        let (_, back) = parse_validate(kind, &bytes).expect("parses");
        assert_eq!(
            back, doc,
            "{kind}: the maximal document does not round-trip"
        );
        let _ = (&runtime, &image);
    }
}

fn count_members(v: &Value) -> usize {
    match v {
        Value::Object(m) => m.len() + m.values().map(count_members).sum::<usize>(),
        Value::Array(a) => a.iter().map(count_members).sum(),
        _ => 0,
    }
}
