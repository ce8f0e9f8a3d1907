//! The Neo4j settings of a test Bolt server (`tools::BoltServer`).

use stockyard::graph::Neo4jConfig;

/// How to reach `server`.
pub fn config(server: &crate::tools::BoltServer) -> Neo4jConfig {
    Neo4jConfig {
        uri: server.uri.clone(),
        user: server.user.clone(),
        password: server.password.clone(),
        database: server.database.clone(),
    }
}
