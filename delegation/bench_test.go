package delegation_test

import (
	"testing"

	"github.com/switchboard-dev/switchboard/delegation"
)

// BenchmarkVerify is what a delegated request pays to authenticate: the
// signature check and the read of the token's record, on SQLite, from
// several goroutines.
func BenchmarkVerify(b *testing.B) {
	e := newEnv(b)
	issued := e.issue(b, delegation.Request{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := e.svc.Verify(b.Context(), issued.Token); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
