package main

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/credentials"
	"github.com/switchboard-dev/switchboard/delegation"
	"github.com/switchboard-dev/switchboard/identity"
)

// DefaultAddr is where serve listens unless told otherwise.
const DefaultAddr = "127.0.0.1:8080"

// config is what the flags and the environment say; flags win.
type config struct {
	addr                string
	dataDir             string
	catalogs            []string
	databaseURL         string
	allowPrivateNetwork bool
	logFormat           string
	logLevel            string
	dbMaxConns          int
	// changePoll is how often the change feed is read when nothing
	// announces a change; 0 picks one for the store.
	changePoll     time.Duration
	jwtIssuers     []string
	jwtAudience    string
	jwtHS256Secret string
	jwtHS256Issuer string
	jwtRolesClaim  string
	// auditChain names the audit chain the process writes; empty gives it
	// a chain of its own (see audit.Config.Chain).
	auditChain string
	// corsOrigins may call the API from browsers; publicURL is where
	// browsers and providers reach this server.
	corsOrigins []string
	publicURL   string
	// publicURLGiven says publicURL came from the flag or the environment,
	// not from the listen address; server says the command is serve, whose
	// public URL the store records for the other commands.
	publicURLGiven bool
	server         bool
	// delegationMaxTTL caps the lifetime of delegation tokens.
	delegationMaxTTL time.Duration
	// returnTo are the URL prefixes an OAuth flow may send the browser
	// back to.
	returnTo []string
}

// jwtFlags registers the flags that accept external tokens.
func jwtFlags(fs *flag.FlagSet, e *env, cfg *config) {
	if v := e.getenv("SWITCHBOARD_JWT_ISSUER"); v != "" {
		cfg.jwtIssuers = strings.Fields(v)
	}
	fs.Var(listFlag{&cfg.jwtIssuers}, "jwt-issuer",
		"accept JWTs of this OpenID Connect issuer URL (repeatable; SWITCHBOARD_JWT_ISSUER, space-separated)")
	fs.StringVar(&cfg.jwtAudience, "jwt-audience", envOr(e, "SWITCHBOARD_JWT_AUDIENCE", ""),
		"audience the issuers' tokens must name (SWITCHBOARD_JWT_AUDIENCE; required with --jwt-issuer)")
	// The secret comes from the environment only: a flag would show in ps.
	cfg.jwtHS256Secret = e.getenv("SWITCHBOARD_JWT_HS256_SECRET")
	fs.StringVar(&cfg.jwtHS256Issuer, "jwt-hs256-issuer", envOr(e, "SWITCHBOARD_JWT_HS256_ISSUER", ""),
		"issuer of the tokens signed with SWITCHBOARD_JWT_HS256_SECRET (SWITCHBOARD_JWT_HS256_ISSUER)")
	fs.StringVar(&cfg.jwtRolesClaim, "jwt-roles-claim", envOr(e, "SWITCHBOARD_JWT_ROLES_CLAIM", ""),
		"claim of a JWT that lists its subject's roles (SWITCHBOARD_JWT_ROLES_CLAIM)")
}

// jwtConfig turns the JWT settings into the identity package's.
func (c *config) jwtConfig() (identity.JWTConfig, error) {
	var j identity.JWTConfig
	if len(c.jwtIssuers) > 0 && c.jwtAudience == "" {
		return j, usagef("--jwt-audience is required with --jwt-issuer: tokens must be meant for this server")
	}
	for _, u := range c.jwtIssuers {
		j.OIDC = append(j.OIDC, identity.OIDCIssuer{URL: u, Audience: c.jwtAudience})
	}
	if c.jwtHS256Secret != "" {
		aud := c.jwtAudience
		if aud == "" {
			aud = identity.DefaultAudience
		}
		j.HS256 = &identity.HS256Issuer{Secret: []byte(c.jwtHS256Secret),
			Issuer: c.jwtHS256Issuer, Audience: aud}
	}
	j.RolesClaim = c.jwtRolesClaim
	return j, nil
}

// listFlag collects a repeated flag.
type listFlag struct{ values *[]string }

func (l listFlag) String() string {
	if l.values == nil {
		return ""
	}
	return strings.Join(*l.values, " ")
}

func (l listFlag) Set(v string) error {
	if v == "" {
		return errors.New("empty value")
	}
	*l.values = append(*l.values, v)
	return nil
}

// catalogFlag collects repeated --catalog values.
type catalogFlag struct{ dirs *[]string }

func (c catalogFlag) String() string {
	if c.dirs == nil {
		return ""
	}
	return strings.Join(*c.dirs, string(os.PathListSeparator))
}

func (c catalogFlag) Set(v string) error {
	if v == "" {
		return errors.New("empty folder")
	}
	*c.dirs = append(*c.dirs, v)
	return nil
}

// storeFlags registers the flags every command that opens the store takes,
// with defaults from the environment. It returns a function that checks the
// environment values the flags do not cover.
func storeFlags(fs *flag.FlagSet, e *env, cfg *config) func() error {
	var envErr error
	fs.StringVar(&cfg.dataDir, "data", e.getenv("SWITCHBOARD_DATA"),
		"data directory (SWITCHBOARD_DATA; default $XDG_DATA_HOME/switchboard or ~/.local/share/switchboard)")
	fs.StringVar(&cfg.databaseURL, "database-url", e.getenv("SWITCHBOARD_DATABASE_URL"),
		"PostgreSQL URL; the embedded SQLite store is used when empty (SWITCHBOARD_DATABASE_URL)")
	if v := e.getenv("SWITCHBOARD_CATALOG"); v != "" {
		cfg.catalogs = filepath.SplitList(v)
	}
	fs.Var(catalogFlag{&cfg.catalogs}, "catalog",
		"folder of integrations (repeatable; SWITCHBOARD_CATALOG, separated by "+string(os.PathListSeparator)+")")
	allow, err := envBool(e, "SWITCHBOARD_ALLOW_PRIVATE_NETWORK")
	if err != nil {
		envErr = err
	}
	fs.BoolVar(&cfg.allowPrivateNetwork, "allow-private-network", allow,
		"let actions reach loopback and private addresses (SWITCHBOARD_ALLOW_PRIVATE_NETWORK)")
	fs.StringVar(&cfg.logFormat, "log-format", envOr(e, "SWITCHBOARD_LOG_FORMAT", "text"),
		"log format: text or json (SWITCHBOARD_LOG_FORMAT)")
	fs.StringVar(&cfg.logLevel, "log-level", envOr(e, "SWITCHBOARD_LOG_LEVEL", "info"),
		"log level: debug, info, warn or error (SWITCHBOARD_LOG_LEVEL)")
	maxConns, err := envInt(e, "SWITCHBOARD_DB_MAX_CONNS")
	if err != nil && envErr == nil {
		envErr = err
	}
	fs.IntVar(&cfg.dbMaxConns, "db-max-conns", maxConns,
		"PostgreSQL pool size; 0 picks one from the CPU count (SWITCHBOARD_DB_MAX_CONNS)")
	poll, err := envDuration(e, "SWITCHBOARD_CHANGE_POLL_INTERVAL")
	if err != nil && envErr == nil {
		envErr = err
	}
	fs.DurationVar(&cfg.changePoll, "change-poll-interval", poll,
		"how often to read the change feed for changes made by other processes; 0 is 250ms "+
			"on SQLite and 5s on PostgreSQL, where LISTEN announces them at once "+
			"(SWITCHBOARD_CHANGE_POLL_INTERVAL)")
	jwtFlags(fs, e, cfg)
	if v := e.getenv("SWITCHBOARD_RETURN_TO"); v != "" {
		cfg.returnTo = strings.Fields(v)
	}
	fs.Var(listFlag{&cfg.returnTo}, "return-to",
		"a URL prefix OAuth flows may send the browser back to, e.g. https://app.example.com/ "+
			"(repeatable; SWITCHBOARD_RETURN_TO, space-separated)")
	maxTTL, err := envDuration(e, "SWITCHBOARD_DELEGATION_MAX_TTL")
	if err != nil && envErr == nil {
		envErr = err
	}
	fs.DurationVar(&cfg.delegationMaxTTL, "delegation-max-ttl", maxTTL,
		"the longest lifetime of a delegation token; 0 is 1h (SWITCHBOARD_DELEGATION_MAX_TTL)")
	fs.StringVar(&cfg.publicURL, "public-url", e.getenv("SWITCHBOARD_PUBLIC_URL"),
		"where browsers and OAuth providers reach the server, for OAuth callbacks and "+
			"connect links (SWITCHBOARD_PUBLIC_URL; default http:// and the listen address)")
	return func() error {
		if envErr != nil {
			return envErr
		}
		return cfg.check(e)
	}
}

func (c *config) check(e *env) error {
	c.publicURLGiven = c.publicURL != ""
	if c.publicURL == "" {
		addr := c.addr
		if addr == "" {
			addr = DefaultAddr
		}
		if strings.HasPrefix(addr, ":") {
			addr = "localhost" + addr
		}
		c.publicURL = "http://" + addr
	}
	if u, err := url.Parse(c.publicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") ||
		u.Host == "" || u.RawQuery != "" || u.User != nil {
		return usagef("--public-url: %q is not a URL such as https://switchboard.example.com", c.publicURL)
	}
	c.publicURL = strings.TrimSuffix(c.publicURL, "/")
	if c.delegationMaxTTL != 0 && (c.delegationMaxTTL < delegation.MinTTL || c.delegationMaxTTL > 24*time.Hour) {
		return usagef("--delegation-max-ttl: %s is not between %s and 24h", c.delegationMaxTTL, delegation.MinTTL)
	}
	for _, p := range c.returnTo {
		if err := credentials.CheckReturnPrefix(p); err != nil {
			return usagef("--return-to %q: %v", p, err)
		}
	}
	for _, o := range c.corsOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
			u.Path != "" || u.RawQuery != "" || u.User != nil {
			return usagef("--cors-origin: %q is not an origin such as https://app.example.com", o)
		}
	}
	switch c.logFormat {
	case "text", "json":
	default:
		return usagef("--log-format: want text or json, not %q", c.logFormat)
	}
	switch c.logLevel {
	case "debug", "info", "warn", "error":
	default:
		return usagef("--log-level: want debug, info, warn or error, not %q", c.logLevel)
	}
	if c.changePoll < 0 || (c.changePoll > 0 && c.changePoll < 10*time.Millisecond) {
		return usagef("--change-poll-interval: want 0 or at least 10ms, not %s", c.changePoll)
	}
	if c.dbMaxConns < 0 || c.dbMaxConns > 1000 {
		return usagef("--db-max-conns: want 0 to 1000, not %d", c.dbMaxConns)
	}
	if c.dataDir == "" {
		dir, err := defaultDataDir(e)
		if err != nil {
			return err
		}
		c.dataDir = dir
	}
	abs, err := filepath.Abs(c.dataDir)
	if err != nil {
		return fmt.Errorf("--data: %w", err)
	}
	c.dataDir = abs
	return nil
}

// defaultDataDir is an absolute place, the same whoever starts the process,
// so that a desktop client's `switchboard mcp` finds the shell's store.
func defaultDataDir(e *env) (string, error) {
	if x := e.getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "switchboard"), nil
	}
	home := e.getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", errors.New("no home directory: set --data or SWITCHBOARD_DATA")
		}
	}
	return filepath.Join(home, ".local", "share", "switchboard"), nil
}

func envOr(e *env, name, def string) string {
	if v := e.getenv(name); v != "" {
		return v
	}
	return def
}

func envBool(e *env, name string) (bool, error) {
	v := e.getenv(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, usagef("%s: want true or false, not %q", name, v)
	}
	return b, nil
}

func envInt(e *env, name string) (int, error) {
	v := e.getenv(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, usagef("%s: want a whole number, not %q", name, v)
	}
	return n, nil
}

// parseFlags parses args, flags and positional arguments in any order
// ("--" ends the flags), and returns the positional ones.
func parseFlags(fs *flag.FlagSet, args []string, check func() error) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			// The flag package has already printed the problem and the usage.
			return nil, &usageError{}
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	if check != nil {
		if err := check(); err != nil {
			return nil, err
		}
	}
	return positional, nil
}

func envDuration(e *env, name string) (time.Duration, error) {
	v := e.getenv(name)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, usagef("%s: want a duration such as 1h or 30m, not %q", name, v)
	}
	return d, nil
}
