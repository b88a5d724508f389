package state

// schema returns the schema's history, oldest first, with versions
// increasing from 1 without gaps. It is append-only: once released, a
// migration is never edited, reordered or removed; changes go into a new one.
//
// Times are stored as BIGINT Unix microseconds in both dialects, so they
// compare the same way on both and carry no time zone.
func schema() []migration {
	return []migration{
		{
			version: 1,
			name:    "create meta",
			sql: `CREATE TABLE meta (
				key   TEXT PRIMARY KEY,
				value BLOB NOT NULL
			)`,
			dialectSQL: map[Dialect]string{
				DialectPostgres: `CREATE TABLE meta (
					key   TEXT PRIMARY KEY,
					value BYTEA NOT NULL
				)`,
			},
		},
		{
			version: 2,
			name:    "create outbox",
			sql: `CREATE TABLE outbox (
				id             INTEGER PRIMARY KEY AUTOINCREMENT,
				topic          TEXT NOT NULL,
				key            TEXT NOT NULL,
				payload        BLOB NOT NULL,
				state          TEXT NOT NULL CHECK (state IN ('pending', 'claimed', 'done', 'dead')),
				attempts       INTEGER NOT NULL DEFAULT 0,
				not_before_us  BIGINT NOT NULL,
				owner          TEXT NOT NULL DEFAULT '',
				lease_until_us BIGINT NOT NULL DEFAULT 0,
				last_error     TEXT NOT NULL DEFAULT '',
				UNIQUE (topic, key)
			);
			CREATE INDEX outbox_due ON outbox (topic, state, not_before_us)`,
			dialectSQL: map[Dialect]string{
				DialectPostgres: `CREATE TABLE outbox (
					id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
					topic          TEXT NOT NULL,
					key            TEXT NOT NULL,
					payload        BYTEA NOT NULL,
					state          TEXT NOT NULL CHECK (state IN ('pending', 'claimed', 'done', 'dead')),
					attempts       INTEGER NOT NULL DEFAULT 0,
					not_before_us  BIGINT NOT NULL,
					owner          TEXT NOT NULL DEFAULT '',
					lease_until_us BIGINT NOT NULL DEFAULT 0,
					last_error     TEXT NOT NULL DEFAULT '',
					UNIQUE (topic, key)
				);
				CREATE INDEX outbox_due ON outbox (topic, state, not_before_us)`,
			},
		},
		{
			version: 3,
			name:    "create etl runtime tables",
			sql:     etlSchemaSQL("id INTEGER PRIMARY KEY AUTOINCREMENT"),
			dialectSQL: map[Dialect]string{
				DialectPostgres: etlSchemaSQL("id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
			},
		},
	}
}
