//! Support code shared by the workspace's examples, integration tests and benchmarks.
//! Not published.
