//! Envoy's response flags (`%RESPONSE_FLAGS%`): the set one request collected, written in the
//! trace as Envoy's access log prints it — comma-separated in Envoy's order, `-` when empty.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One response flag, declared in the order Envoy prints them (`LH,UH,UT,LR,UR,UF,UC,UO,NR,
/// DI,FI,...,URX,SI,...,NC`; `source/common/stream_info/utility.cc` `ResponseFlagUtils`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResponseFlag {
    /// No healthy upstream.
    UH,
    /// Upstream request timeout.
    UT,
    /// Local reset.
    LR,
    /// Upstream remote reset.
    UR,
    /// Upstream connection failure.
    UF,
    /// Upstream connection termination.
    UC,
    /// Upstream overflow (circuit breaker).
    UO,
    /// No route.
    NR,
    /// Delay injected by the fault filter.
    DI,
    /// Abort injected by the fault filter.
    FI,
    /// Downstream connection termination (the client went away first).
    DC,
    /// Retry limit exceeded.
    URX,
    /// Stream idle timeout: the connection manager's `stream_idle_timeout` or the route's
    /// `idle_timeout` fired (`source/common/http/conn_manager_impl.cc`
    /// `ActiveStream::onIdleTimeout`).
    SI,
    /// Downstream protocol error (a malformed request, refused by the codec or the
    /// connection manager).
    DPE,
    /// No cluster.
    NC,
}

impl ResponseFlag {
    /// Every flag, in Envoy's order.
    pub const ALL: [ResponseFlag; 15] = [
        ResponseFlag::UH,
        ResponseFlag::UT,
        ResponseFlag::LR,
        ResponseFlag::UR,
        ResponseFlag::UF,
        ResponseFlag::UC,
        ResponseFlag::UO,
        ResponseFlag::NR,
        ResponseFlag::DI,
        ResponseFlag::FI,
        ResponseFlag::DC,
        ResponseFlag::URX,
        ResponseFlag::SI,
        ResponseFlag::DPE,
        ResponseFlag::NC,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResponseFlag::UH => "UH",
            ResponseFlag::UT => "UT",
            ResponseFlag::LR => "LR",
            ResponseFlag::UR => "UR",
            ResponseFlag::UF => "UF",
            ResponseFlag::UC => "UC",
            ResponseFlag::UO => "UO",
            ResponseFlag::NR => "NR",
            ResponseFlag::DI => "DI",
            ResponseFlag::FI => "FI",
            ResponseFlag::DC => "DC",
            ResponseFlag::URX => "URX",
            ResponseFlag::DPE => "DPE",
            ResponseFlag::NC => "NC",
            ResponseFlag::SI => "SI",
        }
    }

    /// The flag Envoy prints as `s`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

impl std::fmt::Display for ResponseFlag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The flags of one request, printed comma-separated in Envoy's order or `-` when none. Sets
/// order as their printed text (`-` < `UF,URX` < `UH`), so anything keyed by them lists as
/// the words always did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ResponseFlags(Vec<ResponseFlag>);

impl Ord for ResponseFlags {
    /// The order of the printed texts, compared byte by byte as they would be printed: a
    /// load counts its calls by status and flags once per call, so nothing is formatted.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.printed_bytes().cmp(other.printed_bytes())
    }
}

impl PartialOrd for ResponseFlags {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl ResponseFlags {
    /// No flag (`-`).
    pub fn none() -> Self {
        Self::default()
    }

    pub fn set(&mut self, f: ResponseFlag) {
        if let Err(pos) = self.0.binary_search(&f) {
            self.0.insert(pos, f);
        }
    }

    pub fn contains(&self, f: ResponseFlag) -> bool {
        self.0.contains(&f)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The flags, in Envoy's order.
    pub fn iter(&self) -> impl Iterator<Item = ResponseFlag> + '_ {
        self.0.iter().copied()
    }

    /// The bytes of the printed text ([`Display`](std::fmt::Display)), in order.
    fn printed_bytes(&self) -> impl Iterator<Item = u8> + '_ {
        let none = self.0.is_empty().then_some(b'-');
        let words = self.0.iter().enumerate().flat_map(|(i, f)| {
            let comma = (i > 0).then_some(b',');
            comma.into_iter().chain(f.as_str().bytes())
        });
        none.into_iter().chain(words)
    }

    /// The set Envoy prints as `s` (`-`, `UO`, `UF,URX`); `None` for a word that is not a
    /// response flag.
    pub fn parse(s: &str) -> Option<Self> {
        let mut flags = Self::default();
        if s == "-" {
            return Some(flags);
        }
        for word in s.split(',') {
            flags.set(ResponseFlag::parse(word)?);
        }
        Some(flags)
    }
}

impl std::str::FromStr for ResponseFlags {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s).ok_or_else(|| format!("'{s}' is not a set of Envoy response flags"))
    }
}

impl From<ResponseFlag> for ResponseFlags {
    fn from(f: ResponseFlag) -> Self {
        Self(vec![f])
    }
}

impl std::fmt::Display for ResponseFlags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("-");
        }
        let names: Vec<&str> = self.0.iter().map(|x| x.as_str()).collect();
        f.write_str(&names.join(","))
    }
}

impl Serialize for ResponseFlags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ResponseFlags {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("'{s}' is not a set of Envoy response flags"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_prints_in_envoys_order_whatever_the_order_flags_were_set() {
        let mut f = ResponseFlags::none();
        assert_eq!(f.to_string(), "-");
        f.set(ResponseFlag::URX);
        f.set(ResponseFlag::UF);
        f.set(ResponseFlag::UF);
        assert_eq!(f.to_string(), "UF,URX");
    }

    #[test]
    fn sets_order_as_their_printed_text() {
        let mut sets: Vec<ResponseFlags> = ["UH", "UF,URX", "-", "DC"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        sets.sort();
        let printed: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        assert_eq!(printed, ["-", "DC", "UF,URX", "UH"]);
    }

    #[test]
    fn every_pair_of_sets_orders_as_its_printed_text_does() {
        // Every set of up to two flags, and the sets of three from the first six: a flag
        // printed as a prefix of another (`U…`), a comma against a letter, the empty set.
        let mut sets = vec![ResponseFlags::none()];
        for (i, a) in ResponseFlag::ALL.into_iter().enumerate() {
            sets.push(a.into());
            for b in &ResponseFlag::ALL[i + 1..] {
                let mut two = ResponseFlags::from(a);
                two.set(*b);
                sets.push(two.clone());
                if i < 6 {
                    for c in ResponseFlag::ALL[..6].iter().filter(|c| !two.contains(**c)) {
                        let mut three = two.clone();
                        three.set(*c);
                        sets.push(three);
                    }
                }
            }
        }
        for x in &sets {
            for y in &sets {
                assert_eq!(
                    x.cmp(y),
                    x.to_string().cmp(&y.to_string()),
                    "{x} against {y}"
                );
            }
        }
    }

    #[test]
    fn a_set_reads_back_what_it_writes_and_refuses_unknown_words() {
        for s in ["-", "UO", "UF,URX", "UT,DI"] {
            let f = ResponseFlags::parse(s).unwrap();
            assert_eq!(f.to_string(), s);
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(json, format!("\"{s}\""));
            assert_eq!(serde_json::from_str::<ResponseFlags>(&json).unwrap(), f);
        }
        assert_eq!(ResponseFlags::parse("XX"), None);
        assert!(serde_json::from_str::<ResponseFlags>("\"UO,XX\"").is_err());
    }
}
