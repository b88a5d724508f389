package state

import "testing"

func TestRebind(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT * FROM t WHERE a = $1 AND b = $2`, `SELECT * FROM t WHERE a = ?1 AND b = ?2`},
		{`UPDATE t SET a = $10 WHERE b = $2 OR c = $2`, `UPDATE t SET a = ?10 WHERE b = ?2 OR c = ?2`},
		{`SELECT '$1', "$2", 'it''s $3' FROM t WHERE x = $4`, `SELECT '$1', "$2", 'it''s $3' FROM t WHERE x = ?4`},
		{`SELECT $ FROM t WHERE x = $a`, `SELECT $ FROM t WHERE x = $a`},
		{`SELECT x FROM t WHERE y = $1`, `SELECT x FROM t WHERE y = ?1`},
	} {
		if got := rebind(DialectSQLite, tc.in); got != tc.want {
			t.Errorf("rebind(sqlite, %q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := rebind(DialectPostgres, tc.in); got != tc.in {
			t.Errorf("rebind(postgres, %q) = %q, want it unchanged", tc.in, got)
		}
	}
}
