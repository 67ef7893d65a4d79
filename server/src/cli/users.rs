//! `kindling user …` and `kindling token …` (also spelled `kindling admin user-add`,
//! `token-create`, `token-revoke`).

use clap::{Args, Subcommand};

use super::server::{DbArg, user_id, with_db};
use crate::store;

/// `kindling user add NAME`.
#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// User name.
    pub name: String,
    #[command(flatten)]
    pub db: DbArg,
}

/// `kindling token create NAME`.
#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// User name.
    pub name: String,
    /// Expire after this many days (default: never).
    #[arg(long)]
    pub expires_days: Option<u64>,
    #[command(flatten)]
    pub db: DbArg,
}

/// `kindling token revoke NAME`.
#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    /// User name.
    pub name: String,
    #[command(flatten)]
    pub db: DbArg,
}

/// `kindling user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user (prints its id).
    Add(UserAddArgs),
}

/// `kindling token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user (printed once; only its hash is stored).
    Create(TokenCreateArgs),
    /// Revoke every API token of a user (a lost laptop): their browsers must sign in again;
    /// labels waiting in those browsers are kept and sent after the new sign-in.
    Revoke(TokenRevokeArgs),
}

/// Adds a user; prints its id.
pub fn add(a: UserAddArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    let name = &a.name;
    let id = with_db(&a.db, |db| async move {
        store::users::add(&db, name)
            .await
            .with_context(|| format!("adding user `{name}` (does it exist?)"))
    })?;
    println!("{id}");
    Ok(())
}

/// Creates a token; prints it (the only time it is shown).
pub fn create_token(a: TokenCreateArgs) -> anyhow::Result<()> {
    let (name, days) = (&a.name, a.expires_days);
    let token = with_db(&a.db, |db| async move {
        let uid = user_id(&db, name).await?;
        let expires = days.map(|d| crate::clock::now_ms() + (d as i64) * 86_400_000);
        Ok(store::users::create_token(&db, &uid, expires).await?)
    })?;
    println!("{token}");
    Ok(())
}

/// Revokes every token of a user.
pub fn revoke_tokens(a: TokenRevokeArgs) -> anyhow::Result<()> {
    let name = &a.name;
    let revoked = with_db(&a.db, |db| async move {
        let uid = user_id(&db, name).await?;
        Ok(store::users::revoke_tokens(&db, &uid).await?)
    })?;
    println!("revoked {revoked} token(s) of {}", a.name);
    Ok(())
}

/// Runs `kindling user …`.
pub fn run_user(c: UserCommand) -> anyhow::Result<()> {
    match c {
        UserCommand::Add(a) => add(a),
    }
}

/// Runs `kindling token …`.
pub fn run_token(c: TokenCommand) -> anyhow::Result<()> {
    match c {
        TokenCommand::Create(a) => create_token(a),
        TokenCommand::Revoke(a) => revoke_tokens(a),
    }
}
