// Command pulumi-resource-random builds the Pulumi "random" provider offline from Go modules
// the proxy serves: the upstream Terraform provider (through ./shim) bridged with
// pulumi-terraform-bridge's Plugin Framework bridge.
//
// pulumi-random's own provider module (github.com/pulumi/pulumi-random/provider/v4) has no
// tags of its own and its pseudo-versions are refused by the proxy, so this file plays the
// role of its resources.go + cmd/pulumi-resource-random: every random_* resource/data source
// is mapped to the tokens the @pulumi/random SDK uses (random:index/randomBytes:RandomBytes,
// ...), and the package schema is generated from the same provider info on demand
// (GetSchema), instead of being embedded from a generated file.
package main

import (
	"context"
	"io"
	"sync"

	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	pftfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/terraform-providers/terraform-provider-random/shim"
)

// Version is set with -ldflags "-X main.Version=4.21.2".
var Version = "4.21.2"

func providerInfo() tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:            pftfbridge.ShimProvider(shim.NewProvider()),
		Name:         "random",
		Version:      Version,
		DisplayName:  "random",
		Publisher:    "Pulumi",
		License:      "Apache-2.0",
		Homepage:     "https://pulumi.io",
		Repository:   "https://github.com/pulumi/pulumi-random",
		GitHubOrg:    "hashicorp",
		Description:  "A Pulumi package to safely use randomness in Pulumi programs.",
		Keywords:     []string{"pulumi", "random"},
		MetadataInfo: tfbridge.NewProviderMetadata([]byte("{}")),
		Resources:    map[string]*tfbridge.ResourceInfo{},
		DataSources:  map[string]*tfbridge.DataSourceInfo{},
	}
	// random_bytes -> random:index/randomBytes:RandomBytes (the full TF name, prefix kept).
	info.MustComputeTokens(tokens.SingleModule("", "index", tokens.MakeStandard("random")))
	info.SetAutonaming(255, "-")
	return info
}

func main() {
	ctx := context.Background()
	info := providerInfo()

	var once sync.Once
	var schema []byte
	var schemaErr error
	getSchema := func(ctx context.Context, _ plugin.GetSchemaRequest) ([]byte, error) {
		once.Do(func() {
			sink := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never})
			res, err := pftfgen.GenerateSchema(ctx, pftfgen.GenerateSchemaOptions{
				ProviderInfo:    providerInfo(),
				DiagnosticsSink: sink,
				XInMemoryDocs:   true,
			})
			if err != nil {
				schemaErr = err
				return
			}
			schema = res.ProviderMetadata.PackageSchema
		})
		return schema, schemaErr
	}

	pftfbridge.Main(ctx, "random", info, pftfbridge.ProviderMetadata{XGetSchema: getSchema})
}
