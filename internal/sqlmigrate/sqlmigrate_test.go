package sqlmigrate_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/signet-dev/signet/internal/sqlmigrate"
)

func files(names ...string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for _, n := range names {
		fsys["migrations/"+n] = &fstest.MapFile{Data: []byte("-- " + n)}
	}
	return fsys
}

func TestLoadOrdersByVersion(t *testing.T) {
	// 0010 sorts before 0002 by name; the order must come from the number.
	fsys := files("0010_ten.sql", "0002_two.sql", "0001_init.sql")
	fsys["migrations/README"] = &fstest.MapFile{Data: []byte("not a migration")}
	ms, err := sqlmigrate.Load(fsys, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Name)
		if m.SQL != "-- "+m.Name {
			t.Errorf("%s: SQL = %q", m.Name, m.SQL)
		}
	}
	if want := "0001_init.sql 0002_two.sql 0010_ten.sql"; strings.Join(got, " ") != want {
		t.Errorf("order = %v, want %s", got, want)
	}
	if ms[2].Version != 10 {
		t.Errorf("version of %s = %d, want 10", ms[2].Name, ms[2].Version)
	}
}

func TestLoadEmpty(t *testing.T) {
	ms, err := sqlmigrate.Load(files(), "migrations/*.sql")
	if err != nil || len(ms) != 0 {
		t.Errorf("Load(no files) = %v, %v; want none", ms, err)
	}
}

func TestLoadRejects(t *testing.T) {
	for _, tt := range []struct {
		files []string
		want  string
	}{
		{[]string{"init.sql"}, "migration init.sql: name must be NNNN_what.sql"},
		{[]string{"0001init.sql"}, "migration 0001init.sql: name must be NNNN_what.sql"},
		{[]string{"0000_zero.sql"}, "migration 0000_zero.sql: name must be NNNN_what.sql"},
		{[]string{"-001_neg.sql"}, "migration -001_neg.sql: name must be NNNN_what.sql"},
		{[]string{"0001_a.sql", "1_b.sql"}, "migrations 0001_a.sql and 1_b.sql share version 1"},
	} {
		if _, err := sqlmigrate.Load(files(tt.files...), "migrations/*.sql"); err == nil || err.Error() != tt.want {
			t.Errorf("Load(%v) = %v, want %q", tt.files, err, tt.want)
		}
	}
}

func TestLoadBadPattern(t *testing.T) {
	if _, err := sqlmigrate.Load(files(), "migrations/[.sql"); err == nil {
		t.Error("Load(malformed pattern) succeeded, want an error")
	}
}
