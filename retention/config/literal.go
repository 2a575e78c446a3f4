package config

import "go.yaml.in/yaml/v3"

// LiteralPasswords returns the hosts (as written) of the registries
// whose password the configuration file data writes literally: one that
// refers to no ${VAR}, so that the secret itself is in the file. A
// ${VAR} password is never literal, whether or not VAR is set (validate
// runs where no secrets are), and neither is one that is partly a
// reference. It reads the file as written, not the expanded values, so a
// variable's value that happens to appear elsewhere in the file is not
// taken for a literal password. A file that does not parse has none.
func LiteralPasswords(data []byte) []string {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil {
		return nil
	}
	return literalPasswords(&doc)
}

// literalPasswords is LiteralPasswords on the parsed file.
func literalPasswords(doc *yaml.Node) []string {
	var raw struct {
		Registries []struct {
			Host     any `yaml:"host"`
			Password any `yaml:"password"`
		} `yaml:"registries"`
	}
	if doc == nil || doc.Decode(&raw) != nil {
		return nil
	}
	var out []string
	for _, r := range raw.Registries {
		pw, ok := r.Password.(string)
		if !ok || pw == "" || references(pw) {
			continue
		}
		host, _ := r.Host.(string)
		out = append(out, host)
	}
	return out
}

// references reports whether s refers to a variable: a ${ that is not
// escaped as $${ (see expand).
func references(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] != '$' {
			continue
		}
		switch s[i+1] {
		case '$':
			i++
		case '{':
			return true
		}
	}
	return false
}
