package sqlite_test

import (
	"testing"

	"github.com/switchboard-dev/switchboard/store/storetest"
)

func TestConformanceWebhooks(t *testing.T) {
	t.Parallel()
	storetest.RunWebhooks(t, func(t *testing.T) storetest.WebhookStore {
		return open(t, tempPath(t))
	})
}

func TestConformanceWebhooksShared(t *testing.T) {
	t.Parallel()
	storetest.RunWebhooksShared(t,
		func(t *testing.T) (storetest.WebhookStore, storetest.WebhookStore) {
			path := tempPath(t)
			return open(t, path), open(t, path)
		})
}
