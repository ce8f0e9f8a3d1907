//! Reading Server-Sent Events off HTTP/2 streams (the `h2` crate), for the tests that
//! carry many notification streams on one connection.

use std::time::Duration;

/// Reads `body` until it holds a whole frame with data (comment frames, the
/// heartbeats, carry none); returns everything read.
pub async fn until_data_frame(body: &mut h2::RecvStream) -> String {
    let mut text = String::new();
    // Frames end with a blank line.
    while !text
        .split_inclusive("\n\n")
        .any(|frame| frame.ends_with("\n\n") && frame.contains("data:"))
    {
        let chunk = tokio::time::timeout(Duration::from_secs(60), body.data())
            .await
            .expect("a notification in time")
            .expect("the stream stays open")
            .unwrap();
        let _ = body.flow_control().release_capacity(chunk.len());
        text.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    text
}

/// Asserts that stream `i` of `got` told subscriber `{prefix}{i}` of a new match of
/// `machine`.
pub fn assert_each_told(got: &[String], prefix: &str, machine: &str) {
    for (i, text) in got.iter().enumerate() {
        assert!(text.contains("event: new_match"), "stream {i}: {text}");
        assert!(
            text.contains(&format!("\"subscriber\":\"{prefix}{i}\"")),
            "stream {i}: {text}"
        );
        assert!(
            text.contains(&format!("\"machine_id\":\"{machine}\"")),
            "stream {i}: {text}"
        );
    }
}
