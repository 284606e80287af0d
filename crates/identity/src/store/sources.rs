//! Source accounts, made and updated from the crawler's events (inside the consumer's change,
//! so a redelivered event changes nothing twice).

use contracts::{
    AccountKind, Role,
    crawler::SourceProfile,
    identity::{IdentityEvent, UserRegistered, UserUpdated},
};
use platform::{Change, db::now_ms};
use sqlx::Row;

use crate::domain::{
    IdentityError,
    fields::Username,
    sources::{bio, display_name, username_candidates},
};

/// Creates the account of a new source under the first free username of its candidates; an
/// account that already exists (a redelivery) is left alone.
pub async fn create(change: &mut Change, source: &SourceProfile) -> Result<(), IdentityError> {
    let id = source.account_id.to_string();
    if sqlx::query("SELECT 1 FROM users WHERE id = $1").bind(&id).fetch_optional(change.conn()).await?.is_some() {
        return Ok(());
    }
    let username = free_username(change, &source.username).await?;
    let display_name = display_name(&source.display_name, &username);
    let bio = bio(&source.bio);
    let now = now_ms();
    sqlx::query(
        "INSERT INTO users (id, username, username_key, email, email_key, display_name, bio, password_hash, role, \
         status, kind, created_at_ms, updated_at_ms) \
         VALUES ($1, $2, $3, '', $4, $5, $6, '!', 'user', 'active', 'source', $7, $7)",
    )
    .bind(&id)
    .bind(username.as_str())
    .bind(username.key())
    .bind(format!("source:{id}"))
    .bind(display_name.as_str())
    .bind(&bio)
    .bind(now)
    .execute(change.conn())
    .await?;
    change
        .emit(&IdentityEvent::UserRegistered(UserRegistered {
            user_id: source.account_id,
            username: username.as_str().to_owned(),
            display_name: display_name.as_str().to_owned(),
            role: Role::User,
            kind: AccountKind::Source,
        }))
        .await?;
    if !bio.is_empty() {
        change
            .emit(&IdentityEvent::UserUpdated(UserUpdated {
                user_id: source.account_id,
                username: username.as_str().to_owned(),
                display_name: display_name.as_str().to_owned(),
                bio,
                avatar_media_id: None,
            }))
            .await?;
    }
    Ok(())
}

/// Updates a source's display name and bio; nothing for an account that is not a source's.
pub async fn update(change: &mut Change, source: &SourceProfile) -> Result<(), IdentityError> {
    let row = sqlx::query("SELECT username, avatar_media_id FROM users WHERE id = $1 AND kind = 'source'")
        .bind(source.account_id.to_string())
        .fetch_optional(change.conn())
        .await?;
    let Some(row) = row else { return Ok(()) };
    let username: String = row.try_get("username")?;
    let fallback = Username::parse(&username).map_err(|e| anyhow::anyhow!("stored username {username}: {e:?}"))?;
    let display_name = display_name(&source.display_name, &fallback);
    let bio = bio(&source.bio);
    sqlx::query("UPDATE users SET display_name = $1, bio = $2, updated_at_ms = $3 WHERE id = $4")
        .bind(display_name.as_str())
        .bind(&bio)
        .bind(now_ms())
        .bind(source.account_id.to_string())
        .execute(change.conn())
        .await?;
    change
        .emit(&IdentityEvent::UserUpdated(UserUpdated {
            user_id: source.account_id,
            username,
            display_name: display_name.as_str().to_owned(),
            bio,
            avatar_media_id: row.try_get("avatar_media_id")?,
        }))
        .await?;
    Ok(())
}

/// Makes `media` (an image content stored from the source's feed) the source's avatar;
/// nothing for an account that is not a source's, or when it is the avatar already. An
/// account not made yet (its `crawler.source.created` is still on its way) is an error, so
/// that the event is delivered again.
pub async fn set_avatar(change: &mut Change, account: uuid::Uuid, media: &str) -> Result<(), IdentityError> {
    let row = sqlx::query("SELECT username, display_name, bio, avatar_media_id, kind FROM users WHERE id = $1")
        .bind(account.to_string())
        .fetch_optional(change.conn())
        .await?;
    let Some(row) = row else {
        return Err(anyhow::anyhow!("the avatar of source account {account}, which does not exist yet").into());
    };
    if row.try_get::<String, _>("kind")? != "source" {
        return Ok(());
    }
    if row.try_get::<Option<String>, _>("avatar_media_id")?.as_deref() == Some(media) {
        return Ok(());
    }
    sqlx::query("UPDATE users SET avatar_media_id = $1, updated_at_ms = $2 WHERE id = $3")
        .bind(media)
        .bind(now_ms())
        .bind(account.to_string())
        .execute(change.conn())
        .await?;
    change
        .emit(&IdentityEvent::UserUpdated(UserUpdated {
            user_id: account,
            username: row.try_get("username")?,
            display_name: row.try_get("display_name")?,
            bio: row.try_get("bio")?,
            avatar_media_id: Some(media.to_owned()),
        }))
        .await?;
    Ok(())
}

/// The first candidate no account or pending registration holds. A registration that takes
/// the name in the meantime makes the insert fail, and the redelivered event tries again.
async fn free_username(change: &mut Change, proposed: &str) -> Result<Username, IdentityError> {
    for candidate in username_candidates(proposed) {
        let taken = sqlx::query(
            "SELECT 1 FROM users WHERE username_key = $1 \
             UNION ALL SELECT 1 FROM registrations WHERE username_key = $1 AND expires_at_ms > $2",
        )
        .bind(candidate.key())
        .bind(now_ms())
        .fetch_optional(change.conn())
        .await?;
        if taken.is_none() {
            return Ok(candidate);
        }
    }
    Err(anyhow::anyhow!("every username derived from {proposed:?} is taken").into())
}
