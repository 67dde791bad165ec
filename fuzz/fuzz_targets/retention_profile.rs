//! Retention profiles as a compliance officer edits them: tag 0 parses JSON, tag 1 TOML. Never a panic;
//! a profile that loads saves to JSON and TOML that load back to the same profile.
#![no_main]

use custodia_retention::Profile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((tag, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let parsed = if tag % 2 == 0 {
        Profile::from_json(text)
    } else {
        Profile::from_toml(text)
    };
    let Ok(profile) = parsed else {
        return;
    };
    let json = profile.to_json().unwrap();
    assert_eq!(Profile::from_json(&json).unwrap(), profile, "JSON round trip");
    let toml = profile.to_toml().unwrap();
    assert_eq!(Profile::from_toml(&toml).unwrap(), profile, "TOML round trip");
    assert_eq!(
        Profile::from_json(&json).unwrap().to_json().unwrap(),
        json,
        "saved JSON is a fixed point"
    );
});
