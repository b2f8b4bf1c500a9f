//! `logam token create|list|revoke`: the office's tokens, managed on the machine that holds
//! the database (there is no HTTP endpoint for them, so a stolen admin token cannot mint
//! more). A running server on the same file sees the change on its next request.

use super::{TokenCommand, operator};
use crate::store::{OpenOptions, Role, Store};
use anyhow::Context as _;

fn open(db: &std::path::Path) -> anyhow::Result<Store> {
    // Same options as `serve`: a new file is seeded here rather than left unseedable.
    Store::open(db, &OpenOptions::default()).with_context(|| format!("opening {}", db.display()))
}

pub fn run(command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create { name, role, db } => {
            let role = Role::parse(&role).context("--role is admin or contributor")?;
            let store = open(&db)?;
            // Audited in the same transaction as the new token.
            let token = store.create_token(&name, role, &operator())?;
            eprintln!(
                "logam: created {} token `{name}`; it is shown once and cannot be recovered",
                role.as_str()
            );
            println!("{token}");
            Ok(())
        }
        TokenCommand::List { db } => {
            let store = open(&db)?;
            println!(
                "{:<24} {:<12} {:<32} {:<32} LAST USED",
                "NAME", "ROLE", "CREATED", "REVOKED"
            );
            for token in store.list_tokens()? {
                println!(
                    "{:<24} {:<12} {:<32} {:<32} {}",
                    token.name,
                    token.role.as_str(),
                    token.created_at,
                    token.revoked_at.as_deref().unwrap_or("-"),
                    token.last_used_at.as_deref().unwrap_or("-"),
                );
            }
            Ok(())
        }
        TokenCommand::Revoke { name, db } => {
            let store = open(&db)?;
            store.revoke_token(&name, &operator())?;
            println!("logam: revoked token `{name}`");
            Ok(())
        }
    }
}
