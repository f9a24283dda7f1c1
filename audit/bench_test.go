package audit_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/switchboard-dev/switchboard/audit"
)

// BenchmarkRecord records durable entries on each store, from one goroutine
// and from many at once (b.RunParallel, 16 goroutines per CPU), and reports
// how many entries each commit carried: group commit's effect is that
// parallel records cost a fraction of a commit each.
func BenchmarkRecord(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s, _ := be.open(b)
			cs := &countingStore{Store: s}
			l := newLog(b, cs, &audit.MemVault{})

			b.Run("serial", func(b *testing.B) {
				cs.reset()
				i := 0
				for b.Loop() {
					if err := l.Record(context.Background(), call(i)); err != nil {
						b.Fatal(err)
					}
					i++
				}
				cs.report(b)
			})
			b.Run("parallel", func(b *testing.B) {
				cs.reset()
				b.SetParallelism(16)
				var n atomic.Int64
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						err := l.Record(context.Background(), call(int(n.Add(1))))
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
				cs.report(b)
			})
		})
	}
}

// countingStore counts the commits of a store and the entries they carry.
type countingStore struct {
	audit.Store
	commits, entries atomic.Int64
}

func (c *countingStore) AppendAudit(ctx context.Context, batch []audit.Entry,
	mac string) error {
	err := c.Store.AppendAudit(ctx, batch, mac)
	if err == nil {
		c.commits.Add(1)
		c.entries.Add(int64(len(batch)))
	}
	return err
}

func (c *countingStore) reset() {
	c.commits.Store(0)
	c.entries.Store(0)
}

func (c *countingStore) report(b *testing.B) {
	if n := c.commits.Load(); n > 0 {
		b.ReportMetric(float64(c.entries.Load())/float64(n), "entries/commit")
	}
}
