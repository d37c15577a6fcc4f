package sqlite

import (
	"database/sql"
	"encoding/json"
	"time"

	"github.com/signet-dev/signet/internal/dbcodec"
)

// Times are stored as unix microseconds: integers sort correctly, and
// microseconds are what PostgreSQL keeps too.

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// nullMicros stores an absent time as NULL.
func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func fromNullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// nullText stores empty raw JSON as NULL; STRICT TEXT columns refuse []byte.
func nullText(b []byte) sql.NullString {
	if len(b) == 0 {
		return sql.NullString{}
	}
	return sql.NullString{String: string(b), Valid: true}
}

func fromNullText(v sql.NullString) json.RawMessage {
	return dbcodec.FromNullJSON([]byte(v.String)) // "" when NULL
}

// encodeMap and decodeMap carry dbcodec's maps in nullable TEXT.
func encodeMap(m map[string]string) (sql.NullString, error) {
	b, err := dbcodec.EncodeMap(m)
	if err != nil {
		return sql.NullString{}, err
	}
	return nullText(b), nil
}

func decodeMap(v sql.NullString) (map[string]string, error) {
	return dbcodec.DecodeMap([]byte(v.String)) // "" when NULL
}
