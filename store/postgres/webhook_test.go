package postgres_test

import (
	"testing"

	"github.com/switchboard-dev/switchboard/store/postgres/pgtest"
	"github.com/switchboard-dev/switchboard/store/storetest"
)

func TestConformanceWebhooks(t *testing.T) {
	t.Parallel()
	pgtest.SkipUnlessSet(t)
	storetest.RunWebhooks(t, func(t *testing.T) storetest.WebhookStore {
		return open(t, pgtest.URL(t))
	})
}

func TestConformanceWebhooksShared(t *testing.T) {
	t.Parallel()
	pgtest.SkipUnlessSet(t)
	storetest.RunWebhooksShared(t,
		func(t *testing.T) (storetest.WebhookStore, storetest.WebhookStore) {
			url := pgtest.URL(t)
			return open(t, url), open(t, url)
		})
}
