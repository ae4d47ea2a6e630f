//! When a load's client loop makes its next call, and when it stops — the decisions of
//! fortio's `runOne` (`periodic/periodic.go`), synchronous, for [`crate::loadgen`] to drive.
//!
//! A loop makes its planned calls ([`LoadSpec::planned_calls`]); a paced one makes call `k`
//! when it is due, `start + k × interval`, never one due at or after the deadline. A paced
//! loop that fell behind stops once past the deadline — after at least two calls, and unless
//! only its last call remains, as fortio does — short of its plan. A loop at full speed with
//! a deadline stops at it, or at its share of [`MAX_UNPACED_CALLS`].

use std::time::Duration;

use meshtwin_model::limits::MAX_UNPACED_CALLS;
use meshtwin_model::scenario::LoadSpec;

/// Why a client loop stopped before making its planned calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// It made every call it planned, or reached the deadline at full speed.
    Done,
    /// A paced loop past its deadline: `done` of its `planned` calls made.
    Deadline { done: u64, planned: u64 },
    /// A full-speed loop with a deadline reached its share of the call limit.
    CallLimit,
}

/// One client loop's schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Pacer {
    start: Duration,
    end: Option<Duration>,
    interval: Option<Duration>,
    planned: Option<u64>,
    cap: u64,
}

impl Pacer {
    /// The schedule of connection `index` of `spec`.
    pub fn new(spec: &LoadSpec, index: u64) -> Self {
        Self::with_cap(
            spec,
            index,
            MAX_UNPACED_CALLS.div_ceil(u64::from(spec.connections.max(1))),
        )
    }

    /// [`Pacer::new`] with `cap` calls for a full-speed loop with a deadline.
    pub fn with_cap(spec: &LoadSpec, index: u64, cap: u64) -> Self {
        Self {
            start: spec.start,
            end: spec.duration.map(|d| spec.start + d),
            interval: spec.pacing_interval(),
            planned: spec.planned_calls(index),
            cap,
        }
    }

    /// When call `k` is due: on its beat when paced, `None` (at once, no wait) at full
    /// speed; or why it is not made.
    pub fn due(&self, k: u64) -> Result<Option<Duration>, Stop> {
        if self.planned.is_some_and(|n| k >= n) {
            return Err(Stop::Done);
        }
        let Some(iv) = self.interval else {
            return Ok(None);
        };
        let due = self.start
            + Duration::from_nanos(
                iv.as_nanos()
                    .saturating_mul(u128::from(k))
                    .try_into()
                    .unwrap_or(u64::MAX),
            );
        match self.end {
            Some(e) if due >= e => Err(Stop::Done),
            _ => Ok(Some(due)),
        }
    }

    /// Whether call `k`, due and about to start at `now`, is made.
    pub fn check(&self, k: u64, now: Duration) -> Result<(), Stop> {
        let Some(end) = self.end else { return Ok(()) };
        match (self.interval, self.planned) {
            (Some(_), Some(planned)) if now > end && k >= 2 && k + 1 != planned => {
                Err(Stop::Deadline { done: k, planned })
            }
            (None, _) if now >= end => Err(Stop::Done),
            (None, _) if k >= self.cap => Err(Stop::CallLimit),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn spec(qps: f64, calls: Option<u64>, duration_s: Option<u64>) -> LoadSpec {
        LoadSpec {
            name: "l".into(),
            from: "fortio".into(),
            start: Duration::from_secs(1),
            connections: 2,
            qps,
            calls,
            duration: duration_s.map(Duration::from_secs),
            url: "http://h/".into(),
            method: "GET".into(),
            headers: BTreeMap::new(),
            timeout: Duration::from_secs(3),
        }
    }

    const S: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn a_paced_loop_makes_its_calls_on_their_beat_until_the_deadline() {
        // 10 qps over 2 connections: every 200 ms each, from 1 s, until 2 s.
        let p = Pacer::new(&spec(10.0, None, Some(1)), 0);
        assert_eq!(p.due(0), Ok(Some(S(1000))));
        assert_eq!(p.due(4), Ok(Some(S(1800))));
        assert_eq!(p.due(5), Err(Stop::Done));
        assert_eq!(p.check(4, S(1800)), Ok(()));
    }

    #[test]
    fn a_paced_loop_past_its_deadline_stops_short_as_fortio_does() {
        let p = Pacer::new(&spec(10.0, None, Some(1)), 0);
        // Past the 2 s deadline: stop after two calls or more...
        assert_eq!(
            p.check(2, S(2001)),
            Err(Stop::Deadline {
                done: 2,
                planned: 5
            })
        );
        // ...but not before two, and not when only the last call remains.
        assert_eq!(p.check(1, S(2500)), Ok(()));
        assert_eq!(p.check(4, S(2500)), Ok(()));
        // At the deadline itself the call is still made (fortio: `After(endTime)`).
        assert_eq!(p.check(3, S(2000)), Ok(()));
    }

    #[test]
    fn a_full_speed_loop_stops_at_the_deadline_or_at_its_share_of_the_call_limit() {
        let p = Pacer::with_cap(&spec(0.0, None, Some(1)), 0, 3);
        assert_eq!(p.due(7), Ok(None));
        assert_eq!(p.check(2, S(1500)), Ok(()));
        assert_eq!(p.check(3, S(1500)), Err(Stop::CallLimit));
        assert_eq!(p.check(0, S(2000)), Err(Stop::Done));
        assert_eq!(
            Pacer::new(&spec(0.0, None, Some(1)), 0).cap,
            MAX_UNPACED_CALLS / 2
        );
    }

    #[test]
    fn a_loop_with_calls_has_no_deadline() {
        let p = Pacer::new(&spec(0.0, Some(3), None), 0);
        assert_eq!(p.due(1), Ok(None));
        assert_eq!(p.due(2), Err(Stop::Done));
        assert_eq!(p.check(1, S(3_600_000)), Ok(()));
    }
}
