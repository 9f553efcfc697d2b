//go:build !(js && wasm)

package api

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// The generated files: the JavaScript module the extension's service
// worker imports, and the API reference next to wasm/README.md.
const (
	jsFile = "../../extension/src/background/core-api.js"
	mdFile = "../API.md"
	regen  = "go test ./wasm/api -run TestGenerated -update"
)

var update = flag.Bool("update", false, "rewrite "+jsFile+" and "+mdFile+" from the contract")

// TestContract checks the contract is whole: every function named once
// and documented, of argument and result types of this package; every
// Code and Check constant listed in Codes and Checks, once; every
// exported type and field documented.
func TestContract(t *testing.T) {
	d := readDocs(t)
	seen := map[string]bool{}
	for _, f := range Functions {
		if f.Name == "" || seen[f.Name] || f.Doc == "" {
			t.Errorf("function %q: named twice, or without a name or doc", f.Name)
		}
		seen[f.Name] = true
		for _, ty := range []reflect.Type{f.Arg, f.Result} {
			if ty.Kind() == reflect.Slice {
				ty = ty.Elem()
			}
			if ty.Kind() != reflect.Struct || ty.PkgPath() != reflect.TypeFor[Function]().PkgPath() {
				t.Errorf("%s: %v is not a struct (or slice of one) of package api", f.Name, ty)
			}
		}
	}
	for kind, list := range map[string][]string{"CODES": Codes, "CHECKS": Checks} {
		prefix := constPrefix[kind]
		want := 0
		for name := range d {
			if strings.HasPrefix(name, prefix) && !strings.Contains(name, ".") && name != prefix {
				want++
			}
		}
		listed := map[string]bool{}
		for _, v := range list {
			if _, ok := d[goConst(v, kind)]; !ok || listed[v] {
				t.Errorf("%s: %q is no %s constant, or listed twice", kind, v, prefix)
			}
			listed[v] = true
		}
		if len(listed) != want {
			t.Errorf("%s lists %d values; there are %d %s constants", kind, len(listed), want, prefix)
		}
	}
	for name, text := range d {
		if text == "" {
			t.Errorf("%s has no doc comment", name)
		}
	}
}

// TestGenerated fails when core-api.js or API.md is not what the contract
// generates (a type, function, code or doc comment changed since), and
// with -update rewrites them.
func TestGenerated(t *testing.T) {
	d := readDocs(t)
	for _, f := range []struct {
		path string
		gen  func(docs) []byte
	}{{jsFile, genJS}, {mdFile, genMarkdown}} {
		want := f.gen(d)
		if *update {
			if err := os.WriteFile(f.path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(f.path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: the contract (wasm/api) changed without regenerating it; run\n\t%s\n%s",
				f.path, regen, firstDiff(got, want))
		}
	}
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("first difference, line %d:\n\tcommitted: %s\n\tgenerated: %s", i+1, gl, wl)
		}
	}
	return ""
}

// docs are the package's doc comments, read from its source: types by
// name, fields by "Type.Field", constants by name.
type docs map[string]string

func readDocs(t *testing.T) docs {
	t.Helper()
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	p, err := doc.NewFromFiles(fset, files, "github.com/meshpass/meshpass/wasm/api")
	if err != nil {
		t.Fatal(err)
	}
	d := docs{}
	text := func(g *ast.CommentGroup) string { return strings.TrimSpace(g.Text()) }
	for _, ty := range p.Types {
		d[ty.Name] = strings.TrimSpace(ty.Doc)
		for _, spec := range ty.Decl.Specs {
			st, ok := spec.(*ast.TypeSpec).Type.(*ast.StructType)
			if !ok {
				continue
			}
			for _, f := range st.Fields.List {
				for _, n := range f.Names {
					d[ty.Name+"."+n.Name] = text(f.Doc)
				}
			}
		}
		p.Consts = append(p.Consts, ty.Consts...)
	}
	for _, c := range p.Consts {
		for _, spec := range c.Decl.Specs {
			for _, n := range spec.(*ast.ValueSpec).Names {
				d[n.Name] = text(spec.(*ast.ValueSpec).Doc)
			}
		}
	}
	return d
}

// field is a JSON property of a struct, embedded structs flattened as
// encoding/json does.
type field struct {
	name     string
	goName   string
	owner    string // the struct declaring it
	t        reflect.Type
	optional bool
}

func fieldsOf(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			out = append(out, fieldsOf(f.Type)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, field{name: name, goName: f.Name, owner: t.Name(), t: f.Type,
			optional: slices.Contains(strings.Split(opts, ","), "omitempty") || f.Type.Kind() == reflect.Pointer})
	}
	return out
}

// structs lists the named struct types the functions use, in order of
// first use.
func structs() []reflect.Type {
	var out []reflect.Type
	var visit func(t reflect.Type)
	visit = func(t reflect.Type) {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
			visit(t.Elem())
		case reflect.Struct:
			if t == reflect.TypeFor[time.Time]() || slices.Contains(out, t) {
				return
			}
			out = append(out, t)
			for _, f := range fieldsOf(t) {
				visit(f.t)
			}
		}
	}
	for _, f := range Functions {
		visit(f.Arg)
		visit(f.Result)
	}
	return out
}

// jsType is t as a JSDoc type expression.
func jsType(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Time]():
		return "string"
	case t.Kind() == reflect.Pointer:
		return jsType(t.Elem())
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return "Array<" + jsType(t.Elem()) + ">"
	case t.Kind() == reflect.Map:
		return "Object<string, " + jsType(t.Elem()) + ">"
	case t.Kind() == reflect.Struct:
		return t.Name()
	case t.Kind() == reflect.String:
		return "string"
	case t.Kind() == reflect.Bool:
		return "boolean"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Float64:
		return "number"
	}
	return "*"
}

// oneLine joins a doc comment's lines.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// comment writes text as the lines of a JSDoc block.
func comment(b *bytes.Buffer, indent, text string) {
	for _, l := range strings.Split(text, "\n") {
		fmt.Fprintf(b, "%s *%s\n", indent, strings.TrimRight(" "+l, " "))
	}
}

func genJS(d docs) []byte {
	var b bytes.Buffer
	b.WriteString(`// Code generated by ` + "`" + regen + "`" + `; DO NOT EDIT.
//
// The contract between the extension and the Go core, from package
// wasm/api: one function per core function, typedefs of their arguments
// and results, the error codes (CODES) and verification checks (CHECKS)
// a failed call carries, and the functions the popup may call
// (POPUP_FUNCTIONS). Change wasm/api, then regenerate with
//
//	` + regen + `
//
// (without -update the test fails while this file is stale).

import { call } from "./core.js";
`)
	for _, t := range structs() {
		b.WriteString("\n/**\n")
		comment(&b, "", d[t.Name()])
		fmt.Fprintf(&b, " * @typedef {object} %s\n", t.Name())
		for _, f := range fieldsOf(t) {
			name := f.name
			if f.optional {
				name = "[" + name + "]"
			}
			fmt.Fprintf(&b, " * @property {%s} %s %s\n", jsType(f.t), name, oneLine(d[f.owner+"."+f.goName]))
		}
		b.WriteString(" */\n")
	}
	for _, f := range Functions {
		b.WriteString("\n/**\n")
		comment(&b, "", f.Doc)
		arg := "arg"
		if f.Arg == reflect.TypeFor[Empty]() {
			arg = "[arg]"
		}
		fmt.Fprintf(&b, " * @param {%s} %s\n * @returns {Promise<%s>}\n */\n", jsType(f.Arg), arg, jsType(f.Result))
		fmt.Fprintf(&b, "export function %s(arg) {\n  return call(%q, arg ?? {});\n}\n", f.Name, f.Name)
	}
	jsConsts := func(name, what string, values []string) {
		fmt.Fprintf(&b, "\n/** %s */\nexport const %s = Object.freeze({\n", what, name)
		for _, v := range values {
			fmt.Fprintf(&b, "  /** %s */\n  %s: %q,\n", constDoc(d, v, name), strings.ToUpper(v), v)
		}
		b.WriteString("});\n")
	}
	jsConsts("CODES", "CODES are the stable codes of a failed call's error (its code property).", Codes)
	jsConsts("CHECKS", "CHECKS name the verification that failed (the check property of a verification_failed error).", Checks)
	b.WriteString("\n/** POPUP_FUNCTIONS are the core functions the popup may call (through the service worker). */\nexport const POPUP_FUNCTIONS = frozenSet([\n")
	for _, f := range Functions {
		if f.Popup {
			fmt.Fprintf(&b, "  %q,\n", f.Name)
		}
	}
	b.WriteString(`]);

/** frozenSet returns a Set of values that cannot be changed. */
function frozenSet(values) {
  const s = new Set(values);
  const refuse = () => {
    throw new TypeError("POPUP_FUNCTIONS cannot be changed");
  };
  s.add = refuse;
  s.delete = refuse;
  s.clear = refuse;
  return Object.freeze(s);
}
`)
	return b.Bytes()
}

// constDoc is the doc comment of the code or check v (kind "CODES" or
// "CHECKS"), without the constant's name.
func constDoc(d docs, v, kind string) string {
	name := goConst(v, kind)
	return strings.TrimPrefix(oneLine(d[name]), name+": ")
}

// constPrefix is the prefix of the Go constants of each kind.
var constPrefix = map[string]string{"CODES": "Code", "CHECKS": "Check"}

// goConst is the name of the Go constant for the code or check v:
// "bad_request" of kind "CODES" is CodeBadRequest.
func goConst(v, kind string) string {
	var name strings.Builder
	name.WriteString(constPrefix[kind])
	for _, w := range strings.Split(v, "_") {
		name.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return name.String()
}

// mdType is t as the reference writes it, linking to the types.
func mdType(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Time]():
		return "string (RFC 3339)"
	case t.Kind() == reflect.Pointer:
		return mdType(t.Elem())
	case t.Kind() == reflect.Slice:
		return mdType(t.Elem()) + "[]"
	case t.Kind() == reflect.Struct:
		return "[" + t.Name() + "](#" + strings.ToLower(t.Name()) + ")"
	}
	return jsType(t)
}

func genMarkdown(d docs) []byte {
	var b bytes.Buffer
	b.WriteString(`<!-- Code generated by ` + "`" + regen + "`" + `; DO NOT EDIT. -->

# The core's API

The functions of ` + "`globalThis.meshpass`" + ` (see [README.md](README.md)), generated from
the contract in [api](api): each takes one JSON string of its argument and
returns a Promise of the JSON string of its result. The extension's service
worker calls them through the generated module
` + "`extension/src/background/core-api.js`" + `; **Popup** marks those the popup may
call through the worker. Change ` + "`wasm/api`" + `, then regenerate this file and the
module with ` + "`" + regen + "`" + `.

## Functions

| Function | Argument | Result | Popup | What it does |
|---|---|---|---|---|
`)
	for _, f := range Functions {
		p := ""
		if f.Popup {
			p = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", f.Name, mdType(f.Arg), mdType(f.Result), p, f.Doc)
	}
	b.WriteString(`
## Types

In an argument, a field marked optional may be left out (and unknown fields
are refused); in a result, an optional field is left out when empty.
`)
	for _, t := range structs() {
		fmt.Fprintf(&b, "\n### %s\n\n%s\n", t.Name(), oneLine(d[t.Name()]))
		fs := fieldsOf(t)
		if len(fs) == 0 {
			continue
		}
		b.WriteString("\n| Field | Type | |\n|---|---|---|\n")
		for _, f := range fs {
			opt := ""
			if f.optional {
				opt = " (optional)"
			}
			fmt.Fprintf(&b, "| `%s` | %s%s | %s |\n", f.name, mdType(f.t), opt, oneLine(d[f.owner+"."+f.goName]))
		}
	}
	b.WriteString("\n## Error codes\n\nA failed call rejects with an `Error` whose `code` is one of these (`CODES` in the module).\n\n| `code` | Meaning |\n|---|---|\n")
	for _, c := range Codes {
		fmt.Fprintf(&b, "| `%s` | %s |\n", c, constDoc(d, c, "CODES"))
	}
	b.WriteString("\n## Verification checks\n\nA `verification_failed` error's `check` says which verification failed (`CHECKS` in the module).\n\n| `check` | Meaning |\n|---|---|\n")
	for _, c := range Checks {
		fmt.Fprintf(&b, "| `%s` | %s |\n", c, constDoc(d, c, "CHECKS"))
	}
	return b.Bytes()
}
