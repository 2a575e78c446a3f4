package registrytest

import (
	"github.com/regprune/regprune/internal/emulator"

	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Fault replaces the answer to matching requests.
type Fault struct {
	// Match selects requests; nil matches all.
	Match func(*http.Request) bool
	// Times is how many matching requests fail; 0 means all of them.
	Times int
	// Status is the status answered instead of the target's (such as
	// 429). Default 503. Ignored when Reset is set.
	Status int
	// RetryAfter, if set, is sent as the Retry-After header.
	RetryAfter string
	// Body is the response body; default an OCI error document whose code
	// fits Status (TOOMANYREQUESTS for 429, UNAVAILABLE for 503, ...).
	Body string
	// Reset closes the connection without answering (with a TCP reset),
	// as an overloaded load balancer does.
	Reset bool
	// Stall, if set, answers Status (default 200 here) with Body's full
	// Content-Length, sends the first half of Body and then stops sending
	// for Stall (or until the client gives up): a body that stalls halfway.
	Stall time.Duration
	// Header, if set, lets the target answer and replaces these headers
	// of its answer (such as a wrong Docker-Content-Digest): a registry
	// whose headers lie about its bodies. Status, Body and the rest are
	// then ignored.
	Header map[string]string

	used int
}

// Inject adds a fault. Faults are tried in the order injected; the first
// that matches and has uses left answers the request.
func (p *Proxy) Inject(f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, &f)
}

// ClearFaults removes every injected fault.
func (p *Proxy) ClearFaults() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = nil
}

func (p *Proxy) fault(r *http.Request) *Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.faults {
		if f.Times > 0 && f.used >= f.Times {
			continue
		}
		if f.Match != nil && !f.Match(r) {
			continue
		}
		f.used++
		return f
	}
	return nil
}

// serve answers r with the fault and returns the status sent (0 for a
// reset).
func (f *Fault) serve(w http.ResponseWriter, r *http.Request) int {
	if f.Reset {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			// Not hijackable (HTTP/2): abort the response instead.
			panic(http.ErrAbortHandler)
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		conn.Close()
		return 0
	}
	if f.Stall > 0 {
		return f.stall(w, r)
	}
	status := f.Status
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	body := f.Body
	if body == "" {
		body = fmt.Sprintf(`{"errors":[{"code":%q,"message":"injected by registrytest","detail":null}]}`, emulator.ErrorCode(status))
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(body))
	}
	return status
}

// stall sends half of the body and then nothing.
func (f *Fault) stall(w http.ResponseWriter, r *http.Request) int {
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(f.Body[:len(f.Body)/2]))
	_ = http.NewResponseController(w).Flush()
	select {
	case <-time.After(f.Stall):
	case <-r.Context().Done():
	}
	return status
}
