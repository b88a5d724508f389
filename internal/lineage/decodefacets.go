package lineage

import (
	"encoding/json"
	"fmt"
)

// typedFacet decodes the facet name if it is one of the typed facets of its
// container, reporting whether it was.
type typedFacet func(name string, o object, base BaseFacet) (bool, error)

// decodeFacetMap checks the facets object v at path: each facet must be an
// object with _producer and _schemaURL, and, when deletable (job and dataset
// facets), a boolean _deleted if any. It hands every facet to typed and
// returns those typed did not take as compact JSON.
func decodeFacetMap(path string, v any, deletable bool, typed typedFacet) (map[string]json.RawMessage, error) {
	o, err := asObject(path, v)
	if err != nil {
		return nil, err
	}
	var other map[string]json.RawMessage
	for _, name := range sortedKeys(o.m) {
		fo, err := asObject(o.at(name), o.m[name])
		if err != nil {
			return nil, err
		}
		base, err := decodeBase(fo, deletable)
		if err != nil {
			return nil, err
		}
		ok, err := typed(name, fo, base)
		if err != nil {
			return nil, err
		}
		if ok {
			continue
		}
		// Parsed JSON always encodes; the sorted keys and compact form make
		// the result the same however the producer wrote the facet.
		raw, err := json.Marshal(fo.m)
		if err != nil {
			return nil, fmt.Errorf("encode facet %s: %w", fo.path, err)
		}
		if other == nil {
			other = make(map[string]json.RawMessage)
		}
		other[name] = raw
	}
	return other, nil
}

// decodeBase reads the properties every facet has.
func decodeBase(o object, deletable bool) (BaseFacet, error) {
	var b BaseFacet
	var err error
	if b.Producer, err = o.uri("_producer"); err != nil {
		return b, err
	}
	if b.SchemaURL, err = o.uri("_schemaURL"); err != nil {
		return b, err
	}
	if deletable {
		_, err = o.boolean("_deleted")
	}
	return b, err
}

// decodeRunFacets decodes the facets of a run.
func decodeRunFacets(path string, v any) (RunFacets, error) {
	var f RunFacets
	other, err := decodeFacetMap(path, v, false, func(name string, o object, base BaseFacet) (bool, error) {
		var err error
		switch name {
		case FacetNominalTime:
			f.NominalTime, err = decodeNominalTime(o, base)
		case FacetParent:
			f.Parent, err = decodeParent(o, base)
		case FacetErrorMessage:
			f.ErrorMessage, err = decodeErrorMessage(o, base)
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return RunFacets{}, err
	}
	f.Other = other
	return f, nil
}

// decodeJobFacets decodes the facets of a job.
func decodeJobFacets(path string, v any) (JobFacets, error) {
	var f JobFacets
	other, err := decodeFacetMap(path, v, true, func(name string, o object, base BaseFacet) (bool, error) {
		if name != FacetJobType {
			return false, nil
		}
		var err error
		f.JobType, err = decodeJobType(o, base)
		return true, err
	})
	if err != nil {
		return JobFacets{}, err
	}
	f.Other = other
	return f, nil
}

// decodeDatasetFacets decodes the facets of a dataset.
func decodeDatasetFacets(path string, v any) (DatasetFacets, error) {
	var f DatasetFacets
	other, err := decodeFacetMap(path, v, true, func(name string, o object, base BaseFacet) (bool, error) {
		var err error
		switch name {
		case FacetSchema:
			f.Schema, err = decodeSchema(o, base)
		case FacetDataQualityMetrics:
			f.DataQualityMetrics, err = decodeDataQualityMetrics(o, base)
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return DatasetFacets{}, err
	}
	f.Other = other
	return f, nil
}

// decodeInputFacets decodes the facets of a run's input.
func decodeInputFacets(path string, v any) (InputDatasetFacets, error) {
	var f InputDatasetFacets
	other, err := decodeFacetMap(path, v, false, func(name string, o object, base BaseFacet) (bool, error) {
		if name != FacetDataQualityMetrics {
			return false, nil
		}
		var err error
		f.DataQualityMetrics, err = decodeDataQualityMetrics(o, base)
		return true, err
	})
	if err != nil {
		return InputDatasetFacets{}, err
	}
	f.Other = other
	return f, nil
}

// decodeOutputFacets decodes the facets of a run's output.
func decodeOutputFacets(path string, v any) (OutputDatasetFacets, error) {
	var f OutputDatasetFacets
	other, err := decodeFacetMap(path, v, false, func(name string, o object, base BaseFacet) (bool, error) {
		if name != FacetOutputStatistics {
			return false, nil
		}
		var err error
		f.OutputStatistics, err = decodeOutputStatistics(o, base)
		return true, err
	})
	if err != nil {
		return OutputDatasetFacets{}, err
	}
	f.Other = other
	return f, nil
}

// unmarshalWith implements UnmarshalJSON for a facets container.
func unmarshalWith[T any](data []byte, dst *T, decode func(string, any) (T, error)) error {
	v, err := parseJSON(data)
	if err != nil {
		return err
	}
	f, err := decode("", v)
	if err != nil {
		return err
	}
	*dst = f
	return nil
}

func decodeNominalTime(o object, base BaseFacet) (*NominalTimeRunFacet, error) {
	f := &NominalTimeRunFacet{BaseFacet: base}
	var err error
	if f.NominalStartTime, err = o.timestamp("nominalStartTime", true); err != nil {
		return nil, err
	}
	if f.NominalEndTime, err = o.timestamp("nominalEndTime", false); err != nil {
		return nil, err
	}
	return f, nil
}

func decodeParent(o object, base BaseFacet) (*ParentRunFacet, error) {
	f := &ParentRunFacet{BaseFacet: base}
	var err error
	if f.Run, f.Job, err = decodeRunJob(o); err != nil {
		return nil, err
	}
	ro, ok, err := o.object("root", false)
	if err != nil || !ok {
		return f, err
	}
	f.Root = &ParentRoot{}
	if f.Root.Run, f.Root.Job, err = decodeRunJob(ro); err != nil {
		return nil, err
	}
	return f, nil
}

// decodeRunJob reads the required run and job of a parent or root.
func decodeRunJob(o object) (Run, Job, error) {
	ro, _, err := o.object("run", true)
	if err != nil {
		return Run{}, Job{}, err
	}
	run, err := decodeRun(ro)
	if err != nil {
		return Run{}, Job{}, err
	}
	jo, _, err := o.object("job", true)
	if err != nil {
		return Run{}, Job{}, err
	}
	job, err := decodeJob(jo)
	if err != nil {
		return Run{}, Job{}, err
	}
	return run, job, nil
}

func decodeErrorMessage(o object, base BaseFacet) (*ErrorMessageRunFacet, error) {
	f := &ErrorMessageRunFacet{BaseFacet: base}
	var err error
	if f.Message, err = o.reqStr("message"); err != nil {
		return nil, err
	}
	if f.ProgrammingLanguage, err = o.reqStr("programmingLanguage"); err != nil {
		return nil, err
	}
	if f.StackTrace, err = o.optStr("stackTrace"); err != nil {
		return nil, err
	}
	return f, nil
}

func decodeJobType(o object, base BaseFacet) (*JobTypeJobFacet, error) {
	f := &JobTypeJobFacet{BaseFacet: base}
	var err error
	if f.Deleted, err = o.boolean("_deleted"); err != nil {
		return nil, err
	}
	if f.ProcessingType, err = o.reqStr("processingType"); err != nil {
		return nil, err
	}
	if f.Integration, err = o.reqStr("integration"); err != nil {
		return nil, err
	}
	if f.JobType, err = o.optStr("jobType"); err != nil {
		return nil, err
	}
	eo, ok, err := o.object("emissionPattern", false)
	if err != nil || !ok {
		return f, err
	}
	p := &EmissionPattern{}
	if p.EventTrigger, err = eo.reqStr("eventTrigger"); err != nil {
		return nil, err
	}
	if p.EventContentMode, err = eo.reqStr("eventContentMode"); err != nil {
		return nil, err
	}
	window, err := eo.integer("windowDuration")
	if err != nil {
		return nil, err
	}
	if window != nil {
		if *window < 1 {
			return nil, invalid(eo.at("windowDuration"), "%d is less than the minimum of 1", *window)
		}
		p.WindowDuration = *window
	}
	f.EmissionPattern = p
	return f, nil
}

func decodeSchema(o object, base BaseFacet) (*SchemaDatasetFacet, error) {
	f := &SchemaDatasetFacet{BaseFacet: base}
	var err error
	if f.Deleted, err = o.boolean("_deleted"); err != nil {
		return nil, err
	}
	if f.Fields, err = decodeArray(o, "fields", decodeSchemaField); err != nil {
		return nil, err
	}
	return f, nil
}

func decodeSchemaField(o object) (SchemaField, error) {
	var f SchemaField
	var err error
	if f.Name, err = o.reqStr("name"); err != nil {
		return f, err
	}
	if f.Type, err = o.optStr("type"); err != nil {
		return f, err
	}
	if f.Description, err = o.optStr("description"); err != nil {
		return f, err
	}
	pos, err := o.integer("ordinal_position")
	if err != nil {
		return f, err
	}
	if pos != nil {
		f.OrdinalPosition = *pos
	}
	f.Fields, err = decodeArray(o, "fields", decodeSchemaField)
	return f, err
}

func decodeDataQualityMetrics(o object, base BaseFacet) (*DataQualityMetricsInputDatasetFacet, error) {
	f := &DataQualityMetricsInputDatasetFacet{BaseFacet: base}
	var err error
	if f.RowCount, err = o.integer("rowCount"); err != nil {
		return nil, err
	}
	if f.Bytes, err = o.integer("bytes"); err != nil {
		return nil, err
	}
	if f.FileCount, err = o.integer("fileCount"); err != nil {
		return nil, err
	}
	if f.LastUpdated, err = o.timestamp("lastUpdated", false); err != nil {
		return nil, err
	}
	co, _, err := o.object("columnMetrics", true)
	if err != nil {
		return nil, err
	}
	f.ColumnMetrics = make(map[string]ColumnMetrics, len(co.m))
	for _, col := range sortedKeys(co.m) {
		mo, err := asObject(co.at(col), co.m[col])
		if err != nil {
			return nil, err
		}
		if f.ColumnMetrics[col], err = decodeColumnMetrics(mo); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func decodeColumnMetrics(o object) (ColumnMetrics, error) {
	var m ColumnMetrics
	var err error
	if m.NullCount, err = o.integer("nullCount"); err != nil {
		return m, err
	}
	if m.DistinctCount, err = o.integer("distinctCount"); err != nil {
		return m, err
	}
	for _, n := range []struct {
		key string
		dst **float64
	}{{"sum", &m.Sum}, {"count", &m.Count}, {"min", &m.Min}, {"max", &m.Max}} {
		if *n.dst, err = o.number(n.key); err != nil {
			return m, err
		}
	}
	qo, ok, err := o.object("quantiles", false)
	if err != nil || !ok || len(qo.m) == 0 {
		return m, err
	}
	m.Quantiles = make(map[string]float64, len(qo.m))
	for _, q := range sortedKeys(qo.m) {
		if m.Quantiles[q], err = toNumber(qo.at(q), qo.m[q]); err != nil {
			return m, err
		}
	}
	return m, nil
}

func decodeOutputStatistics(o object, base BaseFacet) (*OutputStatisticsOutputDatasetFacet, error) {
	f := &OutputStatisticsOutputDatasetFacet{BaseFacet: base}
	var err error
	if f.RowCount, err = o.integer("rowCount"); err != nil {
		return nil, err
	}
	if f.Size, err = o.integer("size"); err != nil {
		return nil, err
	}
	if f.FileCount, err = o.integer("fileCount"); err != nil {
		return nil, err
	}
	return f, nil
}
