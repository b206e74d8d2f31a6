package main

// Plugin discovery as Pulumi's Node.js host does it: every installed package in the program
// directory's node_modules (nested ones and symlinks included, nothing above the program directory)
// whose package.json has {"pulumi": {"resource": true}} names a resource plugin (name and version as
// the package declares; the engine matches versions exactly).
// A generated SDK of a parameterized package (`pulumi package gen-sdk` of e.g. a Terraform provider
// through its bridge) declares the base plugin plus "parameterization" or
// "extensionParameterization" {name, version, value}: GetRequiredPackages reports those too, as the
// engine needs them to load the right package (found by Pulumi's conformance suite, l2-*parameterized*).

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

type packageJSON struct {
	Name         string            `json:"name"`
	Version      string            `json:"version"`
	Dependencies map[string]string `json:"dependencies"`
	Pulumi       struct {
		Resource                  bool               `json:"resource"`
		Name                      string             `json:"name"`
		Version                   string             `json:"version"`
		Server                    string             `json:"server"`
		Parameterization          *parameterizedJSON `json:"parameterization"`
		ExtensionParameterization *parameterizedJSON `json:"extensionParameterization"`
	} `json:"pulumi"`
}

// parameterizedJSON is sdk/v3's plugin.PulumiParameterizationJSON (value: base64 in JSON).
type parameterizedJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Value   []byte `json:"value"`
}

func (p *parameterizedJSON) rpc() *pulumirpc.PackageParameterization {
	if p == nil {
		return nil
	}
	return &pulumirpc.PackageParameterization{Name: p.Name, Version: p.Version, Value: p.Value}
}

func (p *parameterizedJSON) key() string {
	if p == nil {
		return ""
	}
	return p.Name + "@" + p.Version
}

func readPackageJSON(path string) (*packageJSON, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var pj packageJSON
	if err := json.Unmarshal(b, &pj); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &pj, nil
}

type pluginRef struct {
	name, version, server string
	param, extension      *parameterizedJSON
}

// findPlugins walks <dir>/node_modules (following symlinks, including nested node_modules)
// and returns the resource plugins declared by installed packages.
func findPlugins(dir string) []pluginRef {
	seen := map[string]bool{}
	visited := map[string]bool{}
	var out []pluginRef
	var walkModules func(nm string, depth int)
	consider := func(pkgDir string, depth int) {
		real, err := filepath.EvalSymlinks(pkgDir)
		if err != nil || visited[real] {
			return
		}
		visited[real] = true
		if pj, err := readPackageJSON(filepath.Join(pkgDir, "package.json")); err == nil && pj.Pulumi.Resource {
			name := pj.Pulumi.Name
			if name == "" {
				name = strings.TrimPrefix(strings.TrimPrefix(pj.Name, "@pulumi/"), "@")
			}
			v := pj.Pulumi.Version
			if v == "" {
				v = pj.Version
			}
			if v != "" && !strings.HasPrefix(v, "v") {
				v = "v" + v
			}
			param, ext := pj.Pulumi.Parameterization, pj.Pulumi.ExtensionParameterization
			// Several parameterized packages can share one base plugin.
			key := name + "@" + v + " " + param.key() + " " + ext.key()
			if name != "" && !seen[key] {
				seen[key] = true
				out = append(out, pluginRef{name, v, pj.Pulumi.Server, param, ext})
			}
		}
		if depth < 8 {
			walkModules(filepath.Join(pkgDir, "node_modules"), depth+1)
		}
	}
	walkModules = func(nm string, depth int) {
		entries, err := os.ReadDir(nm)
		if err != nil {
			return
		}
		for _, e := range entries {
			n := e.Name()
			if strings.HasPrefix(n, ".") {
				continue
			}
			p := filepath.Join(nm, n)
			if strings.HasPrefix(n, "@") {
				scoped, err := os.ReadDir(p)
				if err != nil {
					continue
				}
				for _, s := range scoped {
					consider(filepath.Join(p, s.Name()), depth)
				}
				continue
			}
			consider(p, depth)
		}
	}
	// Only the program's own node_modules, as Pulumi's host: a package that node would also find in
	// a parent directory's node_modules is not reported (the engine still loads the plugin of a
	// package the program uses when the program registers a resource). Pulumi's conformance suite
	// checks that no unexpected package is reported (toolchain/conformance/README.md).
	walkModules(filepath.Join(dir, "node_modules"), 0)
	return out
}

func (h *nodeHost) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	var res []*pulumirpc.PluginDependency
	for _, p := range findPlugins(programDir(req.GetInfo(), req.GetProgram())) {
		res = append(res, &pulumirpc.PluginDependency{Name: p.name, Kind: "resource", Version: p.version, Server: p.server})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: res}, nil
}

func (h *nodeHost) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	var res []*pulumirpc.PackageDependency
	for _, p := range findPlugins(programDir(req.GetInfo(), "")) {
		res = append(res, &pulumirpc.PackageDependency{Name: p.name, Kind: "resource", Version: p.version,
			Server: p.server, Parameterization: p.param.rpc(), Extension: p.extension.rpc()})
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: res}, nil
}
