//! The module graph: which services exist, what each needs, and how a `--target` list resolves.
//!
//! Like Loki's `-target`, a target is a service or a group (a plain union of services), and the
//! process runs the union of what its targets resolve to. A service named in the design but not
//! built yet is refused by name instead of being silently skipped.

use std::fmt;

/// A deployable service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Module {
    Identity,
    Content,
    Graph,
    Feed,
    Search,
    Crawler,
}

/// What a module needs from the process besides its own database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Its own relational database (`database.url`).
    Database,
    /// The event bus (`events.url`).
    Events,
    /// Signing keys to verify access tokens: in process from identity, or `auth.jwks_url`.
    TokenKeys,
}

impl Module {
    /// Every module, in start-up order (identity first: others verify tokens with its keys).
    pub const ALL: [Module; 6] =
        [Module::Identity, Module::Content, Module::Graph, Module::Feed, Module::Search, Module::Crawler];

    pub fn name(self) -> &'static str {
        match self {
            Module::Identity => "identity",
            Module::Content => "content",
            Module::Graph => "graph",
            Module::Feed => "feed",
            Module::Search => "search",
            Module::Crawler => "crawler",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Module::Identity => "accounts, sessions, tokens, roles, audit",
            Module::Content => "posts, media, reactions, moderation",
            Module::Graph => "follows, blocks, mutes, suggestions",
            Module::Feed => "public, tag and user streams (home and for-you next)",
            Module::Search => "full-text search over posts and people",
            Module::Crawler => "RSS/Atom/JSON feed ingestion",
        }
    }

    pub fn needs(self) -> &'static [Need] {
        match self {
            Module::Identity => &[Need::Database, Need::Events],
            _ => &[Need::Database, Need::Events, Need::TokenKeys],
        }
    }

    /// Whether the service is built yet.
    pub fn available(self) -> bool {
        matches!(self, Module::Identity | Module::Content | Module::Graph | Module::Feed)
    }

    fn from_name(name: &str) -> Option<Module> {
        Module::ALL.into_iter().find(|m| m.name() == name)
    }
}

impl fmt::Display for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Groups: names for unions of modules.
pub const GROUPS: &[(&str, &str)] = &[("all", "every available service in one process")];

fn group(name: &str) -> Option<Vec<Module>> {
    match name {
        "all" => Some(Module::ALL.into_iter().filter(|m| m.available()).collect()),
        _ => None,
    }
}

/// Why a `--target` value was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    #[error("unknown target `{0}`; run `riffle targets` to list them")]
    Unknown(String),
    #[error("target `{0}` is not available yet: the {0} service is not built in this version of riffle")]
    NotAvailable(String),
    #[error("no target given")]
    Empty,
}

/// Resolves a comma-separated target list into modules in start-up order, without duplicates.
pub fn resolve(spec: &str) -> Result<Vec<Module>, TargetError> {
    let mut modules = Vec::new();
    for name in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match (Module::from_name(name), group(name)) {
            (Some(module), _) if module.available() => modules.push(module),
            (Some(_), _) => return Err(TargetError::NotAvailable(name.to_owned())),
            (None, Some(members)) => modules.extend(members),
            (None, None) => return Err(TargetError::Unknown(name.to_owned())),
        }
    }
    if modules.is_empty() {
        return Err(TargetError::Empty);
    }
    modules.sort();
    modules.dedup();
    Ok(modules)
}

/// The text of `riffle targets`.
pub fn describe() -> String {
    let mut out = String::from("Services (run one or more with `riffle serve --target a,b`):\n");
    for module in Module::ALL {
        let needs: Vec<&str> = module
            .needs()
            .iter()
            .map(|n| match n {
                Need::Database => "database",
                Need::Events => "events",
                Need::TokenKeys => "token keys",
            })
            .collect();
        let status = if module.available() { "" } else { "  (not available yet)" };
        out.push_str(&format!(
            "  {:<9} {} [needs: {}]{status}\n",
            module.name(),
            module.description(),
            needs.join(", ")
        ));
    }
    out.push_str("Groups:\n");
    for (name, description) in GROUPS {
        let members: Vec<&str> = group(name).unwrap_or_default().into_iter().map(Module::name).collect();
        out.push_str(&format!("  {name:<9} {description} = {}\n", members.join(" + ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_the_union_of_available_services() {
        let all = resolve("all").unwrap();
        assert!(all.iter().all(|m| m.available()));
        assert!(all.contains(&Module::Identity));
    }

    #[test]
    fn lists_are_deduplicated_and_ordered() {
        assert_eq!(resolve(" identity ,all,identity").unwrap(), resolve("all").unwrap());
    }

    #[test]
    fn unknown_and_unbuilt_targets_are_refused_by_name() {
        assert_eq!(resolve("identity,nope"), Err(TargetError::Unknown("nope".into())));
        let unbuilt = Module::ALL.into_iter().find(|m| !m.available());
        if let Some(module) = unbuilt {
            let err = resolve(module.name()).unwrap_err();
            assert_eq!(err, TargetError::NotAvailable(module.name().into()));
            assert!(err.to_string().contains("not available yet"));
        }
        assert_eq!(resolve(""), Err(TargetError::Empty));
    }
}
