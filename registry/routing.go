package registry

import "strings"

// HoldsSecrets reports whether the manifest declares a platformSecret
// property: an integration that holds secrets can send them wherever its
// requests go.
func (m *Manifest) HoldsSecrets() bool {
	if m == nil || m.ConfigSchema == nil {
		return false
	}
	for _, p := range m.ConfigSchema.Properties {
		if p.PlatformSecret != "" {
			return true
		}
	}
	return false
}

// RoutingProperties returns the plain config properties that decide the
// scheme or host of some action's request: a base URL such as
// {{config.baseUrl}}, or a placeholder inside a URL's host. Whoever may set
// them decides where the integration's secrets are sent.
func (m *Manifest) RoutingProperties() map[string]bool {
	props := map[string]bool{}
	for _, a := range m.Actions {
		if a.Request == nil {
			continue
		}
		t, err := ParseTemplate(a.Request.URL)
		if err != nil {
			continue
		}
		for _, ref := range originRefs(t) {
			if ref.NS == NSConfig {
				props[ref.Path[0]] = true
			}
		}
	}
	return props
}

// originRefs returns the placeholders of a URL template that stand in its
// scheme or host: a leading one, or any before the first "/", "?" or "#"
// after "//".
func originRefs(t Template) []Ref {
	segs := t.Segments
	if len(segs) == 0 {
		return nil
	}
	if segs[0].Ref != nil {
		return []Ref{*segs[0].Ref}
	}
	lit := segs[0].Literal
	i := strings.Index(lit, "//")
	if i < 0 || strings.ContainsAny(lit[i+2:], "/?#") {
		return nil
	}
	var refs []Ref
	for _, s := range segs[1:] {
		if s.Ref != nil {
			refs = append(refs, *s.Ref)
			continue
		}
		if strings.ContainsAny(s.Literal, "/?#") {
			break
		}
	}
	return refs
}
