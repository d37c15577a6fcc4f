// Package sqlmigrate loads the numbered SQL migration files a store embeds.
// Both stores name and order their migrations the same way; how they apply
// them (transactions, locks, the schema_migrations table) stays in each
// store, since that is where the dialects differ.
package sqlmigrate

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one file, NNNN_what.sql: its version NNNN, its file name
// and its SQL.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Load reads the files matching pattern (e.g. "migrations/*.sql") from
// fsys, ordered by version. A name without a positive version before its
// first "_", or two files of one version, is an error: either would make
// the order, and so the schema, depend on file names alone.
func Load(fsys fs.FS, pattern string) ([]Migration, error) {
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	seen := map[int]string{}
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_what.sql", base)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", other, base, v)
		}
		seen[v] = base
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}
