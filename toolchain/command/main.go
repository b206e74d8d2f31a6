// Command pulumi-resource-command is our own small stand-in for Pulumi's "command" provider,
// built offline by scripts/toolchain.sh and used only with the offline toolchain.
//
// Why it exists: pulumi-command lives in the untagged Go module github.com/pulumi/pulumi-command/provider,
// which can only be required by pseudo-version, and the Go module proxy reachable here refuses every
// version of it. This binary serves the same plugin name and version (1.2.1, the "pulumi.version" of
// the npm @pulumi/command package) on the served sdk/v3 module, so the unmodified @pulumi/command SDK
// works without downloads. A machine with a normal Pulumi install never runs it.
//
// Implemented as pulumi-command 1.2.1 does it: the resource command:local:Command (create, update
// falling back to create, delete, triggers replace, interpreter, dir, environment, stdin,
// addPreviousOutputInEnv, logging, stdout/stderr outputs, secret outputs when any input is secret) and
// the function command:local:run. Not implemented, and refused with a clear error: assetPaths,
// archivePaths and everything under command:remote:* (SSH). tests/toolchain/conformance.test.ts runs
// each behaviour the project relies on through the real Pulumi CLI.
package main

import (
	"context"
	"fmt"
	"os"
	"sort"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Version is set with -ldflags "-X main.Version=1.2.1".
var Version = "1.2.1"

const (
	commandType = "command:local:Command"
	runToken    = "command:local:run"
)

// Inputs whose secrecy makes stdout/stderr secret (upstream's WireDependencies).
var outputDependencies = []resource.PropertyKey{
	"triggers", "create", "update", "delete", "interpreter", "dir", "environment", "stdin",
	"assetPaths", "archivePaths",
}

func main() {
	err := provider.Main("command", func(host *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return plugin.NewProviderServer(&commandProvider{host: host}), nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type commandProvider struct {
	plugin.UnimplementedProvider
	host *provider.HostClient
}

func (p *commandProvider) GetPluginInfo(context.Context) (plugin.PluginInfo, error) {
	v, err := semver.ParseTolerant(Version)
	if err != nil {
		return plugin.PluginInfo{}, err
	}
	return plugin.PluginInfo{Version: &v}, nil
}

func (p *commandProvider) GetSchema(context.Context, plugin.GetSchemaRequest) (plugin.GetSchemaResponse, error) {
	s := fmt.Sprintf(`{"name":"command","version":%q,"description":"vast-reranker's offline stand-in: command:local:Command and command:local:run only"}`,
		Version)
	return plugin.GetSchemaResponse{Schema: []byte(s)}, nil
}

func (p *commandProvider) CheckConfig(_ context.Context, req plugin.CheckConfigRequest) (plugin.CheckConfigResponse, error) {
	return plugin.CheckConfigResponse{Properties: req.News}, nil
}

func (p *commandProvider) DiffConfig(context.Context, plugin.DiffConfigRequest) (plugin.DiffConfigResponse, error) {
	return plugin.DiffResult{Changes: plugin.DiffNone}, nil
}

func (p *commandProvider) Configure(context.Context, plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	return plugin.ConfigureResponse{}, nil
}

func (p *commandProvider) SignalCancellation(context.Context) error { return nil }

func checkType(t string) error {
	if t != commandType {
		return fmt.Errorf("resource type %q is not supported by vast-reranker's offline command provider "+
			"(only %s; install Pulumi normally for the full provider)", t, commandType)
	}
	return nil
}

// Check validates the enum and the unsupported inputs and applies upstream's one default.
func (p *commandProvider) Check(_ context.Context, req plugin.CheckRequest) (plugin.CheckResponse, error) {
	if err := checkType(string(req.Type)); err != nil {
		return plugin.CheckResponse{}, err
	}
	var failures []plugin.CheckFailure
	for _, k := range []resource.PropertyKey{"assetPaths", "archivePaths"} {
		if v, ok := req.News[k]; ok && !v.IsNull() {
			failures = append(failures, plugin.CheckFailure{Property: k,
				Reason: string(k) + " is not supported by vast-reranker's offline command provider"})
		}
	}
	if v, ok := req.News["logging"]; ok && unwrap(v).IsString() {
		switch unwrap(v).StringValue() {
		case "stdout", "stderr", "stdoutAndStderr", "none":
		default:
			failures = append(failures, plugin.CheckFailure{Property: "logging",
				Reason: "logging must be one of stdout, stderr, stdoutAndStderr, none"})
		}
	}
	news := req.News.Copy()
	if _, ok := news["addPreviousOutputInEnv"]; !ok {
		news["addPreviousOutputInEnv"] = resource.NewBoolProperty(true)
	}
	return plugin.CheckResponse{Properties: news, Failures: failures}, nil
}

// Diff: a change to triggers replaces the resource, any other input change updates it.
func (p *commandProvider) Diff(_ context.Context, req plugin.DiffRequest) (plugin.DiffResponse, error) {
	keys := map[resource.PropertyKey]bool{}
	for k := range req.OldInputs {
		keys[k] = true
	}
	for k := range req.NewInputs {
		keys[k] = true
	}
	ignored := map[string]bool{}
	for _, k := range req.IgnoreChanges {
		ignored[k] = true
	}
	var changed, replace []resource.PropertyKey
	detailed := map[string]plugin.PropertyDiff{}
	for k := range keys {
		o, hasOld := req.OldInputs[k]
		n, hasNew := req.NewInputs[k]
		switch {
		case ignored[string(k)]:
			continue
		case hasOld && hasNew && !n.ContainsUnknowns() && o.DeepEquals(n):
			continue
		case (!hasOld || o.IsNull()) && (!hasNew || n.IsNull()):
			continue
		}
		changed = append(changed, k)
		kind := plugin.DiffUpdate
		if !hasOld {
			kind = plugin.DiffAdd
		} else if !hasNew {
			kind = plugin.DiffDelete
		}
		if k == "triggers" {
			replace = append(replace, k)
			kind = kind.AsReplace()
		}
		detailed[string(k)] = plugin.PropertyDiff{Kind: kind, InputDiff: true}
	}
	if len(changed) == 0 {
		return plugin.DiffResult{Changes: plugin.DiffNone}, nil
	}
	sort.Slice(changed, func(i, j int) bool { return changed[i] < changed[j] })
	sort.Slice(replace, func(i, j int) bool { return replace[i] < replace[j] })
	return plugin.DiffResult{Changes: plugin.DiffSome, ChangedKeys: changed, ReplaceKeys: replace,
		DetailedDiff: detailed}, nil
}

// outputsFor: the inputs (secrets kept) plus stdout/stderr, secret when a dependency input is.
func outputsFor(inputs resource.PropertyMap, stdout, stderr resource.PropertyValue) resource.PropertyMap {
	secret := false
	for _, k := range outputDependencies {
		if v, ok := inputs[k]; ok && v.ContainsSecrets() {
			secret = true
		}
	}
	out := inputs.Copy()
	if secret {
		stdout, stderr = resource.MakeSecret(stdout), resource.MakeSecret(stderr)
	}
	out["stdout"], out["stderr"] = stdout, stderr
	return out
}

func unknownString() resource.PropertyValue {
	return resource.MakeComputed(resource.NewStringProperty(""))
}

func (p *commandProvider) Create(ctx context.Context, req plugin.CreateRequest) (plugin.CreateResponse, error) {
	if err := checkType(string(req.Type)); err != nil {
		return plugin.CreateResponse{}, err
	}
	if req.Preview {
		return plugin.CreateResponse{Properties: outputsFor(req.Properties, unknownString(), unknownString())}, nil
	}
	id, err := resource.NewUniqueHexID(req.Name, 8, 0)
	if err != nil {
		return plugin.CreateResponse{}, err
	}
	var stdout, stderr string
	if c, ok := str(req.Properties, "create"); ok {
		stdout, stderr, err = run(ctx, p.host, req.URN, c, specFrom(req.Properties), nil)
		if err != nil {
			return plugin.CreateResponse{}, err
		}
	}
	return plugin.CreateResponse{ID: id, Status: resource.StatusOK, Properties: outputsFor(req.Properties,
		resource.NewStringProperty(stdout), resource.NewStringProperty(stderr))}, nil
}

// Read returns the recorded state unchanged (upstream has no custom read).
func (p *commandProvider) Read(_ context.Context, req plugin.ReadRequest) (plugin.ReadResponse, error) {
	return plugin.ReadResponse{
		ReadResult: plugin.ReadResult{ID: req.ID, Inputs: req.Inputs, Outputs: req.State},
		Status:     resource.StatusOK,
	}, nil
}

// Update runs `update`, or `create` when there is no `update`; with neither, the old outputs stay.
func (p *commandProvider) Update(ctx context.Context, req plugin.UpdateRequest) (plugin.UpdateResponse, error) {
	if err := checkType(string(req.Type)); err != nil {
		return plugin.UpdateResponse{}, err
	}
	if req.Preview {
		return plugin.UpdateResponse{Properties: outputsFor(req.NewInputs, unknownString(), unknownString())}, nil
	}
	stdout, stderr := strOr(req.OldOutputs, "stdout"), strOr(req.OldOutputs, "stderr")
	command, ok := str(req.NewInputs, "update")
	if !ok {
		command, ok = str(req.NewInputs, "create")
	}
	if ok {
		s := specFrom(req.NewInputs)
		var err error
		stdout, stderr, err = run(ctx, p.host, req.URN, command, s, previousEnv(s, req.OldOutputs))
		if err != nil {
			return plugin.UpdateResponse{}, err
		}
	}
	return plugin.UpdateResponse{Status: resource.StatusOK, Properties: outputsFor(req.NewInputs,
		resource.NewStringProperty(stdout), resource.NewStringProperty(stderr))}, nil
}

// Delete runs `delete` (if any) with the inputs recorded in state.
func (p *commandProvider) Delete(ctx context.Context, req plugin.DeleteRequest) (plugin.DeleteResponse, error) {
	props := req.Outputs
	if props == nil {
		props = req.Inputs
	}
	if c, ok := str(props, "delete"); ok {
		s := specFrom(props)
		if _, _, err := run(ctx, p.host, req.URN, c, s, previousEnv(s, req.Outputs)); err != nil {
			return plugin.DeleteResponse{Status: resource.StatusOK}, err
		}
	}
	return plugin.DeleteResponse{Status: resource.StatusOK}, nil
}

func (p *commandProvider) Invoke(ctx context.Context, req plugin.InvokeRequest) (plugin.InvokeResponse, error) {
	if string(req.Tok) != runToken {
		return plugin.InvokeResponse{}, fmt.Errorf("function %q is not supported by vast-reranker's offline "+
			"command provider (only %s)", req.Tok, runToken)
	}
	command, ok := str(req.Args, "command")
	if !ok {
		return plugin.InvokeResponse{Failures: []plugin.CheckFailure{{Property: "command",
			Reason: "missing required property 'command'"}}}, nil
	}
	stdout, stderr, err := run(ctx, p.host, "", command, specFrom(req.Args), nil)
	if err != nil {
		return plugin.InvokeResponse{}, err
	}
	out := req.Args.Copy()
	out["stdout"], out["stderr"] = resource.NewStringProperty(stdout), resource.NewStringProperty(stderr)
	return plugin.InvokeResponse{Properties: out}, nil
}
