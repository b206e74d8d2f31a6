// Package shim exposes the upstream terraform-provider-random Plugin Framework provider,
// which lives in an internal package. The module path shares the upstream prefix
// (github.com/terraform-providers/terraform-provider-random), which is what lets Go's
// internal-package rule accept the import. Same role as pulumi-random's provider/shim,
// which is not available from the Go module proxy (it is a local replace there).
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"
	upstream "github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// NewProvider returns the upstream random provider.
func NewProvider() provider.Provider {
	return upstream.New()
}
