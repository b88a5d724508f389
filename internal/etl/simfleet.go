package etl

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/spec"
)

// simLayer is one level of a generated fleet's lineage: its pipelines read
// what the level before writes.
type simLayer struct {
	name      string  // Pipeline name prefix.
	namespace string  // Namespace of the datasets it writes.
	share     float64 // Share of the fleet's pipelines.
}

// simLayers are the levels of a generated fleet, upstream first: five, so
// that the fleet's lineage is at least four pipelines deep.
var simLayers = [...]simLayer{
	{"ingest", "raw", 0.40},
	{"stage", "stg", 0.25},
	{"mart", "mart", 0.15},
	{"report", "rpt", 0.12},
	{"export", "exp", 0.08},
}

// simTeams own the generated pipelines, in turn.
var simTeams = [...]string{"commerce", "growth", "finance", "logistics", "platform"}

// GenerateFleet makes a realistic, valid fleet of n pipelines from seed,
// for simulations and demos. Ingest pipelines run on cron and interval
// schedules and extract from generate sources and HTTP APIs into SQLite;
// each later level (stage, mart, report, export) is triggered by after:
// schedules on the pipelines or datasets of the level before, or runs
// daily on cron, and reads their datasets, so that with five or more
// pipelines the lineage is at least four pipelines deep. Tasks have
// timeouts, retries with transient classes, resources, and some optional
// checks. The same n and seed give the same fleet.
func GenerateFleet(n int, seed int64) (*spec.Fleet, error) {
	if n < 1 {
		return nil, fmt.Errorf("generate fleet: %d pipelines: want at least 1", n)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed_f1ee7))
	counts := layerCounts(n)
	var (
		pipelines []*spec.Pipeline
		previous  []*spec.Pipeline // The level before.
	)
	for li, count := range counts {
		layer := simLayers[li]
		var current []*spec.Pipeline
		for i := range count {
			name := fmt.Sprintf("%s_%02d", layer.name, i)
			p := spec.DefaultPipeline()
			p.Name, p.File = name, name+".yaml"
			p.Team = simTeams[(li+i)%len(simTeams)]
			p.Owner = p.Team + "-data@example.org"
			p.Description = fmt.Sprintf("Generated %s pipeline.", layer.name)
			p.MaxActiveRuns = 1 + rng.IntN(2)
			p.Catchup = []spec.CatchupPolicy{spec.CatchupLatest, spec.CatchupLatest, spec.CatchupAll, spec.CatchupNone}[rng.IntN(4)]
			if li == 0 {
				ingestPipeline(rng, &p, layer)
			} else {
				downstreamPipeline(rng, &p, layer, previous, i)
			}
			current = append(current, &p)
		}
		pipelines = append(pipelines, current...)
		previous = current
	}
	fleet, err := spec.NewFleet(pipelines, nil)
	if err != nil {
		return nil, fmt.Errorf("generate fleet: %w", err)
	}
	return fleet, nil
}

// layerCounts splits n pipelines among the levels, each level getting at
// least one while there are pipelines left.
func layerCounts(n int) []int {
	levels := min(n, len(simLayers))
	counts := make([]int, levels)
	total := 0
	for i := range levels {
		counts[i] = max(1, int(math.Round(float64(n)*simLayers[i].share)))
		total += counts[i]
	}
	for total > n { // Rounding gave too many: take from the later levels.
		for i := levels - 1; i >= 0 && total > n; i-- {
			if counts[i] > 1 {
				counts[i]--
				total--
			}
		}
	}
	counts[0] += n - total
	return counts
}

// ingestPipeline fills in a pipeline that extracts from outside: one to
// three extracts into raw tables, a staging transform and a check.
func ingestPipeline(rng *rand.Rand, p *spec.Pipeline, layer simLayer) {
	switch r := rng.Float64(); {
	case r < 0.12:
		p.Schedule.Interval = spec.Duration(15 * time.Minute)
		p.SLA = spec.Duration(15 * time.Minute)
	case r < 0.62:
		p.Schedule.Cron = fmt.Sprintf("%d * * * *", rng.IntN(12)*5)
		p.SLA = spec.Duration(45 * time.Minute)
	case r < 0.82:
		p.Schedule.Cron = fmt.Sprintf("%d */6 * * *", rng.IntN(4)*15)
		p.SLA = spec.Duration(2 * time.Hour)
	default:
		p.Schedule.Cron = fmt.Sprintf("0 %d * * *", 1+rng.IntN(5))
		p.SLA = spec.Duration(4 * time.Hour)
	}
	var raw []string
	for k := range 1 + rng.IntN(3) {
		t := simTask(rng, fmt.Sprintf("extract_%c", 'a'+k), spec.KindExtract)
		table := fmt.Sprintf("%s_%c", p.Name, 'a'+k)
		if rng.Float64() < 0.4 {
			t.Source = &spec.Endpoint{Connector: "http", Settings: map[string]any{
				"url": fmt.Sprintf("http://api-%d.example.org/v1/%s", rng.IntN(4), table), "records": "data"}}
		} else {
			t.Source = &spec.Endpoint{Connector: "generate", Settings: map[string]any{"rows": 1000 + rng.IntN(9000), "seed": rng.IntN(1000)}}
		}
		t.Sink = sqliteSink("warehouse.db", "raw_"+table)
		t.Outputs = []string{layer.namespace + "." + table}
		raw = append(raw, t.Outputs[0])
		p.Tasks = append(p.Tasks, t)
	}
	stage := simTask(rng, "stage", spec.KindTransform)
	stage.Inputs = raw
	stage.Source = &spec.Endpoint{Connector: "sqlite", Settings: map[string]any{"path": "warehouse.db", "table": "raw_" + p.Name + "_a"}}
	stage.Transform = []spec.Step{{Filter: "row.amount > 0.0"}}
	stage.Sink = sqliteSink("warehouse.db", p.Name)
	stage.Outputs = []string{layer.namespace + "." + p.Name}
	p.Tasks = append(p.Tasks, stage, simCheck(rng, layer.namespace+"."+p.Name, "warehouse.db", p.Name))
}

// downstreamPipeline fills in a pipeline that reads what pipelines of the
// level before write: a join in SQL, an enrichment, a check, and for the
// export level a publication. Pipeline i of a level reads the i-th of the
// level before (so every upstream pipeline has a reader) and maybe one
// more.
func downstreamPipeline(rng *rand.Rand, p *spec.Pipeline, layer simLayer, upstream []*spec.Pipeline, i int) {
	ups := []*spec.Pipeline{upstream[i%len(upstream)]}
	if len(upstream) > 1 && rng.Float64() < 0.5 {
		if other := upstream[rng.IntN(len(upstream))]; other != ups[0] {
			ups = append(ups, other)
		}
	}
	var inputs []string
	for _, u := range ups {
		inputs = append(inputs, finalOutput(u))
	}
	switch r := rng.Float64(); {
	case r < 0.15:
		p.Schedule.Cron = fmt.Sprintf("30 %d * * *", 6+rng.IntN(3))
		p.SLA = spec.Duration(3 * time.Hour)
	case r < 0.55:
		for _, u := range ups {
			p.Schedule.After = append(p.Schedule.After, spec.PipelineID(u.Name))
		}
	default:
		for _, d := range inputs {
			p.Schedule.After = append(p.Schedule.After, spec.DatasetID(d))
		}
	}
	db := layer.namespace + ".db"
	join := simTask(rng, "join", spec.KindTransform)
	join.Inputs = inputs
	join.SQL = &spec.SQL{Endpoint: spec.Endpoint{Connector: "sqlite", Settings: map[string]any{"path": db}},
		Statement: fmt.Sprintf("INSERT OR REPLACE INTO %s_base SELECT * FROM src", p.Name)}
	join.Outputs = []string{layer.namespace + "." + p.Name + "_base"}
	enrich := simTask(rng, "enrich", spec.KindTransform)
	enrich.Inputs = join.Outputs
	enrich.Source = &spec.Endpoint{Connector: "sqlite", Settings: map[string]any{"path": db, "table": p.Name + "_base"}}
	enrich.Sink = sqliteSink(db, p.Name)
	enrich.Outputs = []string{layer.namespace + "." + p.Name}
	p.Tasks = append(p.Tasks, join, enrich, simCheck(rng, enrich.Outputs[0], db, p.Name))
	if layer.name == "export" {
		publish := simTask(rng, "publish", spec.KindLoad)
		publish.Inputs = enrich.Outputs
		publish.Source = &spec.Endpoint{Connector: "sqlite", Settings: map[string]any{"path": db, "table": p.Name}}
		publish.Sink = &spec.Endpoint{Connector: "csv", Settings: map[string]any{"path": "exports/" + p.Name + ".csv"}}
		publish.Outputs = []string{"files." + p.Name}
		publish.Criticality = spec.Optional
		p.Tasks = append(p.Tasks, publish)
	}
}

// finalOutput returns the dataset a generated pipeline ends with.
func finalOutput(p *spec.Pipeline) string {
	for i := len(p.Tasks) - 1; i >= 0; i-- {
		if t := p.Tasks[i]; t.Kind != spec.KindCheck && len(t.Outputs) > 0 {
			return t.Outputs[0]
		}
	}
	return ""
}

// simTask returns a task with the generated fleet's usual timeout, retries
// and resources.
func simTask(rng *rand.Rand, name string, kind spec.TaskKind) spec.Task {
	t := spec.DefaultTask()
	t.Name, t.Kind = name, kind
	t.Timeout = spec.Duration(time.Duration(20+rng.IntN(3)*10) * time.Minute)
	t.Retries.Count = 2 + rng.IntN(2)
	t.Retries.Backoff = spec.Duration(30 * time.Second)
	t.Retries.MaxBackoff = spec.Duration(10 * time.Minute)
	t.Resources = spec.Resources{CPU: []float64{0.5, 1, 2}[rng.IntN(3)], Memory: spec.ByteSize(256<<20) << rng.IntN(3)}
	return t
}

// simCheck returns a check of a dataset, optional half of the time.
func simCheck(rng *rand.Rand, dataset, db, table string) spec.Task {
	t := simTask(rng, "check", spec.KindCheck)
	t.Inputs = []string{dataset}
	t.Source = &spec.Endpoint{Connector: "sqlite", Settings: map[string]any{"path": db, "table": table}}
	t.Assert = []string{"rows > 0"}
	t.Retries.Count = 0
	if rng.Float64() < 0.5 {
		t.Criticality = spec.Optional
	}
	return t
}

// sqliteSink returns an appending SQLite sink.
func sqliteSink(path, table string) *spec.Endpoint {
	return &spec.Endpoint{Connector: "sqlite", Settings: map[string]any{"path": path, "table": table, "mode": "append"}}
}
