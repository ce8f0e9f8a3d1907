//! What the fuzz targets share: the demo catalog's graph, built once.

use std::sync::OnceLock;
use stockyard::graph::EmbeddedGraph;
use stockyard_schema::Decoder;

/// The graph of the bundled demo catalog, which search requests are checked against.
pub fn demo_graph() -> &'static EmbeddedGraph {
    static GRAPH: OnceLock<EmbeddedGraph> = OnceLock::new();
    GRAPH.get_or_init(|| {
        let mut decoder = Decoder::new();
        let events: Vec<_> = decoder
            .ndjson(stockyard::server::DEMO_CATALOG)
            .map(|e| e.expect("the demo catalog decodes"))
            .collect();
        let mut graph = EmbeddedGraph::new();
        graph.apply(&events);
        graph
    })
}
