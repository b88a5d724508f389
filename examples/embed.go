// Package examples embeds the example warehouse (pipelines/), so that
// `vigil demo` can run it from any directory.
package examples

import "embed"

// Pipelines holds pipelines/*.yaml and the fleet file.
//
//go:embed pipelines/*.yaml
var Pipelines embed.FS
