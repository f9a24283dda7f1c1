package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// CompileRequest parses every template of spec. Each problem is reported
// with its path below the request block ("url", "query.limit", "json.text").
// It checks syntax only; [Validate] checks what the templates name.
func CompileRequest(spec *RequestSpec, resp *ResponseSpec) (*Request, []Problem) {
	var c compiler
	req := &Request{Method: strings.ToUpper(spec.Method), Response: resp}
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	req.URL = c.template("url", spec.URL)
	req.Query = c.params("query", spec.Query)
	req.Headers = c.params("headers", spec.Headers)
	req.Form = c.params("form", spec.Form)
	if spec.Auth != nil {
		req.Auth = c.auth(spec.Auth)
	}
	if len(spec.JSON) > 0 {
		var v any
		dec := json.NewDecoder(bytes.NewReader(spec.JSON))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			c.add("json", err.Error())
		} else {
			req.JSON = c.node("json", v)
		}
	}
	return req, c.problems
}

type compiler struct {
	problems []Problem
}

func (c *compiler) add(path, msg string) {
	c.problems = append(c.problems, Problem{Path: path, Message: msg})
}

func (c *compiler) template(path, s string) Template {
	t, err := ParseTemplate(s)
	if err != nil {
		c.add(path, err.Error())
	}
	return t
}

func (c *compiler) params(path string, m map[string]string) []Param {
	if m == nil {
		return nil
	}
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	slices.Sort(names)
	out := make([]Param, 0, len(names))
	for _, name := range names {
		out = append(out, Param{Name: name, Value: c.template(path+"."+name, m[name])})
	}
	return out
}

func (c *compiler) auth(a *AuthSpec) *Auth {
	out := &Auth{}
	n := 0
	if a.Bearer != "" {
		n++
		t := c.template("auth.bearer", a.Bearer)
		out.Bearer = &t
	}
	if a.Basic != nil {
		n++
		out.Basic = &BasicTemplates{
			Username: c.template("auth.basic.username", a.Basic.Username),
			Password: c.template("auth.basic.password", a.Basic.Password),
		}
	}
	if a.Header != nil {
		n++
		if a.Header.Name == "" {
			c.add("auth.header.name", "required")
		}
		out.Header = &Param{
			Name:  a.Header.Name,
			Value: c.template("auth.header.value", a.Header.Value),
		}
	}
	if n != 1 {
		c.add("auth", "set exactly one of bearer, basic and header")
	}
	return out
}

func (c *compiler) node(path string, v any) *Node {
	switch v := v.(type) {
	case string:
		return &Node{Kind: NodeString, String: c.template(path, v)}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		n := &Node{Kind: NodeObject}
		for _, k := range keys {
			n.Members = append(n.Members, Member{Key: k, Value: c.node(path+"."+k, v[k])})
		}
		return n
	case []any:
		n := &Node{Kind: NodeArray}
		for i, item := range v {
			n.Items = append(n.Items, c.node(fmt.Sprintf("%s[%d]", path, i), item))
		}
		return n
	default:
		raw, _ := json.Marshal(v)
		return &Node{Kind: NodeLiteral, Literal: raw}
	}
}

// Problem is one thing wrong with a manifest, at a JSON path such as
// "actions[1].inputSchema.properties".
type Problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// String returns "path: message".
func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}
