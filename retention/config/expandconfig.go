package config

import (
	"errors"
	"fmt"

	"github.com/regprune/regprune/retention"
)

// expandConfig expands ${VAR} in the keys that take it: the connection
// settings of registries and the repository names of policies. Other keys
// are taken literally. Every unset variable is reported, each naming its
// key.
func expandConfig(cfg *retention.Config, lookup func(string) (string, bool), unsetCredential func(key, variable string)) error {
	var es []error
	str := func(key string, s *string) {
		out, err := expand(*s, lookup)
		if err != nil {
			es = append(es, &keyError{key: key, msg: err.Error()})
			return
		}
		*s = out
	}
	credential := func(key string, s *string) {
		var unset *unsetError
		if _, err := expand(*s, lookup); unsetCredential != nil && errors.As(err, &unset) {
			unsetCredential(key, unset.name)
			return // left as written: validate contacts no registry

		}
		str(key, s)
	}
	for i := range cfg.Registries {
		r := &cfg.Registries[i]
		key := fmt.Sprintf("registries[%d]", i)
		str(key+".host", &r.Host)
		credential(key+".username", &r.Username)
		pw := string(r.Password)
		credential(key+".password", &pw)
		r.Password = retention.Secret(pw)
	}
	for i := range cfg.Policies {
		p := &cfg.Policies[i]
		for j := range p.Repositories {
			str(fmt.Sprintf("policies[%d].repositories[%d]", i, j), &p.Repositories[j])
		}
		for j := range p.Exclude {
			str(fmt.Sprintf("policies[%d].exclude[%d]", i, j), &p.Exclude[j])
		}
	}
	return errors.Join(es...)
}
