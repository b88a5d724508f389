package detect

import (
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	for _, name := range Names() {
		d, err := New(name)
		if err != nil || d == nil {
			t.Errorf("New(%q) = %v, %v", name, d, err)
		}
	}
	if Names()[0] != NameEnsemble {
		t.Errorf("the default detector is %q, want %q", Names()[0], NameEnsemble)
	}
	if _, err := New("htm"); err == nil || !strings.Contains(err.Error(), "known: vigil, windowed-gaussian") {
		t.Errorf("New(htm) error = %v", err)
	}
}

func TestComponentString(t *testing.T) {
	for _, c := range []struct {
		c    Component
		want string
	}{{0, "none"}, {Level, "level"}, {Level | Novel, "level+novel"}, {Extreme | Change, "extreme+change"}} {
		if got := c.c.String(); got != c.want {
			t.Errorf("%d.String() = %q, want %q", c.c, got, c.want)
		}
	}
}

func TestRangeContains(t *testing.T) {
	r := Range{Low: -1, High: 2}
	if !r.Contains(-1) || !r.Contains(2) || r.Contains(2.5) || r.Contains(-1.5) {
		t.Errorf("%+v.Contains is wrong", r)
	}
}
