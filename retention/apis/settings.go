package apis

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// A Problem is what a Check found wrong in a registries entry's
// settings.
type Problem struct {
	// Key is the key path relative to the entry: "apiURL",
	// "pacing.concurrency"; "" is the entry itself.
	Key string
	Msg string
}

// A Setting is a key a registries entry may set beyond the core's.
type Setting struct {
	// Key is spelt as the file spells it: "apiURL".
	Key string
	// Type is the Go type its value decodes into.
	Type reflect.Type
}

// field is a Setting with the end of its refusal message.
type field struct {
	Setting
	only string
}

// RegisterCommon makes the keys of settings (a zero value of a struct,
// as API.Settings) keys that every registries entry takes, whatever its
// api, checked by check (as API.Check): maxWait, which caps the waits of
// the OCI side and of every provider's own API alike. Registering again
// replaces them.
func RegisterCommon(settings any, check func(settings map[string]any) []Problem) {
	a := API{Settings: settings, Check: check}
	fields := settingsOf(settings)
	table.Lock()
	defer table.Unlock()
	mustAgree("", fields)
	table.common = a
}

// Settings lists the keys a registries entry may set beyond the core's,
// whatever its api: the common ones, then each API's in the table's
// order, each key once, in its struct's order.
func Settings() []Setting {
	s := snapshot()
	out := make([]Setting, 0, len(s.keys)+len(s.commonKeys))
	for _, f := range s.commonKeys {
		out = append(out, f.Setting)
	}
	for _, f := range s.keys {
		out = append(out, f.Setting)
	}
	return out
}

// CheckCommon checks the common keys that settings (a registries
// entry's, as decoded) sets: each with the check RegisterCommon was
// given. A key set to its type's zero value (null, "", 0) is as if
// unset.
func CheckCommon(settings map[string]any) []Problem {
	s := snapshot()
	var out []Problem
	for _, f := range s.commonKeys {
		v, ok := lookup(settings, f.Key)
		if !ok || zero(v) || s.common.Check == nil {
			continue
		}
		out = append(out, s.common.Check(map[string]any{f.Key: v})...)
	}
	return out
}

// CheckSettings checks the keys beyond the common ones that settings (a
// registries entry's, as decoded) sets, for an entry of api (its api,
// else its host's default), key by key in the order of Settings: each
// value is checked by api's Check when api takes the key, else by the
// first API in the table that takes it, and then refused, naming the
// APIs that take it ("only api: github is paced"), unless its value was
// found wrong itself. A key no API takes is an unknown key. A key set to
// its type's zero value (null, "", 0) is as if unset.
func CheckSettings(api string, settings map[string]any) []Problem {
	s := snapshot()
	var out []Problem
	for _, f := range s.keys {
		v, ok := lookup(settings, f.Key)
		if !ok || zero(v) {
			continue
		}
		takers := s.takers(f.Key)
		owner := api
		if !slices.Contains(takers, api) {
			owner = takers[0]
		}
		var found []Problem
		if check := s.apis[owner].Check; check != nil {
			found = check(map[string]any{f.Key: v})
		}
		out = append(out, found...)
		if owner != api && !slices.ContainsFunc(found, func(p Problem) bool { return p.Key == f.Key }) {
			out = append(out, Problem{Key: f.Key, Msg: refusal(f, takers)})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		if !s.declared(k) {
			out = append(out, Problem{Msg: fmt.Sprintf("unknown key %q", k)})
		}
	}
	return out
}

// refusal says which APIs take f: "only api: github is paced", "only
// api: github and api: dockerhub take an apiURL"; without a tag of its
// own, "only api: NAME takes KEY".
func refusal(f field, takers []string) string {
	names := make([]string, len(takers))
	for i, t := range takers {
		names[i] = "api: " + t
	}
	list := names[0]
	if n := len(names); n > 1 {
		list = strings.Join(names[:n-1], ", ") + " and " + names[n-1]
	}
	only := f.only
	if only == "" {
		only = "take " + f.Key
		if len(takers) == 1 {
			only = "takes " + f.Key
		}
	}
	return "only " + list + " " + only
}

// settings is a copy of the table's settings, read without its lock:
// a Check is the provider's code.
type settings struct {
	apis       map[string]API     // by name
	fields     map[string][]field // by API name
	names      []string           // the table's order
	common     API
	commonKeys []field
	keys       []field // beyond the common ones, each once, in order
}

func snapshot() settings {
	table.RLock()
	defer table.RUnlock()
	s := settings{apis: maps.Clone(table.settings), fields: map[string][]field{}, names: slices.Clone(table.names), common: table.common}
	s.commonKeys = settingsOf(table.common.Settings)
	seen := map[string]bool{}
	for _, n := range s.names {
		a, ok := s.apis[n]
		if !ok {
			continue
		}
		s.fields[n] = settingsOf(a.Settings)
		for _, f := range s.fields[n] {
			if !seen[strings.ToLower(f.Key)] {
				seen[strings.ToLower(f.Key)] = true
				s.keys = append(s.keys, f)
			}
		}
	}
	return s
}

// takers lists the APIs that take key, in the table's order.
func (s settings) takers(key string) []string {
	var out []string
	for _, n := range s.names {
		if slices.ContainsFunc(s.fields[n], func(f field) bool { return strings.EqualFold(f.Key, key) }) {
			out = append(out, n)
		}
	}
	return out
}

// declared reports whether some API, or every one, takes key.
func (s settings) declared(key string) bool {
	is := func(f field) bool { return strings.EqualFold(f.Key, key) }
	return slices.ContainsFunc(s.commonKeys, is) || slices.ContainsFunc(s.keys, is)
}

// settingsOf reads the keys of a settings struct; nil has none.
func settingsOf(v any) []field {
	if v == nil {
		return nil
	}
	t := reflect.TypeOf(v)
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("apis: settings must be a struct, not %s", t))
	}
	var out []field
	for f := range t.Fields() {
		key, _, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
		if key == "" || key == "-" || !f.IsExported() {
			continue
		}
		out = append(out, field{Setting: Setting{Key: key, Type: f.Type}, only: f.Tag.Get("only")})
	}
	return out
}

// mustAgree panics when a key of fields, which API name (or "" for
// the common ones) is registering, is taken by another API as another
// type or spelling, or is both common and an API's own. The table is
// locked.
func mustAgree(name string, fields []field) {
	for _, f := range fields {
		if name != "" && slices.ContainsFunc(settingsOf(table.common.Settings), func(c field) bool { return strings.EqualFold(c.Key, f.Key) }) {
			panic(fmt.Sprintf("apis: api %s takes %s, which every api takes", name, f.Key))
		}
		for other, a := range table.settings {
			for _, g := range settingsOf(a.Settings) {
				switch {
				case other == name || !strings.EqualFold(g.Key, f.Key):
				case name == "":
					panic(fmt.Sprintf("apis: %s is to be common, and api %s takes it", f.Key, other))
				case g.Key != f.Key || g.Type != f.Type:
					panic(fmt.Sprintf("apis: api %s takes %s as %s, api %s takes %s as %s", name, f.Key, f.Type, other, g.Key, g.Type))
				}
			}
		}
	}
}

// lookup finds key in settings without regard to case, as the
// configuration's decoding matches keys.
func lookup(settings map[string]any, key string) (any, bool) {
	if v, ok := settings[key]; ok {
		return v, true
	}
	for k, v := range settings {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// zero reports whether v is its type's zero value: a key so set is as
// if unset, as a field of that type would be.
func zero(v any) bool {
	return v == nil || reflect.ValueOf(v).IsZero()
}
