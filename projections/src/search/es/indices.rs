//! The indices and aliases: templates, creating and deleting a
//! generation's indices, and pointing both aliases at one generation in a
//! single atomic `_aliases` request.

use elasticsearch::indices::{
    IndicesCreateParts, IndicesDeleteParts, IndicesGetAliasParts, IndicesPutIndexTemplateParts,
};
use serde_json::{json, Value};

use super::client::{answer, expect_ok, DocKind, EsClient, EsError};
use super::mappings::template;

/// `PUT _index_template/…` for both kinds.
pub async fn install_templates(es: &EsClient) -> Result<(), EsError> {
    for kind in DocKind::ALL {
        let name = es.template(kind);
        let sent = es
            .client()
            .indices()
            .put_index_template(IndicesPutIndexTemplateParts::Name(&name))
            .body(template(es, kind))
            .send()
            .await;
        expect_ok(sent).await?;
    }
    Ok(())
}

/// Creates `generation`'s indices (an index left by an interrupted build
/// is kept: external versions make copying into it again harmless).
pub async fn create_indices(es: &EsClient, generation: i32) -> Result<(), EsError> {
    for kind in DocKind::ALL {
        let index = es.index(kind, generation);
        let sent = es
            .client()
            .indices()
            .create(IndicesCreateParts::Index(&index))
            .send()
            .await;
        match answer(sent).await? {
            (200, _) => {}
            (400, body) if body["error"]["type"] == "resource_already_exists_exception" => {}
            (status, body) => {
                return Err(EsError::Status {
                    status,
                    body: body.to_string(),
                })
            }
        }
    }
    Ok(())
}

/// The indices holding `alias` now.
async fn holders(es: &EsClient, alias: &str) -> Result<Vec<String>, EsError> {
    let sent = es
        .client()
        .indices()
        .get_alias(IndicesGetAliasParts::Name(&[alias]))
        .send()
        .await;
    match answer(sent).await? {
        (200, Value::Object(indices)) => Ok(indices.keys().cloned().collect()),
        (404, _) => Ok(Vec::new()),
        (status, body) => Err(EsError::Status {
            status,
            body: body.to_string(),
        }),
    }
}

/// Points both aliases at `generation`'s indices in one atomic `_aliases`
/// request (remove from every other holder, add to the new index); sends
/// nothing when they already point there.
pub async fn point_aliases(es: &EsClient, generation: i32) -> Result<(), EsError> {
    let mut actions = Vec::new();
    for kind in DocKind::ALL {
        let (alias, target) = (es.alias(kind), es.index(kind, generation));
        let now = holders(es, &alias).await?;
        for old in now.iter().filter(|held| **held != target) {
            actions.push(json!({ "remove": { "index": old, "alias": alias } }));
        }
        if !now.contains(&target) {
            actions.push(json!({ "add": { "index": target, "alias": alias } }));
        }
    }
    if actions.is_empty() {
        return Ok(());
    }
    let sent = es
        .client()
        .indices()
        .update_aliases()
        .body(json!({ "actions": actions }))
        .send()
        .await;
    expect_ok(sent).await.map(drop)
}

/// Deletes `generation`'s indices (after a rebuild replaced them).
pub async fn delete_indices(es: &EsClient, generation: i32) -> Result<(), EsError> {
    let names: Vec<String> = DocKind::ALL
        .iter()
        .map(|k| es.index(*k, generation))
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let sent = es
        .client()
        .indices()
        .delete(IndicesDeleteParts::Index(&refs))
        .send()
        .await;
    match answer(sent).await? {
        (200, _) | (404, _) => Ok(()),
        (status, body) => Err(EsError::Status {
            status,
            body: body.to_string(),
        }),
    }
}
