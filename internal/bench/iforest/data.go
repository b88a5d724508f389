package iforest

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Kind is what a row of a Dataset is: normal or one kind of anomaly.
type Kind uint8

// The kinds of rows Generate makes.
const (
	// Normal rows come from one of three clusters, each a Gaussian around
	// a plane: two latent factors drive every feature, plus a little
	// independent noise, so the features are strongly correlated.
	Normal Kind = iota
	// Far rows are cluster rows moved far away in a random direction.
	Far
	// OffStructure rows lie near a cluster but far off its plane: each
	// feature alone looks ordinary, their combination does not.
	OffStructure
	// Cluster rows form one small, tight cluster beside a normal cluster,
	// where there is no normal data.
	Cluster
)

var kindNames = [...]string{"normal", "far", "off-structure", "cluster"}

// String returns the kind's name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// DataConfig configures Generate.
type DataConfig struct {
	// Points is the number of rows and Dims the number of features.
	Points, Dims int
	// AnomalyFraction is the fraction of rows that are anomalies: two
	// fifths far, two fifths off the structure, one fifth in a cluster.
	AnomalyFraction float64
	// Seed chooses the data set; the same configuration always gives the
	// same rows.
	Seed uint64
}

// DefaultDataConfig returns 20,000 rows of 8 features, 1.5% of them
// anomalies.
func DefaultDataConfig() DataConfig {
	return DataConfig{Points: 20000, Dims: 8, AnomalyFraction: 0.015, Seed: 1}
}

// Dataset is a labelled set of rows.
type Dataset struct {
	// Rows holds the rows; Kinds[i] is what Rows[i] is.
	Rows  [][]float64
	Kinds []Kind
}

// Labels returns, for each row, whether it is an anomaly.
func (d *Dataset) Labels() []bool {
	l := make([]bool, len(d.Kinds))
	for i, k := range d.Kinds {
		l[i] = k != Normal
	}
	return l
}

// Data-set shape: cluster weights, the latent factors, the noise off the
// planes, and the anomalies' distances.
const (
	factors        = 2
	noiseSD        = 0.3
	offNoiseSD     = 2.5
	farMin, farMax = 8.0, 12.0
	clusterSD      = 0.3
	clusterDist    = 7.0
)

var clusterWeights = [...]float64{0.5, 0.3, 0.2}

// anomalyKinds cycles through the anomalies: two fifths far, two fifths off
// the structure and one fifth in the small cluster, which stays small
// enough that a sample of 256 rows rarely holds more than one of its rows.
var anomalyKinds = [...]Kind{Far, OffStructure, Far, OffStructure, Cluster}

// Generate returns a data set of cfg.Points rows in a random order, of
// which round(cfg.AnomalyFraction × cfg.Points) are anomalies.
func Generate(cfg DataConfig) (*Dataset, error) {
	if cfg.Points < 10 || cfg.Dims < factors+1 {
		return nil, fmt.Errorf("iforest: data set of %d points in %d dimensions: need at least 10 points and %d dimensions", cfg.Points, cfg.Dims, factors+1)
	}
	anomalies := 0
	if cfg.AnomalyFraction > 0 && cfg.AnomalyFraction < 0.5 {
		anomalies = int(math.Round(cfg.AnomalyFraction * float64(cfg.Points)))
	}
	if anomalies < 3 || anomalies >= cfg.Points/2 {
		return nil, fmt.Errorf("iforest: anomaly fraction %g of %d points: need at least 3 anomalies, fewer than half the points", cfg.AnomalyFraction, cfg.Points)
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x626e6368))
	d := cfg.Dims
	type cluster struct{ mean, load []float64 }
	clusters := make([]cluster, len(clusterWeights))
	for k := range clusters {
		c := cluster{mean: make([]float64, d), load: make([]float64, d*factors)}
		for j := range c.mean {
			c.mean[j] = -5 + 10*r.Float64()
		}
		for j := range c.load {
			c.load[j] = r.NormFloat64()
		}
		clusters[k] = c
	}
	// point returns a row of cluster c with noise sd off its plane.
	point := func(c *cluster, sd float64) []float64 {
		var f [factors]float64
		for i := range f {
			f[i] = r.NormFloat64()
		}
		x := make([]float64, d)
		for j := range x {
			v := c.mean[j] + sd*r.NormFloat64()
			for i := range f {
				v += c.load[j*factors+i] * f[i]
			}
			x[j] = v
		}
		return x
	}
	pick := func() *cluster {
		u := r.Float64()
		for k, w := range clusterWeights {
			if u < w {
				return &clusters[k]
			}
			u -= w
		}
		return &clusters[len(clusters)-1]
	}

	ds := &Dataset{Rows: make([][]float64, 0, cfg.Points), Kinds: make([]Kind, 0, cfg.Points)}
	add := func(x []float64, k Kind) {
		ds.Rows = append(ds.Rows, x)
		ds.Kinds = append(ds.Kinds, k)
	}
	for range cfg.Points - anomalies {
		add(point(pick(), noiseSD), Normal)
	}
	// The anomalous cluster sits clusterDist away from the first cluster's
	// mean, in a random direction.
	centre := randomDirection(r, d, clusterDist)
	for j := range centre {
		centre[j] += clusters[0].mean[j]
	}
	for i := range anomalies {
		switch anomalyKinds[i%len(anomalyKinds)] {
		case Far:
			x := point(pick(), noiseSD)
			u := randomDirection(r, d, farMin+(farMax-farMin)*r.Float64())
			for j := range x {
				x[j] += u[j]
			}
			add(x, Far)
		case OffStructure:
			add(point(pick(), offNoiseSD), OffStructure)
		case Cluster:
			x := make([]float64, d)
			for j := range x {
				x[j] = centre[j] + clusterSD*r.NormFloat64()
			}
			add(x, Cluster)
		}
	}
	r.Shuffle(len(ds.Rows), func(i, j int) {
		ds.Rows[i], ds.Rows[j] = ds.Rows[j], ds.Rows[i]
		ds.Kinds[i], ds.Kinds[j] = ds.Kinds[j], ds.Kinds[i]
	})
	return ds, nil
}

// randomDirection returns a vector of length dist in a uniformly random
// direction of d dimensions.
func randomDirection(r *rand.Rand, d int, dist float64) []float64 {
	u := make([]float64, d)
	var norm float64
	for j := range u {
		u[j] = r.NormFloat64()
		norm += u[j] * u[j]
	}
	scale := dist / math.Sqrt(norm)
	for j := range u {
		u[j] *= scale
	}
	return u
}
