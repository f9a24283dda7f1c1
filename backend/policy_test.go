package backend

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckAddr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ip   string
		// class is the refused class, "" for an address that may be dialed.
		class AddrClass
		// private says whether --allow-private-network lets it through.
		private bool
	}{
		{name: "public v4", ip: "93.184.216.34"},
		{name: "public v6", ip: "2606:2800:220:1:248:1893:25c8:1946"},
		{name: "loopback v4", ip: "127.0.0.1", class: ClassLoopback, private: true},
		{name: "loopback v4 range", ip: "127.8.9.10", class: ClassLoopback, private: true},
		{name: "loopback v6", ip: "::1", class: ClassLoopback, private: true},
		{name: "mapped loopback", ip: "::ffff:127.0.0.1", class: ClassLoopback, private: true},
		{name: "private 10", ip: "10.1.2.3", class: ClassPrivate, private: true},
		{name: "private 172.16", ip: "172.16.0.1", class: ClassPrivate, private: true},
		{name: "private 172.31", ip: "172.31.255.255", class: ClassPrivate, private: true},
		{name: "public 172.32", ip: "172.32.0.1"},
		{name: "private 192.168", ip: "192.168.1.1", class: ClassPrivate, private: true},
		{name: "mapped private", ip: "::ffff:10.0.0.1", class: ClassPrivate, private: true},
		{name: "unique local v6", ip: "fd12:3456::1", class: ClassPrivate, private: true},
		{name: "site local v6", ip: "fec0::1", class: ClassPrivate, private: true},
		{name: "cgnat", ip: "100.64.0.1", class: ClassShared, private: true},
		{name: "cgnat top", ip: "100.127.255.254", class: ClassShared, private: true},
		{name: "public 100.128", ip: "100.128.0.1"},
		{name: "link-local v4", ip: "169.254.1.1", class: ClassLinkLocal},
		{name: "link-local v6", ip: "fe80::1", class: ClassLinkLocal},
		{name: "link-local v6 zone", ip: "fe80::1%eth0", class: ClassLinkLocal},
		{name: "aws metadata", ip: "169.254.169.254", class: ClassMetadata},
		{name: "mapped metadata", ip: "::ffff:169.254.169.254", class: ClassMetadata},
		{name: "nat64 metadata", ip: "64:ff9b::a9fe:a9fe", class: ClassMetadata},
		{name: "nat64 public", ip: "64:ff9b::5db8:d822"},
		{name: "aws metadata v6", ip: "fd00:ec2::254", class: ClassMetadata},
		{name: "alibaba metadata", ip: "100.100.100.200", class: ClassMetadata},
		{name: "oracle metadata", ip: "192.0.0.192", class: ClassMetadata},
		{name: "unspecified v4", ip: "0.0.0.0", class: ClassUnspecified},
		{name: "this network", ip: "0.1.2.3", class: ClassUnspecified},
		{name: "unspecified v6", ip: "::", class: ClassUnspecified},
		{name: "multicast v4", ip: "224.0.0.1", class: ClassMulticast},
		{name: "multicast v6", ip: "ff02::1", class: ClassMulticast},
		{name: "broadcast", ip: "255.255.255.255", class: ClassBroadcast},
		{name: "reserved", ip: "240.0.0.1", class: ClassReserved},
		{name: "azure wireserver", ip: "168.63.129.16", class: ClassMetadata},
		{name: "mapped azure wireserver", ip: "::ffff:168.63.129.16", class: ClassMetadata},
		{name: "benchmarking", ip: "198.18.0.1", class: ClassPrivate, private: true},
		{name: "benchmarking top", ip: "198.19.255.255", class: ClassPrivate, private: true},
		{name: "public 198.20", ip: "198.20.0.1"},
		{name: "public 198.17", ip: "198.17.255.255"},
		{name: "local-use nat64 metadata", ip: "64:ff9b:1::a9fe:a9fe", class: ClassMetadata},
		{name: "local-use nat64 subnet loopback", ip: "64:ff9b:1:ab:cd::7f00:1",
			class: ClassLoopback, private: true},
		{name: "local-use nat64 public", ip: "64:ff9b:1::5db8:d822"},
		{name: "local-use nat64 /64 layout private", ip: "64:ff9b:1:0:a:0:500:0",
			class: ClassPrivate, private: true},
		{name: "local-use nat64 /64 layout metadata", ip: "64:ff9b:1:0:a9:fea9:fe00:0",
			class: ClassMetadata},
		{name: "ipv4-compatible metadata", ip: "::169.254.169.254", class: ClassMetadata},
		{name: "ipv4-compatible loopback", ip: "::7f00:1", class: ClassLoopback, private: true},
		{name: "ipv4-compatible private", ip: "::10.0.0.1", class: ClassPrivate, private: true},
		{name: "ipv4-compatible this network", ip: "::2", class: ClassUnspecified},
		{name: "ipv4-compatible public", ip: "::93.184.216.34"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ip := netip.MustParseAddr(tt.ip)
			for _, allow := range []bool{false, true} {
				err := CheckAddr(ip, allow)
				if tt.class == "" || (allow && tt.private) {
					require.NoError(t, err, "allowPrivate=%v", allow)
					continue
				}
				var ae *AddrError
				require.True(t, errors.As(err, &ae), "allowPrivate=%v: %v", allow, err)
				require.Equal(t, tt.class, ae.Class)
				require.Equal(t, tt.private, ae.Overridable())
				require.Contains(t, ae.Reason(), string(tt.class))
				if tt.private {
					require.Contains(t, ae.Reason(), "--allow-private-network")
					require.Contains(t, ae.Reason(), "SWITCHBOARD_ALLOW_PRIVATE_NETWORK")
				} else {
					require.NotContains(t, ae.Reason(), "--allow-private-network")
				}
			}
		})
	}
}

func TestAddrErrorReason(t *testing.T) {
	t.Parallel()
	tests := []struct {
		class AddrClass
		want  string
	}{
		{class: ClassUnspecified, want: "an unspecified address, which Switchboard never calls"},
		{class: ClassMetadata, want: "a cloud metadata address, which Switchboard never calls"},
		{class: ClassLoopback, want: "a loopback address, which Switchboard calls only when"},
	}
	for _, tt := range tests {
		t.Run(string(tt.class), func(t *testing.T) {
			t.Parallel()
			e := &AddrError{Addr: netip.MustParseAddr("0.0.0.0"), Class: tt.class}
			require.True(t, strings.HasPrefix(e.Reason(), tt.want), e.Reason())
			require.Equal(t, "0.0.0.0 is "+e.Reason(), e.Error())
		})
	}
}

func TestCheckAddrInvalid(t *testing.T) {
	t.Parallel()
	require.Error(t, CheckAddr(netip.Addr{}, true))
}

func TestDialGuard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		address string
		allow   bool
		wantErr bool
	}{
		{name: "public", address: "93.184.216.34:443"},
		{name: "loopback refused", address: "127.0.0.1:80", wantErr: true},
		{name: "loopback allowed", address: "127.0.0.1:80", allow: true},
		{name: "v6 loopback allowed", address: "[::1]:80", allow: true},
		{name: "metadata allowed never", address: "169.254.169.254:80", allow: true, wantErr: true},
		{name: "name is refused", address: "example.com:80", allow: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := dialGuard(tt.allow)(t.Context(), "tcp", tt.address, nil)
			if tt.wantErr {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
		})
	}
}
