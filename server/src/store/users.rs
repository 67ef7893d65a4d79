//! `users` and `tokens`.

use sqlx::Row;

use super::{Db, now_ms, random_id, token_hash};

/// The user a token belongs to.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    /// User id.
    pub user_id: String,
    /// User name.
    pub name: String,
    /// When the token expires (Unix ms), if ever.
    pub expires_at: Option<i64>,
}

/// The owner of the token whose hash is `hash`.
pub async fn token_owner(db: &Db, hash: &str) -> Result<Option<TokenOwner>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT u.id, u.name, t.expires_at FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1",
    )
    .bind(hash)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| {
        Ok(TokenOwner {
            user_id: r.try_get("id")?,
            name: r.try_get("name")?,
            expires_at: r.try_get("expires_at")?,
        })
    })
    .transpose()
}

/// Adds a user; returns its id (a unique violation when the name is taken).
pub async fn add(db: &Db, name: &str) -> Result<String, sqlx::Error> {
    let id = random_id("u");
    let _turn = db.write_guard().await;
    sqlx::query("INSERT INTO users (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(&id)
        .bind(name)
        .bind(now_ms())
        .execute(&db.pool)
        .await?;
    Ok(id)
}

/// The id of the user named `name`.
pub async fn id_by_name(db: &Db, name: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query("SELECT id FROM users WHERE name = $1")
        .bind(name)
        .fetch_optional(&db.pool)
        .await?
        .map(|r| r.try_get("id"))
        .transpose()
}

/// Every user as `(id, name)`, by name.
pub async fn list(db: &Db) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query("SELECT id, name FROM users ORDER BY name")
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
        .collect()
}

/// Creates a token for `user_id` (expiring at `expires_at`, Unix ms); returns the token, which
/// is stored only as its hash.
pub async fn create_token(
    db: &Db,
    user_id: &str,
    expires_at: Option<i64>,
) -> Result<String, sqlx::Error> {
    let token = random_id("kt");
    let _turn = db.write_guard().await;
    sqlx::query(
        "INSERT INTO tokens (hash, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash(&token))
    .bind(user_id)
    .bind(expires_at)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(token)
}

/// Deletes every token of `user_id`; returns how many.
pub async fn revoke_tokens(db: &Db, user_id: &str) -> Result<u64, sqlx::Error> {
    let _turn = db.write_guard().await;
    Ok(sqlx::query("DELETE FROM tokens WHERE user_id = $1")
        .bind(user_id)
        .execute(&db.pool)
        .await?
        .rows_affected())
}
