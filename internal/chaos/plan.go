package chaos

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/connector"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
)

// Targets are what Plan may strike. Lists may be empty if no fault kind
// needs them alone.
type Targets struct {
	Pipelines []string
	// Tasks are the tasks that read a source, as "<pipeline>/<task>".
	Tasks []string
	// SourceEndpoints and SinkEndpoints are the connector endpoints tasks
	// read and write, as etl.Endpoints spells them.
	SourceEndpoints []string
	SinkEndpoints   []string
	// Datasets are the datasets extracted from sources, where data faults
	// strike.
	Datasets []string
	Agents   []string
}

// FleetTargets returns the targets of fleet, run by the agents named:
// every pipeline, every task that reads a source (checks aside), the
// endpoints read and written, and the datasets extract tasks write, or if
// there are none, those written by any task that reads a source.
func FleetTargets(fleet *spec.Fleet, agents []string) Targets {
	var t Targets
	var written []string
	for _, p := range fleet.Pipelines() {
		t.Pipelines = append(t.Pipelines, p.Name)
		for _, task := range p.Tasks {
			if ep := endpointOf(task.Sink); ep != "" {
				t.SinkEndpoints = append(t.SinkEndpoints, ep)
			}
			if task.SQL != nil {
				t.SinkEndpoints = append(t.SinkEndpoints, endpointOf(&task.SQL.Endpoint))
			}
			if task.Source == nil || task.Kind == spec.KindCheck {
				continue
			}
			t.Tasks = append(t.Tasks, p.Name+"/"+task.Name)
			if ep := endpointOf(task.Source); ep != "" {
				t.SourceEndpoints = append(t.SourceEndpoints, ep)
			}
			written = append(written, task.Outputs...)
			if task.Kind == spec.KindExtract {
				t.Datasets = append(t.Datasets, task.Outputs...)
			}
		}
	}
	if len(t.Datasets) == 0 {
		t.Datasets = written
	}
	t.Agents = slices.Clone(agents)
	for _, l := range []*[]string{&t.Pipelines, &t.Tasks, &t.SourceEndpoints, &t.SinkEndpoints, &t.Datasets, &t.Agents} {
		slices.Sort(*l)
		*l = slices.Compact(slices.DeleteFunc(*l, func(s string) bool { return s == "" }))
	}
	return t
}

// shape is how Plan draws the faults of a kind: their duration, their
// intensity, and what they strike, with weights.
type shape struct {
	minDur, maxDur time.Duration
	lo, hi         float64 // The range of intensities.
	targets        []weighted
}

// weighted is a type of target with its weight.
type weighted struct {
	typ    TargetType
	weight float64
	list   func(Targets) []string
}

var (
	onSources   = func(t Targets) []string { return t.SourceEndpoints }
	onSinks     = func(t Targets) []string { return t.SinkEndpoints }
	onPipelines = func(t Targets) []string { return t.Pipelines }
	onTasks     = func(t Targets) []string { return t.Tasks }
	onDatasets  = func(t Targets) []string { return t.Datasets }
	onAgents    = func(t Targets) []string { return t.Agents }

	sourceTargets = []weighted{{TargetEndpoint, 0.5, onSources}, {TargetTask, 0.35, onTasks}, {TargetPipeline, 0.15, onPipelines}}
	dataTargets   = []weighted{{TargetDataset, 0.8, onDatasets}, {TargetTask, 0.2, onTasks}}
	agentTargets  = []weighted{{TargetAgent, 1, onAgents}}
)

// shapes gives the shape of every kind.
var shapes = map[Kind]shape{
	SourceLatency:   {20 * time.Minute, 2 * time.Hour, 0.2, 1, sourceTargets},
	SourceErrors:    {15 * time.Minute, 90 * time.Minute, 0.3, 0.9, sourceTargets},
	AgentCrash:      {10 * time.Minute, time.Hour, 1, 1, agentTargets},
	AgentSlowdown:   {time.Hour, 4 * time.Hour, 0.2, 1, agentTargets},
	AgentMemoryLeak: {3 * time.Hour, 12 * time.Hour, 0.3, 1, agentTargets},
	SinkFull:        {30 * time.Minute, 3 * time.Hour, 1, 1, []weighted{{TargetEndpoint, 0.7, onSinks}, {TargetDataset, 0.3, onDatasets}}},
	SchemaChange:    {2 * time.Hour, 12 * time.Hour, 1, 1, dataTargets},
	Drift:           {4 * time.Hour, 12 * time.Hour, 0.3, 1, dataTargets},
	VolumeDrop:      {time.Hour, 6 * time.Hour, 0.5, 1, dataTargets},
	VolumeSpike:     {time.Hour, 4 * time.Hour, 0.3, 1, dataTargets},
	LateData:        {2 * time.Hour, 8 * time.Hour, 0.2, 0.8, dataTargets},
}

// planErrorClasses are the classes Plan gives SourceErrors faults.
var planErrorClasses = [...]connector.Class{
	connector.ClassConnection, connector.ClassHTTP5xx, connector.ClassTimeout, connector.ClassRateLimited,
}

// planStream separates Plan's random stream from others seeded alike.
const planStream = 0xc4a05

// Plan draws a schedule of perKind faults of every kind over days days
// from start, on targets, the same for the same arguments. About a quarter
// of the days, at least one, are quiet: no fault is active in them. The
// faults fall at random times of the other days, may run into the next
// one, and every fourth starts while an earlier one is active, so that
// faults overlap. Schema changes cycle through the column changes, so that
// with four or more per kind every change is planned. IDs ("f001", ...)
// follow the order of the faults' starts.
func Plan(seed int64, targets Targets, start time.Time, days, perKind int) (Schedule, error) {
	switch {
	case days < 2:
		return nil, fmt.Errorf("plan faults: %d days: want at least 2, so that some are quiet", days)
	case perKind < 1:
		return nil, fmt.Errorf("plan faults: %d faults per kind: want at least 1", perKind)
	}
	for _, k := range kinds {
		if !slices.ContainsFunc(shapes[k].targets, func(w weighted) bool { return len(w.list(targets)) > 0 }) {
			var types []string
			for _, w := range shapes[k].targets {
				types = append(types, string(w.typ))
			}
			return nil, fmt.Errorf("plan faults: nothing for %s to strike: targets has no %s", k, strings.Join(types, " or "))
		}
	}
	rng := rand.New(rand.NewPCG(uint64(seed), planStream))
	end := start.Add(time.Duration(days) * 24 * time.Hour)
	quiet := rng.Perm(days)[:max(1, int(math.Round(float64(days)/4)))]
	var active []int
	for d := range days {
		if !slices.Contains(quiet, d) {
			active = append(active, d)
		}
	}
	// limit returns when a fault starting at t must end: at the next
	// quiet day, or the end of the period.
	limit := func(t time.Time) time.Time {
		next := end
		for _, d := range quiet {
			if q := start.Add(time.Duration(d) * 24 * time.Hour); q.After(t) && q.Before(next) {
				next = q
			}
		}
		return next
	}

	order := make([]Kind, 0, len(kinds)*perKind)
	for _, k := range kinds {
		for range perKind {
			order = append(order, k)
		}
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })

	out := make(Schedule, 0, len(order))
	changes := 0
	for i, k := range order {
		sh := shapes[k]
		f := Fault{Kind: k, Target: pickTarget(rng, sh.targets, targets)}
		f.Duration = (sh.minDur + time.Duration(rng.Int64N(int64(sh.maxDur-sh.minDur)+1))).Truncate(time.Minute)
		f.Intensity = math.Round((sh.lo+(sh.hi-sh.lo)*rng.Float64())*100) / 100
		if i%4 == 3 {
			prev := out[rng.IntN(len(out))]
			f.Start = prev.Start.Add(time.Duration(rng.Int64N(int64(prev.Duration) * 4 / 5))).Truncate(time.Minute)
		} else {
			day := start.Add(time.Duration(active[rng.IntN(len(active))]) * 24 * time.Hour)
			f.Start = day.Add(time.Duration(rng.Int64N(int64(24 * time.Hour)))).Truncate(time.Minute)
		}
		if lim := limit(f.Start); f.End().After(lim) {
			f.Start = lim.Add(-f.Duration)
		}
		switch k {
		case SourceErrors:
			f.Class = planErrorClasses[rng.IntN(len(planErrorClasses))]
		case SchemaChange:
			f.Change = columnChanges[changes%len(columnChanges)]
			changes++
		}
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b Fault) int {
		return cmp.Or(a.Start.Compare(b.Start), strings.Compare(string(a.Kind), string(b.Kind)),
			strings.Compare(a.Target.String(), b.Target.String()))
	})
	for i := range out {
		out[i].ID = fmt.Sprintf("f%03d", i+1)
	}
	return out, nil
}

// pickTarget draws a target among the weighted types that targets has;
// Plan has checked that it has one.
func pickTarget(rng *rand.Rand, ws []weighted, targets Targets) Target {
	type option struct {
		typ    TargetType
		weight float64
		list   []string
	}
	var (
		opts  []option
		total float64
	)
	for _, w := range ws {
		if list := w.list(targets); len(list) > 0 {
			opts = append(opts, option{w.typ, w.weight, list})
			total += w.weight
		}
	}
	x := rng.Float64() * total
	o := opts[len(opts)-1] // Where rounding leaves x past the end.
	for _, c := range opts {
		if x < c.weight {
			o = c
			break
		}
		x -= c.weight
	}
	return Target{Type: o.typ, Name: o.list[rng.IntN(len(o.list))]}
}
