//! What a round trip through each crate changes in a document:
//! `fidelity_diff config|manifest|index FILE` prints the JSON pointers that differ.

use serde_json::Value;

fn diff(a: &Value, b: &Value, at: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) => diff(v, w, &format!("{at}/{k}"), out),
                    None => out.push(format!("dropped {at}/{k}")),
                }
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                out.push(format!("added   {at}/{k}"));
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                diff(v, w, &format!("{at}/{i}"), out);
            }
        }
        _ if a != b => out.push(format!("changed {at}: {a} -> {b}")),
        _ => {}
    }
}

fn trip<T: serde::de::DeserializeOwned + serde::Serialize>(bytes: &[u8]) -> Result<Value, String> {
    let v: T = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    serde_json::to_value(&v).map_err(|e| e.to_string())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let kind = args.next().unwrap_or_default();
    let path = args
        .next()
        .expect("usage: fidelity_diff config|manifest|index|image-config FILE");
    let bytes = std::fs::read(&path).expect("read");
    let original: Value = serde_json::from_slice(&bytes).expect("JSON");
    let results = match kind.as_str() {
        "config" => [
            trip::<carrack_spec::runtime::Spec>(&bytes),
            trip::<oci_spec::runtime::Spec>(&bytes),
        ],
        "manifest" => [
            trip::<carrack_spec::image::ImageManifest>(&bytes),
            trip::<oci_spec::image::ImageManifest>(&bytes),
        ],
        "index" => [
            trip::<carrack_spec::image::ImageIndex>(&bytes),
            trip::<oci_spec::image::ImageIndex>(&bytes),
        ],
        "image-config" => [
            trip::<carrack_spec::image::ImageConfiguration>(&bytes),
            trip::<oci_spec::image::ImageConfiguration>(&bytes),
        ],
        _ => panic!("unknown kind {kind}"),
    };
    for (name, r) in ["carrack-spec", "oci-spec"].iter().zip(results) {
        match r {
            Err(e) => println!("{name}: does not parse: {e}"),
            Ok(v) => {
                let mut out = Vec::new();
                diff(&original, &v, "", &mut out);
                println!("{name}: {} difference(s)", out.len());
                for d in out {
                    println!("  {d}");
                }
            }
        }
    }
}
