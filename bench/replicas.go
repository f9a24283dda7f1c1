package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// schemaTimeout bounds creating and dropping the benchmark's schema.
const schemaTimeout = 30 * time.Second

// Names of the replica targets, as the report shows them.
const (
	oneReplica  = "1-replica"
	twoReplicas = "2-replicas"
)

// checkDatabaseURL accepts a postgres:// URL on a loopback host: the
// benchmark loads what it starts on this machine only.
func checkDatabaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return errors.New("-database-url: want a postgres:// URL such as " +
			"postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-database-url: want a loopback host (127.0.0.1, ::1 or localhost), "+
			"not %q", host)
	}
	if u.Query().Has("search_path") {
		return errors.New("-database-url: leave out search_path: each run uses a schema of its own")
	}
	return nil
}

// schema is a PostgreSQL schema the benchmark created for one run.
type schema struct {
	base string // the URL it was created through
	name pgx.Identifier
	url  string // base with search_path set to the schema alone
}

// createSchema creates an empty schema with a random name on the server
// of base. Every pgx connection made with its url, in any process, starts
// with search_path set to that schema.
func createSchema(ctx context.Context, base string) (*schema, error) {
	s := &schema{base: base, name: pgx.Identifier{"bench_" + strings.ToLower(rand.Text())}}
	u, err := url.Parse(base)
	if err != nil {
		return nil, errors.New("-database-url: not a valid URL")
	}
	q := u.Query()
	q.Set("search_path", s.name[0])
	u.RawQuery = q.Encode()
	s.url = u.String()
	if err := s.exec(ctx, "CREATE SCHEMA "+s.name.Sanitize()); err != nil {
		return nil, fmt.Errorf("create schema %s: %w", s.name[0], err)
	}
	return s, nil
}

// drop removes the schema and everything in it. It runs once every replica
// has stopped, also when the benchmark was interrupted.
func (s *schema) drop() error {
	if err := s.exec(context.Background(), "DROP SCHEMA "+s.name.Sanitize()+" CASCADE"); err != nil {
		return fmt.Errorf("drop schema %s: %w", s.name[0], err)
	}
	return nil
}

// exec runs one statement on a connection of its own.
func (s *schema) exec(ctx context.Context, stmt string) error {
	ctx, cancel := context.WithTimeout(ctx, schemaTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.base)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	_, err = conn.Exec(ctx, stmt)
	return err
}

// newMasterKey returns a fresh master key, shared by every replica of the
// run and by no one else.
func newMasterKey() string {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails
	return base64.StdEncoding.EncodeToString(key)
}

// startReplicas starts two Switchboard replicas on db, one after the other
// so that only the first creates the administrator's key, and deploys
// Slack through the first. The second learns of it from the change feed.
func startReplicas(ctx context.Context, dir, bin, upstream string, db *schema, g *group) (
	[]*switchboardServer, error) {
	env := []string{"SWITCHBOARD_DATABASE_URL=" + db.url,
		"SWITCHBOARD_MASTER_KEY=" + newMasterKey()}
	var replicas []*switchboardServer
	for i := range 2 {
		sb, err := startSwitchboard(ctx, g, bin, dir, fmt.Sprintf("switchboard-%d", i+1), env...)
		if err != nil {
			return replicas, err
		}
		replicas = append(replicas, sb)
	}
	first := replicas[0]
	if err := first.readAdminKey(); err != nil {
		return replicas, err
	}
	replicas[1].key = first.key
	return replicas, first.deploySlack(ctx, upstream)
}

// replicaTargets are one replica alone, and both with the sessions spread
// over them.
func replicaTargets(replicas []*switchboardServer) []target {
	one := target{Name: oneReplica, Tool: "slack_send_message", Key: replicas[0].key}
	two := target{Name: twoReplicas, Tool: one.Tool, Key: one.Key}
	one.URLs, one.PIDs = []string{replicas[0].url + "/mcp"}, []int{replicas[0].pid()}
	for _, r := range replicas {
		two.URLs = append(two.URLs, r.url+"/mcp")
		two.PIDs = append(two.PIDs, r.pid())
	}
	return []target{one, two}
}
