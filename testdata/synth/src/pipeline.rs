//! Generating on one thread while the caller's consumer (redaction and spooling, or JSON writing) runs
//! on another: the two halves take about as long each, so two cores halve the wall time. Objects
//! travel in order, in bounded batches, so output and memory stay as without the thread.

use std::sync::mpsc::sync_channel;

use serde_json::Value;

use crate::{Size, Summary, SynthError, generate};

/// Objects per batch handed between the threads.
const BATCH: usize = 512;
/// Batches in flight at most.
const IN_FLIGHT: usize = 16;

/// The consumer stopped; the generator stops too.
struct Stopped;

/// Generates `size`/`seed` on a second thread and feeds every object, in order, to `consume`.
pub(crate) fn run(
    size: Size,
    seed: u64,
    mut consume: impl FnMut(Value) -> Result<(), SynthError>,
) -> Result<Summary, SynthError> {
    let (tx, rx) = sync_channel::<Vec<Value>>(IN_FLIGHT);
    std::thread::scope(|scope| {
        let producer = scope.spawn(move || -> Result<Summary, Stopped> {
            let mut batch = Vec::with_capacity(BATCH);
            let summary = {
                let mut sink = |object: Value| -> Result<(), Stopped> {
                    batch.push(object);
                    if batch.len() == BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        tx.send(full).map_err(|_| Stopped)?;
                    }
                    Ok(())
                };
                generate(size, seed, &mut sink)?
            };
            if !batch.is_empty() {
                tx.send(batch).map_err(|_| Stopped)?;
            }
            Ok(summary)
        });
        let mut consumed = Ok(());
        'batches: for batch in rx {
            for object in batch {
                if let Err(e) = consume(object) {
                    consumed = Err(e);
                    break 'batches;
                }
            }
        }
        // The receiver is gone here, so a producer blocked on a full channel wakes up and stops.
        let produced = match producer.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        consumed?;
        // The producer only stops early when the consumer failed, which returned above.
        produced.map_err(|Stopped| SynthError::Stopped)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_kept_and_a_failing_consumer_stops_the_generator() {
        let mut direct = Vec::new();
        generate(Size::Small, 5, &mut |o| {
            direct.push(o["metadata"]["uid"].clone());
            Ok::<(), ()>(())
        })
        .unwrap();
        let mut piped = Vec::new();
        run(Size::Small, 5, |o| {
            piped.push(o["metadata"]["uid"].clone());
            Ok(())
        })
        .unwrap();
        assert_eq!(direct, piped);

        let mut seen = 0;
        let err = run(Size::Small, 5, |_| {
            seen += 1;
            if seen == 1_000 {
                return Err(SynthError::Stopped);
            }
            Ok(())
        })
        .unwrap_err();
        assert!(matches!(err, SynthError::Stopped));
        assert_eq!(seen, 1_000);
    }
}
