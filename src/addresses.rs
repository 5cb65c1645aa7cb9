//! Clients' addresses as the per-address limit counts them. One allowance per IPv4 address and
//! per IPv6 /64 (a single IPv6 customer line usually gets a whole /64, so counting single
//! addresses would give one client 2^64 allowances).

use std::{
    net::{IpAddr, Ipv6Addr},
    time::Duration,
};

use crate::{error::Result, store::RedisStore};

/// The network an address is counted under: itself for IPv4 (and IPv4-mapped IPv6), its /64
/// for IPv6.
pub(crate) fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(
                u128::from(v6) & 0xffff_ffff_ffff_ffff_0000_0000_0000_0000,
            )),
        },
    }
}

/// Counts one request from `ip` against its per-minute allowance (`RATE_LIMIT_PER_IP_PER_MINUTE`,
/// shared by every replica through Redis): `None` when admitted, else how long to wait.
pub(crate) async fn admit(
    redis: &RedisStore,
    per_minute: u32,
    ip: IpAddr,
) -> Result<Option<Duration>> {
    redis.admit_address(&counted_as(ip), per_minute).await
}

/// The address as every per-address limit counts it, as text (`1.2.3.4`, `2001:db8::/64`).
pub(crate) fn counted_as(ip: IpAddr) -> String {
    match network(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("{v6}/64"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(network(a), network(b));
        assert_ne!(network(a), network(other));
        assert_eq!(network(a).to_string(), "2001:db8:1:2::");
    }

    #[test]
    fn ipv4_addresses_count_alone_however_they_arrive() {
        let v4: IpAddr = "203.0.113.7".parse().unwrap();
        let mapped: IpAddr = "::ffff:203.0.113.7".parse().unwrap();
        assert_eq!(network(v4), v4);
        assert_eq!(network(mapped), v4);
        assert_ne!(network("203.0.113.8".parse().unwrap()), v4);
    }
}
