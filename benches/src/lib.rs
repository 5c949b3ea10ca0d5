//! Benchmarks for carrack (see benches/).
