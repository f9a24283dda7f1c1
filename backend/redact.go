package backend

import (
	"cmp"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
)

// redacted stands in for a credential in messages.
const redacted = "[redacted]"

// newRedactor returns a replacer of every credential in secrets, as sent
// and in the escaped forms a service could echo it in, by [redacted].
func newRedactor(secrets []string) *strings.Replacer {
	var olds []string
	for _, s := range secrets {
		olds = append(olds, s, url.QueryEscape(s), pathEscape(s), jsonInner(s, false),
			jsonInner(s, true))
	}
	olds = slices.DeleteFunc(olds, func(s string) bool { return s == "" })
	// The longest first, so that a secret inside another is not replaced
	// alone and the rest of the longer one left behind.
	slices.SortFunc(olds, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b))
	})
	olds = slices.Compact(olds)
	pairs := make([]string, 0, 2*len(olds))
	for _, s := range olds {
		pairs = append(pairs, s, redacted)
	}
	return strings.NewReplacer(pairs...)
}

// jsonInner returns s as it appears inside a JSON string, with or without
// the HTML escapes of encoding/json.
func jsonInner(s string, html bool) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	if err := enc.Encode(s); err != nil {
		return ""
	}
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}
