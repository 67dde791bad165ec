//! Print a retention profile's rules, then save it as JSON: the shipped one by name, or a file.
//!
//! Run: `cargo run -p custodia-retention --example inspect_profile -- cn-insurance-broker`
//! or   `cargo run -p custodia-retention --example inspect_profile -- path/to/profile.toml`

use std::error::Error;

use custodia_retention::Profile;

fn main() -> Result<(), Box<dyn Error>> {
    let which = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "cn-insurance-broker".to_owned());
    let profile = match Profile::shipped_text(&which) {
        Some(text) => Profile::from_toml(text)?,
        None => {
            let text = std::fs::read_to_string(&which)?;
            if which.ends_with(".json") {
                Profile::from_json(&text)?
            } else {
                Profile::from_toml(&text)?
            }
        }
    };
    println!("{}: {}", profile.name(), profile.description());
    println!("settings: {:?}", profile.settings());
    for rule in profile.rules() {
        let kind = match (rule.is_floor(), rule.is_duty()) {
            (true, true) => "floor+duty",
            (true, false) => "floor",
            _ => "duty",
        };
        println!(
            "{:<28} {:<26} {:<10} {:<18} min {:<5} max {:<5} {}",
            rule.id(),
            rule.citation().to_string(),
            kind,
            rule.trigger().code(),
            rule.minimum().to_string(),
            rule.maximum()
                .map(|m| m.to_string())
                .unwrap_or_else(|| "-".into()),
            rule.summary()
        );
    }
    println!("\n{}", profile.to_json()?);
    Ok(())
}
