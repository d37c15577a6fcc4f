package postgres

// Times need no codec: timestamptz keeps microseconds, pgx truncates Go's
// nanoseconds on the way in, and the pool scans them back in UTC (Open).
// A nil *time.Time is NULL both ways. The other columns' conventions,
// shared with the SQLite store, are in dbcodec; pgx takes and gives their
// []byte as is.
