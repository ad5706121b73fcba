//! Writing a batch: one `unnest` statement per table that changed. New
//! documents and lines are plain inserts: a document id or a number that
//! exists already is a fault, and the batch fails rather than skip it.

use sqlx::PgConnection;

use super::rows::Rows;

/// Writes every changed row and every new document of the batch.
pub(super) async fn write(conn: &mut PgConnection, rows: &Rows) -> sqlx::Result<()> {
    if rows.orders.changed_count() > 0 {
        write_orders(conn, rows).await?;
    }
    if rows.order_lines.changed_count() > 0 {
        write_order_lines(conn, rows).await?;
    }
    if rows.causes.changed_count() > 0 {
        write_causes(conn, rows).await?;
    }
    if rows.series.changed_count() > 0 {
        write_series(conn, rows).await?;
    }
    if !rows.documents.is_empty() {
        write_documents(conn, rows).await?;
        write_lines(conn, rows).await?;
    }
    Ok(())
}

async fn write_orders(conn: &mut PgConnection, rows: &Rows) -> sqlx::Result<()> {
    let r = || rows.orders.changed();
    sqlx::query(
        "insert into invoice_orders (order_id, buyer_id, currency, fee_rate_bps, placed_event_id, \
                placed_position, payment_id, paid_event_id, paid_position, order_sequence, \
                split_sequence, updated_at) \
         select * from unnest($1::text[], $2::text[], $3::text[], $4::int4[], $5::uuid[], \
                $6::int8[], $7::text[], $8::uuid[], $9::int8[], $10::int8[], $11::int8[], \
                $12::timestamptz[]) \
         on conflict (order_id) do update set \
                payment_id = excluded.payment_id, paid_event_id = excluded.paid_event_id, \
                paid_position = excluded.paid_position, order_sequence = excluded.order_sequence, \
                split_sequence = excluded.split_sequence, updated_at = excluded.updated_at",
    )
    .bind(r().map(|o| o.order_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|o| o.buyer_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|o| o.currency.as_str()).collect::<Vec<_>>())
    .bind(r().map(|o| o.fee_rate_bps).collect::<Vec<_>>())
    .bind(r().map(|o| o.placed_event_id).collect::<Vec<_>>())
    .bind(r().map(|o| o.placed_position).collect::<Vec<_>>())
    .bind(r().map(|o| o.payment_id.as_deref()).collect::<Vec<_>>())
    .bind(r().map(|o| o.paid_event_id).collect::<Vec<_>>())
    .bind(r().map(|o| o.paid_position).collect::<Vec<_>>())
    .bind(r().map(|o| o.order_sequence).collect::<Vec<_>>())
    .bind(r().map(|o| o.split_sequence).collect::<Vec<_>>())
    .bind(r().map(|o| o.updated_at).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

async fn write_order_lines(conn: &mut PgConnection, rows: &Rows) -> sqlx::Result<()> {
    let r = || rows.order_lines.changed();
    sqlx::query(
        "insert into invoice_order_lines (order_id, line_no, vendor_id, product, sku, title, \
                quantity, unit_price) \
         select * from unnest($1::text[], $2::int4[], $3::text[], $4::text[], $5::text[], \
                $6::text[], $7::int8[], $8::int8[]) \
         on conflict (order_id, line_no) do nothing",
    )
    .bind(r().map(|l| l.order_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|l| l.line_no).collect::<Vec<_>>())
    .bind(r().map(|l| l.vendor_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|l| l.product.as_str()).collect::<Vec<_>>())
    .bind(r().map(|l| l.sku.as_str()).collect::<Vec<_>>())
    .bind(r().map(|l| l.title.as_str()).collect::<Vec<_>>())
    .bind(r().map(|l| l.quantity).collect::<Vec<_>>())
    .bind(r().map(|l| l.unit_price).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

async fn write_causes(conn: &mut PgConnection, rows: &Rows) -> sqlx::Result<()> {
    let r = || rows.causes.changed();
    sqlx::query(
        "insert into invoice_refund_causes (event_id, vendor_id, line_no, order_id, reason, \
                event_type, position, quantity, amount) \
         select * from unnest($1::uuid[], $2::text[], $3::int4[], $4::text[], $5::text[], \
                $6::text[], $7::int8[], $8::int8[], $9::int8[]) \
         on conflict (event_id, vendor_id, line_no) do nothing",
    )
    .bind(r().map(|c| c.event_id).collect::<Vec<_>>())
    .bind(r().map(|c| c.vendor_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|c| c.line_no).collect::<Vec<_>>())
    .bind(r().map(|c| c.order_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|c| c.reason.as_str()).collect::<Vec<_>>())
    .bind(r().map(|c| c.event_type.as_str()).collect::<Vec<_>>())
    .bind(r().map(|c| c.position).collect::<Vec<_>>())
    .bind(r().map(|c| c.quantity).collect::<Vec<_>>())
    .bind(r().map(|c| c.amount).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

async fn write_series(conn: &mut PgConnection, rows: &Rows) -> sqlx::Result<()> {
    let r = || rows.series.changed();
    sqlx::query(
        "insert into invoice_series (issuer_kind, issuer_id, last_number, updated_at) \
         select * from unnest($1::text[], $2::text[], $3::int8[], $4::timestamptz[]) \
         on conflict (issuer_kind, issuer_id) do update set \
                last_number = excluded.last_number, updated_at = excluded.updated_at",
    )
    .bind(r().map(|s| s.issuer_kind.as_str()).collect::<Vec<_>>())
    .bind(r().map(|s| s.issuer_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|s| s.last_number).collect::<Vec<_>>())
    .bind(r().map(|s| s.updated_at).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

async fn write_documents(conn: &mut PgConnection, rows: &Rows) -> sqlx::Result<()> {
    let d = &rows.documents;
    sqlx::query(
        "insert into invoices (document_id, kind, subject, issuer_kind, issuer_id, number, \
                recipient_kind, recipient_id, order_id, vendor_id, buyer_id, currency, total, fee, \
                fee_rate_bps, credits_document_id, credits_number, reason, reference, issued_at, \
                issue_date, position, sources) \
         select * from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], \
                $6::int8[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], \
                $12::text[], $13::int8[], $14::int8[], $15::int4[], $16::uuid[], $17::int8[], \
                $18::text[], $19::text[], $20::timestamptz[], $21::date[], $22::int8[], $23::jsonb[])",
    )
    .bind(d.iter().map(|x| x.document_id).collect::<Vec<_>>())
    .bind(d.iter().map(|x| x.kind).collect::<Vec<_>>())
    .bind(d.iter().map(|x| x.subject).collect::<Vec<_>>())
    .bind(d.iter().map(|x| x.issuer_kind).collect::<Vec<_>>())
    .bind(d.iter().map(|x| x.issuer_id.as_str()).collect::<Vec<_>>())
    .bind(d.iter().map(|x| x.number).collect::<Vec<_>>())
    .bind(d.iter().map(|x| x.recipient_kind).collect::<Vec<_>>())
    .bind(d.iter().map(|x| x.recipient_id.as_str()).collect::<Vec<_>>())
    .bind(d.iter().map(|x| x.order_id.as_str()).collect::<Vec<_>>())
    .bind(d.iter().map(|x| x.vendor_id.as_str()).collect::<Vec<_>>())
    .bind(d.iter().map(|x| x.buyer_id.as_str()).collect::<Vec<_>>())
    .bind(d.iter().map(|x| x.currency.as_str()).collect::<Vec<_>>())
    .bind(d.iter().map(|x| x.total).collect::<Vec<_>>())
    .bind(d.iter().map(|x| x.fee).collect::<Vec<_>>())
    .bind(d.iter().map(|x| x.fee_rate_bps).collect::<Vec<_>>())
    .bind(d.iter().map(|x| x.credits_document_id).collect::<Vec<_>>())
    .bind(d.iter().map(|x| x.credits_number).collect::<Vec<_>>())
    .bind(d.iter().map(|x| x.reason).collect::<Vec<_>>())
    .bind(d.iter().map(|x| x.reference.as_str()).collect::<Vec<_>>())
    .bind(d.iter().map(|x| x.issued_at).collect::<Vec<_>>())
    .bind(d.iter().map(|x| x.issue_date).collect::<Vec<_>>())
    .bind(d.iter().map(|x| x.position).collect::<Vec<_>>())
    .bind(d.iter().map(|x| x.sources.clone()).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

async fn write_lines(conn: &mut PgConnection, rows: &Rows) -> sqlx::Result<()> {
    let l = &rows.lines;
    sqlx::query(
        "insert into invoice_lines (document_id, line_no, description, product, sku, \
                order_line_no, quantity, unit_price, amount) \
         select * from unnest($1::uuid[], $2::int4[], $3::text[], $4::text[], $5::text[], \
                $6::int4[], $7::int8[], $8::int8[], $9::int8[])",
    )
    .bind(l.iter().map(|x| x.document_id).collect::<Vec<_>>())
    .bind(l.iter().map(|x| x.line_no).collect::<Vec<_>>())
    .bind(l.iter().map(|x| x.description.as_str()).collect::<Vec<_>>())
    .bind(l.iter().map(|x| x.product.as_deref()).collect::<Vec<_>>())
    .bind(l.iter().map(|x| x.sku.as_deref()).collect::<Vec<_>>())
    .bind(l.iter().map(|x| x.order_line_no).collect::<Vec<_>>())
    .bind(l.iter().map(|x| x.quantity).collect::<Vec<_>>())
    .bind(l.iter().map(|x| x.unit_price).collect::<Vec<_>>())
    .bind(l.iter().map(|x| x.amount).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}
