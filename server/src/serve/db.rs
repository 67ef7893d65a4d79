//! Storage: one sqlx pool over SQLite (embedded default, WAL) or PostgreSQL, with migrations,
//! the server epoch, ids and token hashing.

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Row};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    /// SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// The database.
#[derive(Debug)]
pub struct Db {
    /// The pool.
    pub pool: AnyPool,
    /// SQLite or PostgreSQL.
    pub kind: DbKind,
    /// SQLite allows one writer: write transactions queue here instead of failing busy.
    pub write_lock: tokio::sync::Mutex<()>,
}

impl Db {
    /// Connects to `url` (`sqlite://PATH` — created if missing — or `postgres://…`) and runs
    /// the migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        install_default_drivers();
        let (kind, url) = if let Some(path) = url.strip_prefix("sqlite://") {
            if let Some(dir) = std::path::Path::new(path.split('?').next().unwrap_or(path)).parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir)?;
            }
            let sep = if url.contains('?') { '&' } else { '?' };
            let url = if url.contains("mode=") {
                url.to_string()
            } else {
                format!("{url}{sep}mode=rwc")
            };
            (DbKind::Sqlite, url)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (DbKind::Postgres, url.to_string())
        } else {
            anyhow::bail!("unsupported database URL `{url}`; use sqlite://PATH or postgres://…");
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if kind == DbKind::Sqlite { 4 } else { 16 })
            .connect(&url)
            .await?;
        if kind == DbKind::Sqlite {
            sqlx::query("PRAGMA journal_mode=WAL")
                .execute(&pool)
                .await?;
        }
        match kind {
            DbKind::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            DbKind::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        let db = Db {
            pool,
            kind,
            write_lock: tokio::sync::Mutex::new(()),
        };
        if db.meta("epoch").await?.is_none() {
            db.new_epoch().await?;
        }
        Ok(db)
    }

    /// Serializes write transactions on SQLite (one writer at a time); PostgreSQL needs no
    /// process-local lock (rows lock in the database, across processes).
    pub async fn write_guard(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.kind {
            DbKind::Sqlite => Some(self.write_lock.lock().await),
            DbKind::Postgres => None,
        }
    }

    /// A value of the `meta` table.
    pub async fn meta(&self, key: &str) -> Result<Option<String>, sqlx::Error> {
        let row = sqlx::query("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.try_get::<String, _>("value")).transpose()
    }

    /// The server epoch: changes when the database is restored from a backup.
    pub async fn epoch(&self) -> Result<String, sqlx::Error> {
        Ok(self.meta("epoch").await?.unwrap_or_default())
    }

    /// Starts a new epoch (run after restoring a backup): clients re-push what they own.
    pub async fn new_epoch(&self) -> Result<String, sqlx::Error> {
        let epoch = random_id("e");
        sqlx::query("DELETE FROM meta WHERE key = 'epoch'")
            .execute(&self.pool)
            .await?;
        sqlx::query("INSERT INTO meta (key, value) VALUES ('epoch', $1)")
            .bind(&epoch)
            .execute(&self.pool)
            .await?;
        Ok(epoch)
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A random id with a prefix, e.g. `u_3f9c…` (16 random bytes, hex).
pub fn random_id(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    format!("{prefix}_{}", hex::encode(bytes))
}

/// The stored form of a token: its sha256 (tokens are 256-bit random, so no slow hash is
/// needed; the database never holds a usable token).
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}
