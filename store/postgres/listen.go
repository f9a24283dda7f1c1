package postgres

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/internal/logkey"
)

// ListenerName is the application_name of the connection [DB.Listen] holds,
// so that an operator can tell it from the pool's.
const ListenerName = "switchboard-listener"

// Backoff bounds between attempts to reconnect the listener.
const (
	listenRetryMin = 100 * time.Millisecond
	listenRetryMax = 5 * time.Second
)

// Listen holds a connection of its own that LISTENs on [NotifyChannel],
// and calls wake after every notification, and after every (re)connection,
// so that the caller reads the change feed for what it may have missed
// while it was not listening. A lost connection is made again, waiting
// longer after each failure up to five seconds. Listen returns when ctx
// ends. wake must not block.
func (db *DB) Listen(ctx context.Context, wake func()) {
	failures := 0
	for ctx.Err() == nil {
		err := db.listen(ctx, func() {
			if failures > 0 {
				db.log.InfoContext(ctx, "change notifications restored")
			}
			failures = 0
			wake()
		}, wake)
		if ctx.Err() != nil {
			return
		}
		if failures == 0 {
			db.log.WarnContext(ctx, "change notifications lost; reconnecting",
				slog.Any(logkey.Err, err))
		}
		failures++
		wait := min(listenRetryMax, listenRetryMin<<min(failures-1, 10))
		wait = wait/2 + rand.N(wait/2+1) // jitter: replicas do not retry in step
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// listen connects, LISTENs, calls listening, then calls wake for each
// notification until the connection fails or ctx ends.
func (db *DB) listen(ctx context.Context, listening, wake func()) error {
	cfg := db.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = ListenerName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return translate(err, "listen: connect", "")
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+NotifyChannel); err != nil {
		return translate(err, "listen", "")
	}
	listening()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return translate(err, "listen: wait", "")
		}
		wake()
	}
}
