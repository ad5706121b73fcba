//! Paging a search to its end by cursor: how both backends' deep pages are
//! compared (every hit once, in one order, the total each page reported).

use bazaar_projections::search::{OrderQuery, OrderSearch, Scope, Search};

/// The order ids of every page of `size` in `scope`, following the
/// cursors; and the largest total a page reported.
pub async fn every_page(search: &Search, scope: &Scope, size: u32) -> (Vec<String>, u64) {
    let (mut ids, mut cursor, mut total) = (Vec::new(), None, 0);
    loop {
        let query = OrderQuery {
            size: Some(size),
            cursor,
            ..OrderQuery::default()
        };
        let page = search
            .orders(&OrderSearch {
                scope: scope.clone(),
                query,
            })
            .await
            .unwrap();
        total = total.max(page.total.value);
        ids.extend(page.hits.into_iter().map(|hit| hit.order_id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return (ids, total),
        }
    }
}
