//! Sync messages from a hostile or broken peer: push requests the server decodes, and push and
//! pull answers the client state machine (the one in every browser) applies, with clocks at
//! their extremes. Errors or ignored input, never a panic or an overflow.
#![no_main]

use kindling::sync::{ClientState, Hlc, LabelValue, PullResponse, PushRequest, PushResponse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 13 {
        return;
    }
    let wall = u64::from_le_bytes(data[0..8].try_into().unwrap());
    let counter = u32::from_le_bytes(data[8..12].try_into().unwrap());
    let hlc = Hlc { wall, counter };
    let _ = hlc.bounded(wall / 2, 300_000, 1 << 20);
    let _ = hlc.receive(Hlc { wall: wall / 3, counter }, wall);
    let _ = hlc.tick(wall);
    let rest = &data[13..];
    let _ = serde_json::from_slice::<PushRequest>(rest);
    let mut client = ClientState::new("c1", "me");
    for i in 0..3u64 {
        let value = LabelValue::of("a");
        client.label(&format!("item{i}"), value, wall.saturating_add(i));
    }
    let sent = client.push_request(100);
    match data[12] % 2 {
        0 => {
            if let (Some(sent), Ok(resp)) = (sent, serde_json::from_slice::<PushResponse>(rest)) {
                client.on_push_response(&sent, &resp, wall);
            }
        }
        _ => {
            if let Ok(resp) = serde_json::from_slice::<PullResponse>(rest) {
                client.on_pull(&resp, wall);
            }
        }
    }
    let _ = client.visible_all();
    let _ = client.push_request(100);
});
