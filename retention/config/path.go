package config

// DefaultPath is the configuration file read when neither the -c/--config
// flag nor REGPRUNE_CONFIG names one: regprune.yaml in the working
// directory.
const DefaultPath = "regprune.yaml"

// EnvPath is the environment variable that names the configuration file.
const EnvPath = "REGPRUNE_CONFIG"

// Path resolves the configuration file: the -c/--config flag's value wins,
// then $REGPRUNE_CONFIG, then DefaultPath. An empty value counts as unset.
func Path(flagValue string, getenv func(string) string) string {
	if flagValue != "" {
		return flagValue
	}
	if getenv != nil {
		if p := getenv(EnvPath); p != "" {
			return p
		}
	}
	return DefaultPath
}
