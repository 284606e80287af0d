//! Account fields that validate on construction: a value of these types is always acceptable,
//! so the rest of the service never re-checks them.

use platform::http::{
    FieldError,
    spec::{CONTROL_CLASS, WHITESPACE_CLASS},
};

/// Names nobody may register: they would impersonate the instance or collide with routes.
const RESERVED_USERNAMES: &[&str] = &[
    "admin",
    "administrator",
    "root",
    "system",
    "riffle",
    "api",
    "support",
    "help",
    "moderator",
    "mod",
    "staff",
    "security",
    "abuse",
    "postmaster",
    "webmaster",
    "me",
    "settings",
    "about",
    "login",
    "logout",
    "register",
    "signup",
    "signin",
    "auth",
    "null",
    "undefined",
    "anonymous",
    "everyone",
    "public",
    "official",
];

/// A username: 3 to 30 ASCII letters, digits or underscores, starting with a letter. Unique
/// without regard to case; the chosen casing is kept for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// [`Username::parse`]'s rule as a regular expression (ECMA-262), for the API's schema.
    pub fn pattern() -> String {
        let either_case = |name: &str| -> String {
            name.chars().map(|c| format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase())).collect()
        };
        let reserved: Vec<String> =
            RESERVED_USERNAMES.iter().filter(|n| n.len() >= 3).map(|n| either_case(n)).collect();
        format!("^(?!(?:{})$)[A-Za-z][A-Za-z0-9_]{{2,29}}$", reserved.join("|"))
    }

    pub const RULES: &'static str =
        "3 to 30 characters: ASCII letters, digits and underscores, starting with a letter; not a reserved name";

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let err = |m: &str| FieldError::new("username", m);
        let len = raw.chars().count();
        if !(3..=30).contains(&len) {
            return Err(err("must be 3 to 30 characters"));
        }
        if !raw.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(err("must start with a letter"));
        }
        if !raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(err("may contain only ASCII letters, digits and underscores"));
        }
        if RESERVED_USERNAMES.contains(&raw.to_ascii_lowercase().as_str()) {
            return Err(err("is reserved"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form that uniqueness is checked on.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// An email address, checked for shape only (delivery is what proves it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// [`Email::parse`]'s rule as a regular expression (ECMA-262), for the API's schema.
    pub fn pattern() -> String {
        let (w, c) = (WHITESPACE_CLASS, CONTROL_CLASS);
        let label = format!("[^@.{w}{c}-](?:[^@.{w}{c}]*[^@.{w}{c}-])?");
        format!("^[{w}]*(?=[^@{w}{c}]{{1,64}}@)(?=[^{w}{c}]{{3,254}}[{w}]*$)[^@{w}{c}]+@(?:{label}\\.)+{label}[{w}]*$")
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let err = || FieldError::new("email", "must be an address like name@example.org");
        let raw = raw.trim();
        if raw.chars().count() > 254 || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(err());
        }
        let (local, domain) = raw.rsplit_once('@').ok_or_else(err)?;
        if local.is_empty() || local.chars().count() > 64 || local.contains('@') {
            return Err(err());
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 || labels.iter().any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-')) {
            return Err(err());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A display name: 1 to 50 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// [`DisplayName::parse`]'s rule as a regular expression (ECMA-262), for the API's schema.
    pub fn pattern() -> String {
        let (w, c) = (WHITESPACE_CLASS, CONTROL_CLASS);
        format!("^[{w}]*[^{w}{c}](?:[^{c}]{{0,48}}[^{w}{c}])?[{w}]*$")
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        let len = trimmed.chars().count();
        if !(1..=50).contains(&len) {
            return Err(FieldError::new("display_name", "must be 1 to 50 characters"));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(FieldError::new("display_name", "must not contain control characters"));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password, per OWASP ASVS 5: 8 to 128 characters, no composition rules, and hard to
/// guess by `zxcvbn`'s estimate (which knows the passwords of public breaches, dictionary words,
/// keyboard patterns, dates and the account's own names). Never logged: `Debug` is redacted.
#[derive(Clone)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// The least `zxcvbn` score accepted: `Two`, more than 10^6 guesses estimated. That is beyond
/// any online attack the throttle lets through (at most 100 attempts an hour per account), and
/// it is what 8 unrelated characters reach: `zxcvbn` counts characters it finds no pattern in
/// as 10 guesses each, whatever the script, so `Three` would refuse every 8- and 9-character
/// password the length rule allows.
pub const MIN_PASSWORD_SCORE: zxcvbn::Score = zxcvbn::Score::Two;

impl NewPassword {
    pub const RULES: &'static str = "8 to 128 characters, hard to guess: not a common or breached password, \
         a word, a pattern or your own names";

    /// `own` are the account's names and email, which a password must not be made of.
    pub fn parse(field: &str, raw: &str, own: &[&str]) -> Result<Self, FieldError> {
        let len = raw.chars().count();
        if len < 8 {
            return Err(FieldError::new(field, "must be at least 8 characters"));
        }
        if len > 128 {
            return Err(FieldError::new(field, "must be at most 128 characters"));
        }
        let estimate = zxcvbn::zxcvbn(raw, own);
        if estimate.score() < MIN_PASSWORD_SCORE {
            let mut message = String::from("is too easy to guess");
            if let Some(feedback) = estimate.feedback() {
                if let Some(warning) = feedback.warning() {
                    message = format!("{message}: {warning}");
                }
                let tips: Vec<String> = feedback.suggestions().iter().map(|s| s.to_string()).collect();
                if !tips.is_empty() {
                    message = format!("{message}. {}", tips.join(" "));
                }
            }
            if !message.ends_with('.') {
                message.push_str(". A few uncommon words together make a strong password.");
            }
            return Err(FieldError::new(field, message));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_documented_rules() {
        for ok in ["ada", "Ada_Lovelace", "a12", &"x".repeat(30)] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["ab", "1abc", "_abc", "ab-c", "abc def", "ädam", &"x".repeat(31), "Admin", "ROOT"] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Username::parse("Ada").unwrap().key(), "ada");
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(Email::parse("ada@example.org").is_ok());
        for bad in ["ada", "@example.org", "ada@", "ada@localhost", "a da@example.org", "ada@-x.org", "ada@x..org"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Email::parse("Ada@Example.ORG").unwrap().key(), "ada@example.org");
    }

    #[test]
    fn passwords_are_length_checked_and_hard_to_guess() {
        let parse = |raw: &str| NewPassword::parse("password", raw, &["ada_lovelace", "ada@example.org"]);
        assert!(parse("correct horse battery").is_ok());
        assert!(parse("山高月小水落石出").is_ok(), "8 characters, not 8 bytes");
        assert!(parse("short").is_err());
        assert!(parse(&"x".repeat(129)).is_err());
        for weak in ["Password1", "password123", "qwertyuiop", "11111111", "iloveyou2", "ada_lovelace1"] {
            let err = parse(weak).unwrap_err();
            assert!(err.message.starts_with("is too easy to guess"), "{weak}: {}", err.message);
            assert!(err.message.len() > "is too easy to guess".len() + 10, "says why and what to do: {}", err.message);
        }
        assert!(format!("{:?}", parse("correct horse battery").unwrap()).contains("***"));
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Ada  ").unwrap().as_str(), "Ada");
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"é".repeat(50)).is_ok());
        assert!(DisplayName::parse(&"é".repeat(51)).is_err());
        assert!(DisplayName::parse("a\u{0007}b").is_err());
    }
}
