package execute

// WithoutGate turns the gate off, for the tests that prove it is what
// stops the wrong deletions the findings describe: with it off, those
// deletions happen.
func WithoutGate(o Options) Options {
	o.noGate = true
	return o
}
