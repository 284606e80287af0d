//! The graph's background work: who-to-follow suggestions, computed for the users who asked
//! for them, and the popular accounts they fall back on.

use std::{sync::Arc, time::Duration};

use tokio_util::sync::CancellationToken;

use crate::{Graph, store::suggestions};

/// Users computed per round.
const ROUND: usize = 50;
/// How often the popular accounts are counted again (a full pass over the follows), and every
/// round while fewer than a list's worth are known (a young instance, where the pass is cheap).
const POPULAR_EVERY: Duration = Duration::from_secs(600);

/// Computes the suggestions asked for (woken by requests, else every few seconds), and the
/// popular accounts every ten minutes.
pub async fn suggest(graph: Arc<Graph>, shutdown: CancellationToken) {
    let mut popular_at: Option<tokio::time::Instant> = None;
    loop {
        let round = async {
            let short = graph.popular().len() < suggestions::KEPT;
            if short || popular_at.is_none_or(|at| at.elapsed() >= POPULAR_EVERY) {
                let popular = suggestions::popular(&graph.store, suggestions::KEPT * 2).await?;
                *graph.popular.write().expect("not poisoned") = Arc::new(popular);
                popular_at = Some(tokio::time::Instant::now());
            }
            let popular = graph.popular();
            let users = suggestions::wanted(&graph.store, ROUND).await?;
            for user in &users {
                let list = suggestions::compute(&graph.store, *user, &popular).await?;
                suggestions::save(&graph.store, *user, &list).await?;
            }
            Ok::<_, crate::domain::GraphError>(users.len())
        };
        let busy = match round.await {
            Ok(n) => n == ROUND,
            Err(err) => {
                tracing::warn!(error = format!("{err:#}"), "computing suggestions failed; will retry");
                false
            }
        };
        if busy {
            continue;
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = graph.suggestions_wanted.notified() => {}
            () = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    }
}
