//! What every target does with its checkout: the whole in-memory pipeline
//! (sources → analysis → render) twice, the same bytes both times.

use dmqa::scan::SourceFile;
use dmqa::sources::SourceKind;

/// A wrangler config declaring one of each binding the readers follow.
#[allow(dead_code)] // the wrangler target brings its own
pub const WRANGLER: &str = "name = \"fuzz\"\nmain = \"src/index.ts\"\n\
[[d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"app\"\n\
[[r2_buckets]]\nbinding = \"BUCKET\"\nbucket_name = \"b\"\n\
[[kv_namespaces]]\nbinding = \"KV\"\nid = \"k\"\n\
[[queues.producers]]\nbinding = \"Q\"\nqueue = \"jobs\"\n\
[[queues.consumers]]\nqueue = \"jobs\"\n\
[[durable_objects.bindings]]\nname = \"ROOM\"\nclass_name = \"Room\"\n";

/// A source file of `kind` at `path`.
pub fn file(path: &str, kind: SourceKind, text: impl Into<String>) -> SourceFile {
    SourceFile::new(path, kind, text)
}

/// Runs the pipeline on `files` twice; panics if it panics or if the two
/// reports differ.
pub fn twice(files: &[SourceFile]) {
    let first = report(files);
    let second = report(files);
    assert_eq!(first, second, "the same checkout gave two reports");
}

fn report(files: &[SourceFile]) -> String {
    let mut model = dmqa::Model::default();
    dmqa::sources::extract(files, &mut model);
    dmqa::analysis::analyze(&mut model);
    dmqa::render::render(&model, None).expect("the report renders")
}
