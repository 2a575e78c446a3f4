package retention

// Local configures the pruning of local caches: the Docker Engine's images
// and build cache, and OCI image layout directories. The top-level minAge
// and protect.tags apply to them too.
type Local struct {
	Docker  *DockerCache  `mapstructure:"docker" json:"docker,omitempty" yaml:"docker,omitempty"`
	Layouts []LayoutCache `mapstructure:"layouts" json:"layouts,omitempty" yaml:"layouts,omitempty"`
}

// DockerCache configures the Docker Engine backend.
type DockerCache struct {
	// Host is the engine's address; default DOCKER_HOST, else the docker
	// CLI's current context, else the platform's default socket.
	Host string `mapstructure:"host" json:"host,omitempty" yaml:"host,omitempty"`
	// Policies use the top-level schema; repositories match the image's
	// repository as the engine shows it (acme/api, localhost:5000/acme/api,
	// nginx) or its normalized form (docker.io/library/nginx). Each may set
	// clock: arrived (default) or created.
	Policies []Policy `mapstructure:"policies" json:"policies,omitempty" yaml:"policies,omitempty"`
	// FollowRemote removes local references to digests this run deleted
	// from the same repository in a registry.
	FollowRemote bool `mapstructure:"followRemote" json:"followRemote,omitempty" yaml:"followRemote,omitempty"`
	// Dangling removes untagged, unused images older than this; 0 leaves
	// them.
	Dangling Duration `mapstructure:"dangling" json:"dangling,omitempty" yaml:"dangling,omitempty"`
	// LocalOnly decides for images with no RepoDigests (never pushed or
	// pulled, so they cannot be pulled again): protect (default) or allow.
	LocalOnly string `mapstructure:"localOnly" json:"localOnly,omitempty" yaml:"localOnly,omitempty"`
	// BuildCache prunes the engine's build cache; unset leaves it alone.
	BuildCache *BuildCache `mapstructure:"buildCache" json:"buildCache,omitempty" yaml:"buildCache,omitempty"`
}

// BuildCache prunes build cache records unused for OlderThan, down to
// KeepStorage.
type BuildCache struct {
	OlderThan   Duration `mapstructure:"olderThan" json:"olderThan,omitempty" yaml:"olderThan,omitempty"`
	KeepStorage ByteSize `mapstructure:"keepStorage" json:"keepStorage,omitempty" yaml:"keepStorage,omitempty"`
}

// LayoutCache configures one OCI image layout directory.
type LayoutCache struct {
	Path string `mapstructure:"path" json:"path" yaml:"path"`
	// Policies govern the layout's index.json entries by their
	// org.opencontainers.image.ref.name; repositories is optional here.
	Policies []Policy `mapstructure:"policies" json:"policies,omitempty" yaml:"policies,omitempty"`
	// MaxSize: after the rules, the oldest entries are dropped until the
	// layout is under this size. 0: no limit.
	MaxSize ByteSize `mapstructure:"maxSize" json:"maxSize,omitempty" yaml:"maxSize,omitempty"`
}

// Clocks of policies: arrived (local.docker's default) and created
// locally; created (the default) and pushed on registries.
const (
	clockArrived = "arrived"
	clockCreated = "created"
	ClockPushed  = "pushed"
	// clockFirstSeen is no policy's clock: it names, in reasons, the time
	// minAge read when the creation time was unknown.
	clockFirstSeen = "first seen"
)

// LocalRules is the compiled local section.
type LocalRules struct {
	Docker  *DockerRules
	Layouts []LayoutRules
}

// DockerRules is a compiled DockerCache. Rules carries the top-level
// minAge and protect.tags with the cache's own policies.
type DockerRules struct {
	DockerCache
	Rules *Rules
}

// LayoutRules is a compiled LayoutCache.
type LayoutRules struct {
	LayoutCache
	Rules *Rules
}
