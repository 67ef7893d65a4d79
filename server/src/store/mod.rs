//! The store: every SQL statement of the server, over one sqlx pool on SQLite (embedded
//! default, WAL) or PostgreSQL, with the migrations, the server epoch, ids and token hashing.
//! One file per table group; functions return typed rows and `sqlx::Error`. Nothing here
//! knows about HTTP, the CLI or the rules of the domain (which rows a caller may see is
//! decided above, and passed in).

pub mod embeddings;
pub mod invitations;
pub mod items;
pub mod jobs;
pub mod labels;
pub mod leases;
pub mod models;
pub mod projects;
pub mod types;
pub mod users;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Row};

pub use crate::clock::now_ms;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// A transaction on the pool.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

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
    write_lock: tokio::sync::Mutex<()>,
    /// One lease transaction at a time in this process (see [`Db::lease_turn`]).
    lease_lock: tokio::sync::Mutex<()>,
}

/// A write transaction, holding SQLite's process-local writer turn (see [`Db::write`]).
pub struct Write<'a> {
    /// The transaction.
    pub tx: Tx,
    _turn: Option<tokio::sync::MutexGuard<'a, ()>>,
}

impl Write<'_> {
    /// Commits the transaction (and gives up the writer turn).
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
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
            lease_lock: tokio::sync::Mutex::new(()),
        };
        if db.meta("epoch").await?.is_none() {
            db.new_epoch().await?;
        }
        Ok(db)
    }

    /// Serializes writes on SQLite (one writer at a time); PostgreSQL needs no process-local
    /// lock (rows lock in the database, across processes).
    pub async fn write_guard(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.kind {
            DbKind::Sqlite => Some(self.write_lock.lock().await),
            DbKind::Postgres => None,
        }
    }

    /// Begins a write transaction (after waiting for SQLite's writer turn). On SQLite it is
    /// `BEGIN IMMEDIATE`: the database's write lock is taken at the start, waiting (busy
    /// timeout) while another process — `kindling admin` beside `kindling serve` — writes. A
    /// deferred `BEGIN` that read first and then wrote failed at once with "database is locked"
    /// when the other process had committed in between (SQLite cannot wait there).
    pub async fn write(&self) -> Result<Write<'_>, sqlx::Error> {
        let turn = self.write_guard().await;
        let tx = match self.kind {
            DbKind::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            DbKind::Postgres => self.pool.begin().await?,
        };
        Ok(Write { tx, _turn: turn })
    }

    /// The process's turn to lease. Leases of a project serialize in the database anyway (the
    /// project's row lock on PostgreSQL, the writer turn on SQLite); queueing them here first
    /// keeps waiting leases from holding pool connections that pushes and pulls need (200
    /// leases at once held all 16 and pushes timed out waiting for a connection).
    pub async fn lease_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.lease_lock.lock().await
    }

    /// Refreshes the query planner's statistics (after a bulk import).
    pub async fn analyze(&self) -> Result<(), sqlx::Error> {
        sqlx::query("ANALYZE").execute(&self.pool).await?;
        Ok(())
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

/// A random id with a prefix, e.g. `u_3f9c…` (16 random bytes, hex).
pub fn random_id(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    format!("{prefix}_{}", hex::encode(bytes))
}

/// The stored form of a token: its sha256 (tokens are 128-bit random ids, so no slow hash is
/// needed; the database never holds a usable token).
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// Whether a database error says the disk is full (SQLite `SQLITE_FULL`, PostgreSQL
/// `disk_full` 53100).
pub fn is_disk_full(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            matches!(db.code().as_deref(), Some("13") | Some("53100"))
                || db.message().contains("disk is full")
        }
        sqlx::Error::Io(io) => io.kind() == std::io::ErrorKind::StorageFull,
        _ => false,
    }
}

/// Whether a database error is a unique-constraint violation.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// Reads an optional JSON text column (a value that does not parse reads as none).
pub(crate) fn json_column(
    r: &sqlx::any::AnyRow,
    name: &str,
) -> Result<Option<serde_json::Value>, sqlx::Error> {
    Ok(r.try_get::<Option<String>, _>(name)?
        .and_then(|s| serde_json::from_str(&s).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two processes on one SQLite file (`kindling admin` beside `kindling serve`): a write
    /// transaction that reads first, while the other process commits a write, still commits —
    /// it waits for its turn instead of failing with "database is locked".
    #[tokio::test]
    async fn a_write_transaction_waits_for_another_process_instead_of_failing_busy() {
        let dir = std::env::temp_dir().join(format!("kindling-store-{}", random_id("t")));
        let url = format!("sqlite://{}/k.db", dir.display());
        // Two pools: two writers that share no process-local lock, as two processes.
        let (a, b) = (
            Db::connect(&url).await.unwrap(),
            Db::connect(&url).await.unwrap(),
        );
        let mut w = a.write().await.unwrap();
        sqlx::query("SELECT value FROM meta WHERE key = 'epoch'")
            .fetch_optional(&mut *w.tx)
            .await
            .unwrap();
        let other = tokio::spawn(async move {
            sqlx::query("INSERT INTO meta (key, value) VALUES ('other', 'b')")
                .execute(&b.pool)
                .await
        });
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        sqlx::query("INSERT INTO meta (key, value) VALUES ('mine', 'a')")
            .execute(&mut *w.tx)
            .await
            .expect("the first writer keeps its turn");
        w.commit().await.unwrap();
        other
            .await
            .unwrap()
            .expect("the other writer waited and wrote");
        assert_eq!(a.meta("mine").await.unwrap().as_deref(), Some("a"));
        assert_eq!(a.meta("other").await.unwrap().as_deref(), Some("b"));
        std::fs::remove_dir_all(dir).ok();
    }
}
