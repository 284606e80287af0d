//! An event family: the events one producer publishes.

/// The events of one producer, as one enum: each variant is a topic and carries its payload.
pub trait EventFamily: Sized {
    /// The subscription pattern that matches every topic of the family (NATS subject rules).
    const TOPICS: &'static str;
    /// The schema version written on every event of the family.
    const VERSION: u32;
    /// Every topic of the family.
    const ALL: &'static [&'static str];

    /// The topic of this event, `service.entity.verb`.
    fn topic(&self) -> &'static str;

    /// The payload as it travels.
    fn to_payload(&self) -> serde_json::Value;

    /// The event of `topic` with `payload`; `Ok(None)` for a topic this family does not know
    /// (published by a newer producer).
    fn from_payload(topic: &str, payload: serde_json::Value) -> Result<Option<Self>, serde_json::Error>;
}

/// Declares an event family: the enum, its topics and its version, from one list. Each topic
/// string appears once, here.
macro_rules! event_family {
    (
        $(#[$meta:meta])*
        pub enum $family:ident : $topics:literal, version $version:literal {
            $( $(#[$vmeta:meta])* $variant:ident($payload:ty) = $topic:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub enum $family {
            $( $(#[$vmeta])* $variant($payload), )*
        }

        impl $crate::family::EventFamily for $family {
            const TOPICS: &'static str = $topics;
            const VERSION: u32 = $version;
            const ALL: &'static [&'static str] = &[$($topic),*];

            fn topic(&self) -> &'static str {
                match self {
                    $( Self::$variant(_) => $topic, )*
                }
            }

            fn to_payload(&self) -> serde_json::Value {
                match self {
                    $( Self::$variant(payload) => serde_json::to_value(payload).expect("event payloads serialize"), )*
                }
            }

            fn from_payload(topic: &str, payload: serde_json::Value) -> Result<Option<Self>, serde_json::Error> {
                match topic {
                    $( $topic => serde_json::from_value(payload).map(|p| Some(Self::$variant(p))), )*
                    _ => Ok(None),
                }
            }
        }
    };
}
