package migration_test

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/store/internal/migration"
)

func file(sql string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(sql)} }

func TestLoad(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"m/0010_later.sql": file("B"),
		"m/0002_first.sql": file("A"),
		"m/README.md":      file("not a migration"),
	}
	ms, err := migration.Load(fsys, "m")
	require.NoError(t, err)
	require.Equal(t, []migration.Migration{
		{Version: 2, Name: "0002_first.sql", SQL: "A"},
		{Version: 10, Name: "0010_later.sql", SQL: "B"},
	}, ms)

	require.True(t, migration.Current(ms, map[int64]bool{2: true, 10: true, 11: true}))
	require.False(t, migration.Current(ms, map[int64]bool{2: true}))
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fsys fstest.MapFS
	}{
		{"no number", fstest.MapFS{"m/init.sql": file("")}},
		{"no underscore", fstest.MapFS{"m/0001.sql": file("")}},
		{"zero", fstest.MapFS{"m/0000_init.sql": file("")}},
		{"shared version", fstest.MapFS{"m/0001_a.sql": file(""), "m/1_b.sql": file("")}},
		{"none", fstest.MapFS{"m/README.md": file("")}},
		{"no directory", fstest.MapFS{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := migration.Load(tt.fsys, "m")
			require.Error(t, err)
		})
	}
}
