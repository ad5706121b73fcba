//! The cluster a live test talks to: `ELASTICSEARCH_URL` when set (a person
//! with a real cluster runs the same tests), else a noida-db server of the
//! test's own. Each client gets its own index prefix, so tests sharing a
//! cluster never see each other's indices.

use bazaar_projections::search::es::{DocKind, EsClient, EsSettings};
use elasticsearch::indices::{
    IndicesDeleteIndexTemplateParts, IndicesDeleteParts, IndicesRefreshParts,
};

use super::Server;

/// A cluster, and the server behind it when the test started one.
pub struct Cluster {
    url: String,
    server: Option<Server>,
}

impl Cluster {
    /// `ELASTICSEARCH_URL`'s cluster, else a fresh local server.
    pub async fn start() -> Self {
        match std::env::var("ELASTICSEARCH_URL") {
            Ok(url) if !url.is_empty() => Self { url, server: None },
            _ => Self::local().await,
        }
    }

    /// A local server this test can stop and start again, whatever
    /// `ELASTICSEARCH_URL` says.
    pub async fn local() -> Self {
        let server = Server::start().await;
        Self {
            url: server.url(),
            server: Some(server),
        }
    }

    /// The server, for tests that stop it.
    pub fn server(&mut self) -> &mut Server {
        self.server.as_mut().expect("a local server")
    }

    /// Settings with a prefix of their own and no replicas.
    pub fn settings(&self) -> EsSettings {
        let mut settings = EsSettings::new(self.url.clone());
        settings.index_prefix = format!("bazaar-test-{}", uuid::Uuid::now_v7().simple());
        settings.replicas = 0;
        settings
    }

    /// A client with a prefix of its own.
    pub fn client(&self) -> EsClient {
        EsClient::new(self.settings()).unwrap()
    }
}

/// Makes everything indexed so far searchable (instead of waiting for the
/// refresh interval).
pub async fn refresh(es: &EsClient) {
    let aliases = [es.alias(DocKind::Orders), es.alias(DocKind::Stock)];
    let names: Vec<&str> = aliases.iter().map(String::as_str).collect();
    let sent = es
        .client()
        .indices()
        .refresh(IndicesRefreshParts::Index(&names))
        .send()
        .await
        .unwrap();
    assert!(sent.status_code().is_success());
}

/// Deletes the client's indices and templates (on a shared cluster).
pub async fn clean_up(es: &EsClient) {
    let pattern = format!("{}-*", es.settings().index_prefix);
    let _ = es
        .client()
        .indices()
        .delete(IndicesDeleteParts::Index(&[&pattern]))
        .send()
        .await;
    for kind in DocKind::ALL {
        let name = es.template(kind);
        let parts = IndicesDeleteIndexTemplateParts::Name(&name);
        let _ = es
            .client()
            .indices()
            .delete_index_template(parts)
            .send()
            .await;
    }
}
