//! What differs between two answers to one search, short enough to read:
//! hit ids each backend alone returned (or the same ids in another order),
//! totals, and the facet buckets that are not in both.

use std::collections::BTreeSet;
use std::fmt::Debug;

use bazaar_projections::search::OrderPage;

type Answer = Result<OrderPage, String>;

/// The differences of two answers to an order search (Elasticsearch's `a`,
/// Postgres's `b`), one line each.
pub(crate) fn orders(a: &Answer, b: &Answer) -> String {
    let (a, b) = match (a, b) {
        (Ok(a), Ok(b)) => (a, b),
        _ => return format!("  {:?}\n  {:?}", a.as_ref().err(), b.as_ref().err()),
    };
    let mut lines = Vec::new();
    let ids =
        |p: &OrderPage| -> Vec<String> { p.hits.iter().map(|h| h.order_id.clone()).collect() };
    let (ia, ib) = (ids(a), ids(b));
    if ia != ib {
        lines.push(self::ids(&ia, &ib));
    } else if a.hits != b.hits {
        lines.push("  hits: same ids, different documents".to_owned());
    }
    if a.total != b.total {
        lines.push(format!("  total: {:?} and {:?}", a.total, b.total));
    }
    if a.next_cursor != b.next_cursor {
        lines.push(format!(
            "  next page: {:?} and {:?}",
            a.next_cursor.is_some(),
            b.next_cursor.is_some()
        ));
    }
    match (&a.facets, &b.facets) {
        (Some(fa), Some(fb)) => {
            buckets("status", &fa.status, &fb.status, &mut lines);
            buckets("sales", &fa.sales, &fb.sales, &mut lines);
            if (fa.exact, fa.counted_since) != (fb.exact, fb.counted_since) {
                lines.push(format!(
                    "  facets exact: {:?} and {:?}",
                    (fa.exact, fa.counted_since),
                    (fb.exact, fb.counted_since)
                ));
            }
        }
        (fa, fb) if fa != fb => lines.push(format!("  facets: {fa:?} and {fb:?}")),
        _ => {}
    }
    lines.join("\n")
}

/// Two lists of hit ids: those only one holds, or where the order parts.
pub(crate) fn ids(a: &[String], b: &[String]) -> String {
    let (sa, sb): (BTreeSet<_>, BTreeSet<_>) = (a.iter().collect(), b.iter().collect());
    if sa == sb {
        let at = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(0);
        let end = (at + 3).min(a.len());
        return format!(
            "  hits: the same {} ids in another order from #{at}: {:?} and {:?}",
            a.len(),
            &a[at..end],
            &b[at..end]
        );
    }
    format!(
        "  hits: {} and {}; only elasticsearch {:?}; only postgres {:?}",
        a.len(),
        b.len(),
        sa.difference(&sb).collect::<Vec<_>>(),
        sb.difference(&sa).collect::<Vec<_>>(),
    )
}

/// Buckets in one answer and not in the other (or in another order).
fn buckets<T: Debug + PartialEq>(name: &str, a: &[T], b: &[T], lines: &mut Vec<String>) {
    if a == b {
        return;
    }
    let only = |x: &[T], y: &[T]| -> Vec<String> {
        x.iter()
            .filter(|v| !y.contains(v))
            .map(|v| format!("{v:?}"))
            .collect()
    };
    lines.push(format!(
        "  {name} facet: only elasticsearch {:?}; only postgres {:?}",
        only(a, b),
        only(b, a)
    ));
}
