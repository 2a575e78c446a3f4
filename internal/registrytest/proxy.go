package registrytest

import (
	"github.com/regprune/regprune/internal/emulator"

	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Proxy is a reverse proxy in front of a registry that records every
// request and injects faults. Clients use its Host; the target sees the
// proxy's Host header, so the upload and pagination URLs it sends back
// lead through the proxy too.
type Proxy struct {
	// Host is host:port for image references; URL the base URL.
	Host, URL string
	// Target is the registry behind the proxy.
	Target *Registry

	mu       sync.Mutex
	requests []Request
	faults   []*Fault
	before   func(*http.Request)
	inFlight map[string]int // by repository
}

// Request is one request the proxy received.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	Kind     Kind
	// Repository is the repository the request is about ("" for none).
	Repository string
	// InFlight counts, by repository, the requests the proxy was
	// answering when this one arrived, this one included.
	InFlight map[string]int
	// Status is what the client got: the target's status or the injected
	// one; 0 for an injected connection reset.
	Status int
}

// NewProxy starts a proxy in front of target and stops it when the test
// ends.
func NewProxy(t testing.TB, target *Registry) *Proxy {
	t.Helper()
	u, err := url.Parse(target.URL)
	if err != nil {
		t.Fatalf("starting proxy: parsing %q: %v", target.URL, err)
	}
	p := &Proxy{Target: target}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.serve(w, r, rp)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	p.Host = strings.TrimPrefix(srv.URL, "http://")
	return p
}

// Repo returns the full name of repository name through the proxy.
func (p *Proxy) Repo(name string) string {
	return p.Host + "/" + name
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	repo := RepositoryOf(r)
	p.mu.Lock()
	if p.inFlight == nil {
		p.inFlight = map[string]int{}
	}
	p.inFlight[repo]++
	i := len(p.requests)
	p.requests = append(p.requests, Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Kind: Classify(r), Repository: repo, InFlight: maps.Clone(p.inFlight)})
	before := p.before
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.inFlight[repo]--
		p.mu.Unlock()
	}()

	if before != nil {
		before(r)
	}
	f := p.fault(r)
	if f != nil && f.Header != nil {
		w = &headerRewriter{ResponseWriter: w, header: f.Header}
		f = nil
	}
	if f != nil {
		status := f.serve(w, r)
		p.setStatus(i, status)
		return
	}
	rec := &emulator.StatusRecorder{ResponseWriter: w, Status: http.StatusOK}
	next.ServeHTTP(rec, r)
	p.setStatus(i, rec.Status)
}

func (p *Proxy) setStatus(i, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i < len(p.requests) {
		p.requests[i].Status = status
	}
}

// headerRewriter replaces response headers as the target writes them.
type headerRewriter struct {
	http.ResponseWriter
	header map[string]string
	wrote  bool
}

func (h *headerRewriter) WriteHeader(code int) {
	if h.wrote {
		return
	}
	h.wrote = true
	for k, v := range h.header {
		h.ResponseWriter.Header().Set(k, v)
	}
	h.ResponseWriter.WriteHeader(code)
}

func (h *headerRewriter) Write(b []byte) (int, error) {
	if !h.wrote {
		h.WriteHeader(http.StatusOK)
	}
	return h.ResponseWriter.Write(b)
}

func (h *headerRewriter) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// Requests returns the requests received since the start or the last
// Reset, in order of arrival.
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}

// Count returns how many requests of kind with method ("" for any) were
// received since the start or the last Reset.
func (p *Proxy) Count(method string, kind Kind) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, r := range p.requests {
		if r.Kind == kind && (method == "" || r.Method == method) {
			n++
		}
	}
	return n
}

// Counts returns the number of requests per "METHOD kind" (such as
// "GET tags"), for printing or comparing whole request profiles.
func (p *Proxy) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := map[string]int{}
	for _, r := range p.requests {
		m[r.Method+" "+string(r.Kind)]++
	}
	return m
}

// Reset forgets the recorded requests (not the faults or the hook).
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests = nil
}

// Before sets a hook called with every request before it is answered,
// outside the proxy's lock, so it may change the target (push, move a
// tag) between a client's requests. nil removes it.
func (p *Proxy) Before(hook func(*http.Request)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.before = hook
}
