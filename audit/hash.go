package audit

import (
	"encoding/binary"
	"encoding/hex"
	"hash"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The labels that start each encoding MACed under the chain key, naming
// what it encodes and its version. An entry hashed under hashLabel was
// written by a writer that also MACs the head of its chain, so the head
// that names it must carry a MAC; legacyLabel is that of entries written
// before heads had MACs, which verify still accepts.
const (
	hashLabel   = "switchboard audit entry v2"
	legacyLabel = "switchboard audit entry v1"
	headLabel   = "switchboard audit head v1"
)

// entryHash returns the hex HMAC of e under m, an HMAC-SHA256 keyed with the
// chain key: over an encoding of every field but Hash in which each string
// is prefixed by its length and each integer has eight bytes, so that no two
// different entries encode alike. m is reset first.
func entryHash(m hash.Hash, e *Entry) string { return entryMAC(m, e, hashLabel) }

// legacyHash is entryHash as it was before heads had MACs.
func legacyHash(m hash.Hash, e *Entry) string { return entryMAC(m, e, legacyLabel) }

// headMAC returns the hex HMAC of h's chain, last seq and last hash under m,
// encoded as entryHash encodes an entry's fields. m is reset first.
func headMAC(m hash.Hash, h ChainHead) string {
	b := make([]byte, 0, 64+len(headLabel)+len(h.Chain)+len(h.LastHash))
	b = append(b, headLabel...)
	b = appendStr(b, h.Chain)
	b = binary.BigEndian.AppendUint64(b, uint64(h.LastSeq))
	b = appendStr(b, h.LastHash)
	return sum(m, b)
}

func entryMAC(m hash.Hash, e *Entry, label string) string {
	b := make([]byte, 0, 512)
	b = append(b, label...)
	b = appendStr(b, e.Chain)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Seq))
	b = appendStr(b, e.PrevHash)
	b = appendStr(b, e.ID)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Time.UnixMicro()))
	for _, s := range []string{e.Actor, e.OnBehalfOf, string(e.Surface), string(e.Event),
		e.Integration, e.Action, string(e.Outcome), string(e.ErrorCode)} {
		b = appendStr(b, s)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(e.Latency))
	b = appendStr(b, e.RequestID)
	b = appendStr(b, e.InputMAC)

	names := make([]string, 0, len(e.Detail))
	for k := range e.Detail {
		names = append(names, k)
	}
	slices.Sort(names)
	b = binary.BigEndian.AppendUint64(b, uint64(len(names)))
	for _, k := range names {
		b = appendStr(b, k)
		b = appendStr(b, e.Detail[k])
	}

	return sum(m, b)
}

// sum returns the hex MAC of b under m, reset first; b is overwritten.
func sum(m hash.Hash, b []byte) string {
	m.Reset()
	m.Write(b)
	return hex.EncodeToString(m.Sum(b[:0]))
}

// appendStr appends s prefixed by its length.
func appendStr(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

// chainID is the form of a chain's name: lowercase letters and digits, so
// that an entry id splits one way only.
var chainID = regexp.MustCompile(`^[a-z0-9]{1,32}$`)

// idPattern is the form of an entry id: time, chain, seq.
var idPattern = regexp.MustCompile(`^[0-9a-f]{16}-[a-z0-9]{1,32}-[0-9a-f]{16}$`)

// formatID returns the id of the entry at seq of chain, recorded at t:
// sixteen hex digits of t in microseconds since 1970, the chain, and sixteen
// hex digits of seq, joined by "-". Ids therefore sort by time, then chain,
// then seq; and since a chain name has no "-", no id is a prefix of another.
func formatID(t time.Time, chain string, seq int64) string {
	b := make([]byte, 0, 34+len(chain))
	b = appendHex16(b, uint64(t.UnixMicro()))
	b = append(b, '-')
	b = append(b, chain...)
	b = append(b, '-')
	b = appendHex16(b, uint64(seq))
	return string(b)
}

// parseID returns the chain and seq of an id, and false when id is not one.
func parseID(id string) (chain string, seq int64, ok bool) {
	if !idPattern.MatchString(id) {
		return "", 0, false
	}
	rest := id[17:]
	cut := strings.LastIndexByte(rest, '-')
	n, err := strconv.ParseUint(rest[cut+1:], 16, 63)
	if err != nil {
		return "", 0, false
	}
	return rest[:cut], int64(n), true
}

// timeKey returns the sixteen hex digits with which the ids of entries
// recorded at or after t, to the microsecond, begin: every id of an entry
// recorded before t sorts before it, and every other after it. A time
// before 1970 counts as 1970.
func timeKey(t time.Time) string {
	us := t.UnixMicro()
	if t.After(time.UnixMicro(us)) {
		us++ // round up: an entry at us is before t
	}
	return string(appendHex16(nil, uint64(max(us, 0))))
}

func appendHex16(b []byte, v uint64) []byte {
	s := strconv.FormatUint(v, 16)
	for range 16 - len(s) {
		b = append(b, '0')
	}
	return append(b, s...)
}
