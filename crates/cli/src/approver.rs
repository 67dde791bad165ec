//! `approver add`: an approver of destruction plans — a principal holding the `approver` role, stored in the
//! brokerage, and an Ed25519 signing key written to a file only the approver reads (mode 0600).
//!
//! Destruction needs two such approvers' signatures over each plan, neither of them the operator who made it
//! (PIPL Art 47, four eyes; custodia-access's signed approvals). The store keeps only the public record; the
//! private key never enters it.

use std::collections::BTreeSet;
use std::path::Path;

use custodia_access::{Department, Principal, PrincipalFields, PrincipalKind, Role};
use custodia_crypto::SigningKey;
use custodia_model::ActorId;
use zeroize::Zeroizing;

use crate::context::Context;
use crate::error::{CliError, Result};

/// The role a disposition's signers must hold.
const APPROVER_ROLE: &str = "approver";

/// Stores an approver principal `id` of `department` with a fresh key, written to `key_out` (must not exist).
pub fn add(ctx: &Context, id: &str, department: &str, key_out: &Path) -> Result<()> {
    let b = ctx.open()?;
    let id = ActorId::new(id).map_err(|_| CliError::input("--id", "not an actor id"))?;
    if b.principal(&id)?.is_some() {
        return Err(CliError::input(
            "--id",
            format!("principal {id} already exists; an approver is added once"),
        ));
    }
    let key =
        SigningKey::generate().map_err(|_| CliError::input("--key-out", "no key could be generated"))?;
    let principal = Principal::new(PrincipalFields {
        id: id.clone(),
        kind: PrincipalKind::Staff,
        roles: BTreeSet::from([Role::new(APPROVER_ROLE)?]),
        department: Department::new(department)?,
        purposes: BTreeSet::new(),
        training: Vec::new(),
        verifying_key: key.verifying_key(),
    })?;
    write_secret(key_out, key.expose_pkcs8())?;
    b.put_principal(&principal)?;
    ctx.emit(
        || {
            format!(
                "approver {id} stored; signing key written to {} (mode 0600)",
                key_out.display()
            )
        },
        || serde_json::json!({ "approver": id.as_str(), "key_file": key_out.display().to_string() }),
    );
    Ok(())
}

/// Reads an approver's signing key (PKCS#8); the bytes read are wiped after parsing.
pub fn load_key(path: &Path) -> Result<SigningKey> {
    let bytes = Zeroizing::new(crate::context::read(path)?);
    SigningKey::from_pkcs8(&bytes)
        .map_err(|_| CliError::input(path.display().to_string(), "not an Ed25519 signing key (PKCS#8)"))
}

/// Writes a key file that must not exist yet, readable by its owner only.
pub(crate) fn write_secret(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(CliError::io("create", path))?;
    file.write_all(bytes).map_err(CliError::io("write", path))?;
    file.sync_all().map_err(CliError::io("sync", path))
}
