//! W3C Trace Context (`traceparent`), carried from incoming requests into log spans, onto
//! events written to the outbox, and onto outgoing HTTP calls; and the [`Span`]s that stand for
//! each unit of work: a request served (server), an event written to the outbox (producer), an
//! event handled by a consumer (consumer).
//!
//! The context is ours and always carried; spans are exported over OTLP only when
//! `telemetry.otlp_endpoint` is set ([`crate::telemetry::export_traces`]). The exported span
//! takes its ids from the context, so logs, events and the trace backend name the same span.

use std::{borrow::Cow, fmt};

use opentelemetry::trace::{
    Span as _, SpanContext, SpanId, SpanKind as OtelKind, Status, TraceContextExt as _, TraceFlags, TraceId,
    TraceState, Tracer as _,
};
use rand::RngCore;

/// One hop of a distributed trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceContext {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    pub sampled: bool,
}

tokio::task_local! {
    /// The trace context of the request (or event) this task is working on.
    static CURRENT: TraceContext;
}

impl TraceContext {
    /// A new root trace.
    pub fn new_root() -> Self {
        let mut rng = rand::thread_rng();
        let mut trace_id = [0u8; 16];
        let mut span_id = [0u8; 8];
        rng.fill_bytes(&mut trace_id);
        rng.fill_bytes(&mut span_id);
        Self { trace_id, span_id, sampled: true }
    }

    /// Parses a `traceparent` header (version 00). Invalid values are ignored by callers, as the
    /// spec asks: a broken header starts a new trace instead of failing the request.
    pub fn parse(header: &str) -> Option<Self> {
        let mut parts = header.trim().split('-');
        let (version, trace, span, flags) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if version != "00" || parts.next().is_some() {
            return None;
        }
        let trace_id: [u8; 16] = decode_hex(trace)?;
        let span_id: [u8; 8] = decode_hex(span)?;
        let [flags] = decode_hex::<1>(flags)?;
        if trace_id == [0; 16] || span_id == [0; 8] {
            return None;
        }
        Some(Self { trace_id, span_id, sampled: flags & 1 == 1 })
    }

    /// The context for a child operation: same trace, new span.
    pub fn child(&self) -> Self {
        let mut span_id = [0u8; 8];
        rand::thread_rng().fill_bytes(&mut span_id);
        Self { span_id, ..*self }
    }

    pub fn trace_id_hex(&self) -> String {
        encode_hex(&self.trace_id)
    }

    /// The context of the current task, if it runs inside [`TraceContext::scope`].
    pub fn current() -> Option<Self> {
        CURRENT.try_with(|c| *c).ok()
    }

    /// Runs `future` with `self` as the current context.
    pub async fn scope<F: Future>(self, future: F) -> F::Output {
        CURRENT.scope(self, future).await
    }
}

impl fmt::Display for TraceContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flags = if self.sampled { "01" } else { "00" };
        write!(f, "00-{}-{}-{flags}", encode_hex(&self.trace_id), encode_hex(&self.span_id))
    }
}

/// Adds the current context to an outgoing request's headers: the span serving the call there
/// becomes a child of the span making it here.
pub fn inject(headers: &mut http::HeaderMap) {
    if let Some(current) = TraceContext::current() {
        headers.insert("traceparent", http::HeaderValue::from_str(&current.to_string()).expect("ascii"));
    }
}

/// What a span stands for, in OpenTelemetry's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    /// A request served.
    Server,
    /// An event written to the outbox.
    Producer,
    /// An event handled by a consumer.
    Consumer,
}

/// One unit of work in a trace. Ends (and is exported, when exporting) when dropped.
pub struct Span {
    context: TraceContext,
    exported: Option<opentelemetry_sdk::trace::Span>,
}

impl Span {
    /// Starts a span as a child of `parent` (a caller's context), or as the root of a new trace.
    pub fn start(parent: Option<TraceContext>, kind: SpanKind, name: impl Into<Cow<'static, str>>) -> Self {
        let mut context = parent.map_or_else(TraceContext::new_root, |p| p.child());
        let Some(tracer) = crate::telemetry::tracer() else { return Self { context, exported: None } };
        let parent = parent.map_or_else(opentelemetry::Context::new, |p| {
            let flags = if p.sampled { TraceFlags::SAMPLED } else { TraceFlags::default() };
            let remote = SpanContext::new(
                TraceId::from_bytes(p.trace_id),
                SpanId::from_bytes(p.span_id),
                flags,
                true,
                TraceState::default(),
            );
            opentelemetry::Context::new().with_remote_span_context(remote)
        });
        let mut builder = tracer.span_builder(name).with_kind(match kind {
            SpanKind::Server => OtelKind::Server,
            SpanKind::Producer => OtelKind::Producer,
            SpanKind::Consumer => OtelKind::Consumer,
        });
        builder.trace_id = Some(TraceId::from_bytes(context.trace_id));
        builder.span_id = Some(SpanId::from_bytes(context.span_id));
        let span = tracer.build_with_context(builder, &parent);
        // The sampler decides new traces; what it decided travels on in `traceparent`.
        context.sampled = span.span_context().is_sampled();
        Self { context, exported: Some(span) }
    }

    /// A span that is never exported (probes, which would bury the traces worth reading).
    pub fn unexported(parent: Option<TraceContext>) -> Self {
        Self { context: parent.map_or_else(TraceContext::new_root, |p| p.child()), exported: None }
    }

    /// The context to run the work in and to hand on.
    pub fn context(&self) -> TraceContext {
        self.context
    }

    pub fn set_attribute(&mut self, key: &'static str, value: impl Into<opentelemetry::Value>) {
        if let Some(span) = &mut self.exported {
            span.set_attribute(opentelemetry::KeyValue::new(key, value));
        }
    }

    /// Marks the work as failed, with a short reason.
    pub fn fail(&mut self, reason: impl Into<Cow<'static, str>>) {
        if let Some(span) = &mut self.exported {
            span.set_status(Status::error(reason));
        }
    }
}

fn decode_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != N * 2 || !text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[i * 2..i * 2 + 2], 16).ok()?;
    }
    Some(out)
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_traceparent_round_trips() {
        let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let parsed = TraceContext::parse(header).unwrap();
        assert!(parsed.sampled);
        assert_eq!(parsed.to_string(), header);
        let child = parsed.child();
        assert_eq!(child.trace_id, parsed.trace_id);
        assert_ne!(child.span_id, parsed.span_id);
    }

    #[test]
    fn malformed_traceparents_are_ignored() {
        for bad in [
            "",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ] {
            assert_eq!(TraceContext::parse(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn the_current_context_is_scoped_to_a_task() {
        assert_eq!(TraceContext::current(), None);
        let root = TraceContext::new_root();
        let seen = root.scope(async { TraceContext::current() }).await;
        assert_eq!(seen, Some(root));
    }
}
