package apis

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type (
	commonSettings struct {
		MaxWait int `mapstructure:"maxWait"`
	}
	pacing struct {
		N int `mapstructure:"n"`
	}
	hubSettings struct {
		APIURL string `mapstructure:"apiURL" only:"take an apiURL"`
	}
	ghSettings struct {
		Pacing *pacing `mapstructure:"pacing" only:"is paced"`
		APIURL string  `mapstructure:"apiURL" only:"take an apiURL"`
		Token  string  `mapstructure:"-"`
	}
)

// notNegative is a Check: every value it is given must be a number, not
// negative, or a mapping of such numbers, or a string without "bad".
func notNegative(settings map[string]any) []Problem {
	var out []Problem
	for k, v := range settings {
		switch v := v.(type) {
		case int:
			if v < 0 {
				out = append(out, Problem{Key: k, Msg: "must not be negative"})
			}
		case map[string]any:
			for sub, n := range v {
				if n.(int) < 0 {
					out = append(out, Problem{Key: k + "." + sub, Msg: "must not be negative"})
				}
			}
		case string:
			if v == "bad" {
				out = append(out, Problem{Key: k, Msg: fmt.Sprintf("%q is not a URL", v)})
			}
		}
	}
	return out
}

// TestCheckSettings: a key is checked by its entry's api when it takes
// it, else by the first API that does and then refused, naming every
// API that takes it, unless its value is wrong itself; zero values are
// unset; a key no API takes is unknown.
func TestCheckSettings(t *testing.T) {
	RegisterCommon(commonSettings{}, notNegative)
	Register(API{Name: DockerHub, Settings: hubSettings{}, Check: notNegative})
	Register(API{Name: GitHub, Settings: ghSettings{}, Check: notNegative})
	t.Cleanup(func() {
		RegisterCommon(nil, nil)
		Register(API{Name: GitHub})
		Register(API{Name: DockerHub})
	})
	got := Settings()
	want := []Setting{{"maxWait", reflect.TypeFor[int]()}, {"pacing", reflect.TypeFor[*pacing]()}, {"apiURL", reflect.TypeFor[string]()}}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b reflect.Type) bool { return a == b })); diff != "" {
		t.Errorf("Settings() (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		name     string
		api      string
		settings map[string]any
		common   []Problem
		want     []Problem
	}{
		{name: "own keys", api: GitHub, settings: map[string]any{"pacing": map[string]any{"n": -1}, "apiURL": "bad", "maxWait": -1},
			common: []Problem{{"maxWait", "must not be negative"}},
			want:   []Problem{{"pacing.n", "must not be negative"}, {"apiURL", `"bad" is not a URL`}}},
		{name: "another api's key, wrong and refused", api: OCI, settings: map[string]any{"pacing": map[string]any{"n": -1}},
			want: []Problem{{"pacing.n", "must not be negative"}, {"pacing", "only api: github is paced"}}},
		{name: "a wrong value is not refused too", api: OCI, settings: map[string]any{"apiURL": "bad"},
			want: []Problem{{"apiURL", `"bad" is not a URL`}}},
		{name: "refused naming every taker in the table's order", api: "rest", settings: map[string]any{"apiurl": "https://x"},
			want: []Problem{{"apiURL", "only api: github and api: dockerhub take an apiURL"}}},
		{name: "taken by another api too", api: DockerHub, settings: map[string]any{"apiURL": "https://x", "Pacing": map[string]any{"n": 1}},
			want: []Problem{{"pacing", "only api: github is paced"}}},
		{name: "zero values are unset", api: OCI, settings: map[string]any{"pacing": nil, "apiURL": "", "maxWait": 0}},
		{name: "unknown keys", api: GitHub, settings: map[string]any{"zz": 1, "user": "ci"},
			want: []Problem{{"", `unknown key "user"`}, {"", `unknown key "zz"`}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.common, CheckCommon(tc.settings)); diff != "" {
				t.Errorf("CheckCommon (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, CheckSettings(tc.api, tc.settings)); diff != "" {
				t.Errorf("CheckSettings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSettingsMustAgree: a key is one type under every API that takes
// it, and an API does not take a common key as its own.
func TestSettingsMustAgree(t *testing.T) {
	RegisterCommon(commonSettings{}, nil)
	Register(API{Name: GitHub, Settings: ghSettings{}})
	t.Cleanup(func() {
		RegisterCommon(nil, nil)
		Register(API{Name: GitHub})
		Register(API{Name: DockerHub})
	})
	for name, register := range map[string]func(){
		"another type": func() {
			Register(API{Name: DockerHub, Settings: struct {
				APIURL int `mapstructure:"apiURL"`
			}{}})
		},
		"another spelling": func() {
			Register(API{Name: DockerHub, Settings: struct {
				APIURL string `mapstructure:"apiUrl"`
			}{}})
		},
		"a common key": func() {
			Register(API{Name: DockerHub, Settings: struct {
				MaxWait int `mapstructure:"maxWait"`
			}{}})
		},
		"not a struct": func() { Register(API{Name: DockerHub, Settings: 1}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Register did not panic", name)
				}
			}()
			register()
		}()
	}
}
