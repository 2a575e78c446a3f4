// Command regprune is a retention job for container registries: it lists
// the tags of the repositories its policies name, ranks them, and reports
// (plan) or deletes (apply) what falls outside the rules.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal stops new deletions and lets those in flight
		// finish; a second one kills the process as usual.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	os.Exit(code)
}
