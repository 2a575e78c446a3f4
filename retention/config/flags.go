package config

import (
	"os"

	"github.com/spf13/pflag"
)

// FlagOverrides is the value of each flag of Overrides that the user set
// in fs, by its key, for WithOverrides. A flag left at its default is
// left out, or it would override the file.
func FlagOverrides(fs *pflag.FlagSet) map[string]any {
	out := map[string]any{}
	for _, o := range Overrides() {
		fl := fs.Lookup(o.Flag)
		if o.Flag == "" || fl == nil || !fl.Changed {
			continue
		}
		if fl.Value.Type() == "int" {
			n, _ := fs.GetInt(o.Flag)
			out[o.Key] = n
			continue
		}
		out[o.Key] = fl.Value.String()
	}
	return out
}

// ReadableSecretWarning is what a configuration file that holds a
// literal password that other users can read is warned of.
const ReadableSecretWarning = "the configuration file holds a literal password and other users can read it: use password: ${VAR} or chmod 600"

// ReadableSecret names the first registry whose password f, read from
// path, writes literally (LiteralPasswords: a ${VAR} password never is,
// set or not), when other users may read the file; "" when there is
// none.
func (f *File) ReadableSecret(path string) string {
	literal := f.LiteralPasswords()
	if len(literal) == 0 {
		return ""
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm()&0o044 == 0 {
		return ""
	}
	return literal[0]
}
