//! The signed message and what breaks a signature.

use super::*;
use crate::audit::keys;

fn unsigned() -> Checkpoint {
    Checkpoint {
        format: FORMAT.into(),
        label: "bazaar".into(),
        horizon_tx_id: 1_234,
        global_position: 1_000,
        events: 998,
        streams: 77,
        heads_digest: "ab".repeat(32),
        signed_at: "2026-11-22T10:00:00.000001Z".into(),
        public_key: String::new(),
        signature: String::new(),
    }
}

fn signed(key: &SigningKey) -> Checkpoint {
    let mut checkpoint = unsigned();
    checkpoint.signature = BASE64.encode(key.sign(&checkpoint.message()).to_bytes());
    checkpoint
}

#[test]
fn the_message_is_the_documented_text() {
    assert_eq!(
        String::from_utf8(unsigned().message()).unwrap(),
        format!(
            "bazaar-checkpoint-v1\nlabel=bazaar\nhorizon_tx_id=1234\nglobal_position=1000\n\
             events=998\nstreams=77\nheads_digest={}\nsigned_at=2026-11-22T10:00:00.000001Z\n",
            "ab".repeat(32)
        )
    );
}

#[test]
fn any_changed_field_or_another_key_fails_the_signature() {
    let key = keys::generate().unwrap();
    let checkpoint = signed(&key);
    assert!(checkpoint.signature_holds(&key.verifying_key()));
    let json = serde_json::to_string(&checkpoint).unwrap();
    assert_eq!(Checkpoint::from_json(&json).unwrap(), checkpoint);

    let other = keys::generate().unwrap();
    assert!(!checkpoint.signature_holds(&other.verifying_key()));
    for tamper in [
        |c: &mut Checkpoint| c.events += 1,
        |c: &mut Checkpoint| c.horizon_tx_id -= 1,
        |c: &mut Checkpoint| c.heads_digest = "cd".repeat(32),
        |c: &mut Checkpoint| c.label.push('x'),
        |c: &mut Checkpoint| c.signed_at = "2026-11-22T10:00:00.000002Z".into(),
        |c: &mut Checkpoint| c.signature = "bm90IGEgc2lnbmF0dXJl".into(),
    ] {
        let mut changed = checkpoint.clone();
        tamper(&mut changed);
        assert!(
            !changed.signature_holds(&key.verifying_key()),
            "{changed:?}"
        );
    }
}

#[test]
fn a_label_cannot_smuggle_in_a_line() {
    let key = keys::generate().unwrap();
    let mut checkpoint = unsigned();
    checkpoint.label = "a\nevents=1".into();
    checkpoint.signature = BASE64.encode(key.sign(&checkpoint.message()).to_bytes());
    assert!(!checkpoint.signature_holds(&key.verifying_key()));
}
