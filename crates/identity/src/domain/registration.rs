//! Registration with a confirmed email address. An account exists once its owner follows the
//! link sent to the address they gave; until then the registration holds only its username.
//!
//! An address that belongs to an account already is answered exactly like a free one: the
//! registration is accepted and held the same way, but nothing can confirm it, and the
//! address's owner is told that someone tried to sign up with it. So neither registration nor
//! signing in tells anyone which addresses have accounts. (A pending registration signs in only
//! by its username, and answers "confirm your address first" whichever case it is.)

use crate::domain::fields::{Email, Username};

/// How long a registration waits for its confirmation (and holds its username).
pub const PENDING_FOR_MS: i64 = 24 * 3600 * 1000;

/// A plain-text mail.
pub struct Letter {
    pub subject: String,
    pub text: String,
}

/// The mail that confirms a free address: a link to the web app's page, and the token alone for
/// API clients.
pub fn confirmation(public_url: &str, username: &Username, token: &str) -> Letter {
    let base = public_url.trim_end_matches('/');
    Letter {
        subject: "Confirm your Riffle account".into(),
        text: format!(
            "Hello {username},\n\n\
             to finish creating your Riffle account, open this link within 24 hours:\n\n\
             {base}/confirm?token={token}\n\n\
             or send this token to POST /api/v1/auth/confirm:\n\n\
             token: {token}\n\n\
             If you did not sign up, ignore this message: no account is made without it.\n",
            username = username.as_str(),
        ),
    }
}

/// The mail to the owner of an address someone tried to register again.
pub fn already_registered(public_url: &str, email: &Email) -> Letter {
    let base = public_url.trim_end_matches('/');
    Letter {
        subject: "Someone tried to sign up with your address".into(),
        text: format!(
            "Someone tried to create a Riffle account at {base} with {email}, which already has \
             one.\n\nIf it was you, sign in with your username or this address instead. If it was \
             not, you need not do anything: no second account was made.\n",
            email = email.as_str(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_confirmation_carries_the_link_and_the_token_on_short_lines() {
        let letter = confirmation("http://localhost:8000/", &Username::parse("ada").unwrap(), "T0KEN");
        assert!(letter.text.contains("http://localhost:8000/confirm?token=T0KEN\n"));
        assert!(letter.text.contains("\ntoken: T0KEN\n"), "a line a client can read the token from");
    }
}
