package backend

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"syscall"
)

// AddrClass names a class of IP address that the address policy refuses.
type AddrClass string

// The classes of refused address. Metadata, link-local, unspecified,
// multicast, broadcast and reserved addresses are refused always; loopback,
// private (benchmarking networks included) and shared (CGNAT) addresses
// unless private networks are allowed.
const (
	ClassMetadata    AddrClass = "cloud metadata"
	ClassLinkLocal   AddrClass = "link-local"
	ClassUnspecified AddrClass = "unspecified"
	ClassMulticast   AddrClass = "multicast"
	ClassBroadcast   AddrClass = "broadcast"
	ClassReserved    AddrClass = "reserved"
	ClassLoopback    AddrClass = "loopback"
	ClassPrivate     AddrClass = "private"
	ClassShared      AddrClass = "shared (CGNAT)"
)

// AddrError is the address policy's refusal to dial Addr. Its message names
// the address; [AddrError.Reason] says the same without it.
type AddrError struct {
	Addr  netip.Addr
	Class AddrClass
}

// Error implements error.
func (e *AddrError) Error() string {
	return fmt.Sprintf("%s is %s", e.Addr, e.Reason())
}

// Reason says which class of address was refused and, when a flag would
// allow it, which one.
func (e *AddrError) Reason() string {
	what := article(string(e.Class)) + " " + string(e.Class) + " address"
	if e.Overridable() {
		return what + ", which Switchboard calls only when " +
			"started with --allow-private-network (SWITCHBOARD_ALLOW_PRIVATE_NETWORK) " +
			"to allow local services"
	}
	return what + ", which Switchboard never calls"
}

// article returns the indefinite article of word.
func article(word string) string {
	if word != "" && strings.IndexByte("aeiou", word[0]) >= 0 {
		return "an"
	}
	return "a"
}

// Overridable reports whether --allow-private-network would allow the
// address.
func (e *AddrError) Overridable() bool {
	switch e.Class {
	case ClassLoopback, ClassPrivate, ClassShared:
		return true
	}
	return false
}

var (
	// metadataAddrs are the instance metadata services of the big clouds
	// (AWS, GCP and Azure share 169.254.169.254; AWS over IPv6; Alibaba;
	// Oracle) and Azure's WireServer.
	metadataAddrs = []netip.Addr{
		netip.MustParseAddr("169.254.169.254"),
		netip.MustParseAddr("fd00:ec2::254"),
		netip.MustParseAddr("100.100.100.200"),
		netip.MustParseAddr("192.0.0.192"),
		netip.MustParseAddr("168.63.129.16"),
	}
	sharedPrefix    = netip.MustParsePrefix("100.64.0.0/10")
	benchmarkPrefix = netip.MustParsePrefix("198.18.0.0/15")
	thisNetwork     = netip.MustParsePrefix("0.0.0.0/8")
	reservedPrefix  = netip.MustParsePrefix("240.0.0.0/4")
	siteLocal       = netip.MustParsePrefix("fec0::/10")
	nat64Prefix     = netip.MustParsePrefix("64:ff9b::/96")
	localNAT64      = netip.MustParsePrefix("64:ff9b:1::/48")
	v4Compatible    = netip.MustParsePrefix("::/96")
	broadcast       = netip.MustParseAddr("255.255.255.255")
)

// CheckAddr returns an *[AddrError] when the address policy refuses to
// dial ip, and nil when it may be dialed. An address that carries an IPv4
// address is judged by it: IPv4-mapped (::ffff:0:0/96), IPv4-compatible
// (::/96 but :: and ::1) and NAT64 addresses, well-known (64:ff9b::/96) or
// local-use (64:ff9b:1::/48, by its last 32 bits and, when it ends in
// three zero bytes, by the bytes RFC 6052's /64 layout gives the IPv4
// address as well). Cloud metadata, link-local, unspecified, multicast,
// broadcast and reserved addresses are refused whatever allowPrivate says;
// loopback, private (RFC 1918, fc00::/7, 198.18.0.0/15) and shared
// (100.64.0.0/10) addresses are refused unless allowPrivate.
func CheckAddr(ip netip.Addr, allowPrivate bool) error {
	ip = ip.WithZone("").Unmap()
	for _, a := range judged(ip) {
		class, ok := classify(a)
		if !ok {
			continue
		}
		e := &AddrError{Addr: a, Class: class}
		if allowPrivate && e.Overridable() {
			continue
		}
		return e
	}
	return nil
}

// judged returns the addresses ip is judged by: the IPv4 addresses it
// carries, or ip itself.
func judged(ip netip.Addr) []netip.Addr {
	if !ip.Is6() {
		return []netip.Addr{ip}
	}
	b := ip.As16()
	last := netip.AddrFrom4([4]byte(b[12:]))
	switch {
	case nat64Prefix.Contains(ip):
		return []netip.Addr{last}
	case v4Compatible.Contains(ip) && !ip.IsUnspecified() && !ip.IsLoopback():
		return []netip.Addr{last}
	case localNAT64.Contains(ip) && b[8] == 0 && b[13] == 0 && b[14] == 0 && b[15] == 0:
		// The /64 layout: the IPv4 address in bytes 9 to 12, after the
		// zero byte RFC 6052 reserves.
		return []netip.Addr{netip.AddrFrom4([4]byte(b[9:13])), last}
	case localNAT64.Contains(ip):
		return []netip.Addr{last}
	}
	return []netip.Addr{ip}
}

// classify returns the class of a refused address, or false for a public
// unicast address.
func classify(ip netip.Addr) (AddrClass, bool) {
	switch {
	case !ip.IsValid():
		return ClassUnspecified, true
	case isMetadata(ip):
		return ClassMetadata, true
	case ip.IsLinkLocalUnicast():
		return ClassLinkLocal, true
	case ip.IsUnspecified(), thisNetwork.Contains(ip):
		return ClassUnspecified, true
	case ip.IsMulticast():
		return ClassMulticast, true
	case ip == broadcast:
		return ClassBroadcast, true
	case reservedPrefix.Contains(ip):
		return ClassReserved, true
	case ip.IsLoopback():
		return ClassLoopback, true
	case ip.IsPrivate(), siteLocal.Contains(ip), benchmarkPrefix.Contains(ip):
		return ClassPrivate, true
	case sharedPrefix.Contains(ip):
		return ClassShared, true
	}
	return "", false
}

func isMetadata(ip netip.Addr) bool {
	for _, m := range metadataAddrs {
		if ip == m {
			return true
		}
	}
	return false
}

// dialGuard returns a dialer hook that applies [CheckAddr] to the address
// actually dialed, after name resolution, so that a name which resolves (or
// is rebound) to a refused address is refused too.
func dialGuard(allowPrivate bool) func(context.Context, string, string, syscall.RawConn) error {
	return func(_ context.Context, _, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("dial %q: not an IP address and port", address)
		}
		return CheckAddr(ap.Addr(), allowPrivate)
	}
}
