package config

// A registries entry takes the settings of the providers the binary
// links (apiURL, pacing) and the common ones (maxWait): job's table
// registers them, as in the binary, and retention/registry the common
// ones. The tests read configurations as the binary does.
import _ "github.com/regprune/regprune/retention/job"
