// Package migration reads the numbered schema migrations that each store
// embeds. A migration is a file named NNNN_words.sql; its number is its
// version, and migrations apply in increasing order of version, each once.
package migration

import (
	"cmp"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migration is one schema change: its version, its file name and its SQL.
type Migration struct {
	Version int64
	Name    string
	SQL     string
}

// Load returns the migrations in directory dir of fsys, ordered by version.
// It returns an error for a .sql file whose name does not start with a
// positive number followed by "_", for two files with one version, and for
// a directory without migrations.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}

	var ms []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		m, err := load(fsys, dir, e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("read migrations: none in %s", dir)
	}

	slices.SortFunc(ms, func(a, b Migration) int { return cmp.Compare(a.Version, b.Version) })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share version %d",
				ms[i-1].Name, ms[i].Name, ms[i].Version)
		}
	}
	return ms, nil
}

func load(fsys fs.FS, dir, name string) (Migration, error) {
	num, _, ok := strings.Cut(name, "_")
	v, err := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil || v <= 0 {
		return Migration{}, fmt.Errorf(
			"migration %s: name must start with a positive number and _", name)
	}

	b, err := fs.ReadFile(fsys, path.Join(dir, name))
	if err != nil {
		return Migration{}, fmt.Errorf("read migration %s: %w", name, err)
	}
	return Migration{Version: v, Name: name, SQL: string(b)}, nil
}

// Current reports whether every migration of ms is among applied.
func Current(ms []Migration, applied map[int64]bool) bool {
	for _, m := range ms {
		if !applied[m.Version] {
			return false
		}
	}
	return true
}
