package registry

import "encoding/json"

// StampActions returns the [Installed.ActionSince] of an installation of
// manifest that replaces prev (nil for a first installation). An action
// that prev's manifest had keeps its stamp from prev.ActionSince, 0 when
// prev has none for it (a row from before stamps were kept); every other
// action takes stamp, which the store draws greater than every stamp of the
// installed set. A manifest without actions, or whose actions do not
// decode, gives nil. Stores call it inside Install's transaction.
func StampActions(prev *Installed, manifest []byte, stamp int64) map[string]int64 {
	kept := map[string]bool{}
	if prev != nil {
		for _, id := range actionIDs(prev.Manifest) {
			kept[id] = true
		}
	}
	var since map[string]int64
	for _, id := range actionIDs(manifest) {
		if since == nil {
			since = map[string]int64{}
		}
		if kept[id] {
			since[id] = prev.ActionSince[id]
		} else {
			since[id] = stamp
		}
	}
	return since
}

// actionIDs returns the ids of manifest's actions in manifest order,
// decoding nothing else; a manifest that does not decode has none.
func actionIDs(manifest []byte) []string {
	var m struct {
		Actions []struct {
			ID string `json:"id"`
		} `json:"actions"`
	}
	if json.Unmarshal(manifest, &m) != nil {
		return nil
	}
	ids := make([]string, 0, len(m.Actions))
	for _, a := range m.Actions {
		ids = append(ids, a.ID)
	}
	return ids
}
