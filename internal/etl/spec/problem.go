package spec

import (
	"fmt"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a spec, located as precisely as the
// package can: the file, the line when the YAML decoder reported it, and the
// field, such as "tasks[2] (stage_orders).inputs[0]".
type Problem struct {
	File    string
	Line    int
	Field   string
	Message string
}

// Error formats p as "file:line: field: message", leaving out what is not
// known.
func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(p.Line))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found, grouped by file in the order the files
// were read. It is the error Parse, ParseFile, Validate, NewFleet and
// LoadDir return when a spec is wrong; use errors.As to get at the list.
type Problems []Problem

// Error lists the problems, one a line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems as errors, for errors.Is and errors.As.
func (ps Problems) Unwrap() []error {
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errs
}

// collector gathers the problems of one file.
type collector struct {
	file string
	list Problems
}

// add records a problem of field; an empty field is the whole file.
func (c *collector) add(field, format string, args ...any) {
	c.list = append(c.list, Problem{File: c.file, Field: field, Message: fmt.Sprintf(format, args...)})
}

// err returns the problems gathered, or nil.
func (c *collector) err() error {
	if len(c.list) == 0 {
		return nil
	}
	return c.list
}

// taskField names the i-th task in problem messages, with its name when it
// has one: "tasks[2] (stage_orders)".
func taskField(i int, name string) string {
	if name == "" {
		return fmt.Sprintf("tasks[%d]", i)
	}
	return fmt.Sprintf("tasks[%d] (%s)", i, name)
}
