//! Outgoing email, one port with three transports chosen by `mail.url`: the log (the default,
//! so a fresh machine sends nothing anywhere), `.eml` files in a directory (tests, and a way to
//! look at what would be sent), and SMTP through `lettre`.

use std::path::PathBuf;

use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, SinglePart},
};

use crate::config::{ConfigError, MailConfig, redact_url};

/// Where messages go.
#[derive(Clone)]
pub enum Transport {
    Log,
    Files(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Transport {
    /// The transport `mail.url` names, or what is wrong with it.
    pub fn parse(url: &str) -> Result<Transport, ConfigError> {
        let bad = |why: &str| ConfigError::key("mail.url", redact_url(url), why);
        if url == "log:" {
            return Ok(Transport::Log);
        }
        if let Some(dir) = url.strip_prefix("file://") {
            if dir.is_empty() {
                return Err(bad("expected file:///DIR"));
            }
            return Ok(Transport::Files(PathBuf::from(dir)));
        }
        if url.starts_with("smtp://") || url.starts_with("smtps://") {
            let smtp = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map_err(|e| bad(&format!("not an SMTP URL lettre accepts: {e}")))?;
            return Ok(Transport::Smtp(smtp.build()));
        }
        Err(bad("expected `log:`, `file:///DIR`, `smtp://user:pass@host:587` or `smtps://user:pass@host:465`"))
    }
}

/// A message to one person, in plain text.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// Sends mail from `mail.from` through the configured transport.
#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

impl Mailer {
    pub fn new(config: &MailConfig) -> Result<Mailer, ConfigError> {
        let from = config.from.parse().map_err(|_| {
            ConfigError::key("mail.from", &config.from, "expected a mailbox like `Riffle <riffle@example.org>`")
        })?;
        Ok(Mailer { from, transport: Transport::parse(&config.url)? })
    }

    /// Sends `mail`. Its text is encoded as it needs (7-bit when it can; quoted-printable for
    /// lines longer than 76 characters, which mail readers undo).
    pub async fn send(&self, mail: Mail) -> anyhow::Result<()> {
        let to: Mailbox = mail.to.parse().map_err(|e| anyhow::anyhow!("recipient {}: {e}", mail.to))?;
        if let Transport::Log = self.transport {
            tracing::info!(to = %to, subject = %mail.subject, text = %mail.text, "mail (mail.url = log:)");
            return Ok(());
        }
        let body = SinglePart::builder().header(lettre::message::header::ContentType::TEXT_PLAIN).body(mail.text);
        let message = Message::builder().from(self.from.clone()).to(to).subject(mail.subject).singlepart(body)?;
        match &self.transport {
            Transport::Log => unreachable!("handled above"),
            Transport::Files(dir) => {
                tokio::fs::create_dir_all(dir).await?;
                AsyncFileTransport::<Tokio1Executor>::new(dir).send(message).await?;
            }
            Transport::Smtp(smtp) => {
                smtp.send(message).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_the_transport_and_bad_ones_say_what_is_allowed() {
        assert!(matches!(Transport::parse("log:"), Ok(Transport::Log)));
        assert!(
            matches!(Transport::parse("file:///tmp/mail"), Ok(Transport::Files(dir)) if dir == std::path::Path::new("/tmp/mail"))
        );
        assert!(matches!(Transport::parse("smtp://user:secret@mail.example.org:587"), Ok(Transport::Smtp(_))));
        let err = Transport::parse("mailto:someone").err().unwrap().to_string();
        assert!(err.contains("mail.url") && err.contains("smtp://"), "{err}");
        let err = Transport::parse("ftp://user:secret@x").err().unwrap().to_string();
        assert!(!err.contains("secret"), "passwords stay out of messages: {err}");
    }

    #[tokio::test]
    async fn file_transport_writes_a_readable_message() {
        let dir = tempfile::tempdir().unwrap();
        let config =
            MailConfig { url: format!("file://{}", dir.path().display()), from: "Riffle <r@example.org>".into() };
        let link = format!("http://localhost:8000/confirm?token={}", "a".repeat(32));
        let mail = Mail { to: "ada@example.org".into(), subject: "Confirm".into(), text: format!("Open {link}\n") };
        Mailer::new(&config).unwrap().send(mail).await.unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(files.len(), 1);
        let written = std::fs::read_to_string(files[0].path()).unwrap();
        assert!(written.contains("To: ada@example.org") && written.contains(&link), "{written}");
    }
}
