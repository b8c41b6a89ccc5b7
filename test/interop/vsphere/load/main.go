// The load half of bench/host-soap.mjs: N concurrent sessions (each its own client, its own login)
// doing property reads of VMs, as many backup jobs polling one vCenter do. It lists the VMs once
// through a container view (untimed), then every session reads -reads times the properties a
// backup polls of one VM (round robin over the VMs). Prints one JSON object: sessions, reads,
// p50/p99/max latency of one read in ms, the wall time and reads per second.
//
// Build: GOPATH=/usr/share/gocode GO111MODULE=off go build -o load main.go
// The password comes from the environment (VSPHERE_PASSWORD), never from argv.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

var readProps = []string{"name", "runtime.powerState", "config.hardware.device", "config.changeTrackingEnabled", "snapshot"}

func connect(ctx context.Context, u *url.URL, user, password, thumbprint string) (*vim25.Client, *session.Manager, error) {
	sc := soap.NewClient(u, thumbprint == "")
	if thumbprint != "" {
		sc.SetThumbprint(u.Host, thumbprint)
	}
	c, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return nil, nil, fmt.Errorf("connect: %w", err)
	}
	sm := session.NewManager(c)
	if err := sm.Login(ctx, url.UserPassword(user, password)); err != nil {
		return nil, nil, fmt.Errorf("login: %w", err)
	}
	return c, sm, nil
}

func main() {
	rawURL := flag.String("url", "", "SDK URL, https://host:port/sdk")
	user := flag.String("user", "backup", "user name")
	thumbprint := flag.String("thumbprint", "", "server certificate thumbprint")
	sessions := flag.Int("sessions", 50, "concurrent sessions")
	reads := flag.Int("reads", 40, "property reads per session")
	flag.Parse()
	if err := run(*rawURL, *user, os.Getenv("VSPHERE_PASSWORD"), *thumbprint, *sessions, *reads); err != nil {
		fmt.Fprintln(os.Stderr, "load:", strings.Join(strings.Fields(err.Error()), " "))
		os.Exit(1)
	}
}

func run(rawURL, user, password, thumbprint string, sessions, reads int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Second)
	defer cancel()
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	c, sm, err := connect(ctx, u, user, password, thumbprint)
	if err != nil {
		return err
	}
	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		return fmt.Errorf("container view: %w", err)
	}
	var listed []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name"}, &listed); err != nil {
		return fmt.Errorf("list VMs: %w", err)
	}
	_ = v.Destroy(ctx)
	_ = sm.Logout(ctx)
	if len(listed) == 0 {
		return fmt.Errorf("no VMs")
	}
	refs := make([]types.ManagedObjectReference, len(listed))
	for i, vm := range listed {
		refs[i] = vm.Self
	}

	// Every session logs in first; the clock starts when all are in.
	clients := make([]*vim25.Client, sessions)
	managers := make([]*session.Manager, sessions)
	errs := make(chan error, sessions)
	var wg sync.WaitGroup
	for i := 0; i < sessions; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, sm, err := connect(ctx, u, user, password, thumbprint)
			if err != nil {
				errs <- err
				return
			}
			clients[i], managers[i] = c, sm
		}(i)
	}
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}

	latencies := make([][]float64, sessions)
	start := time.Now()
	for i := 0; i < sessions; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			pc := property.DefaultCollector(clients[i])
			for r := 0; r < reads; r++ {
				ref := refs[(i*reads+r)%len(refs)]
				var vm mo.VirtualMachine
				t := time.Now()
				if err := pc.RetrieveOne(ctx, ref, readProps, &vm); err != nil {
					errs <- fmt.Errorf("read %s: %w", ref.Value, err)
					return
				}
				latencies[i] = append(latencies[i], float64(time.Since(t).Microseconds())/1000)
			}
		}(i)
	}
	wg.Wait()
	wallMs := float64(time.Since(start).Microseconds()) / 1000
	select {
	case err := <-errs:
		return err
	default:
	}
	for _, m := range managers {
		_ = m.Logout(ctx)
	}
	all := []float64{}
	for _, l := range latencies {
		all = append(all, l...)
	}
	sort.Float64s(all)
	pct := func(p float64) float64 { return all[int(p*float64(len(all)-1))] }
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"vms": len(refs), "sessions": sessions, "reads": len(all),
		"p50Ms": pct(0.50), "p99Ms": pct(0.99), "maxMs": all[len(all)-1],
		"wallMs": wallMs, "readsPerSec": float64(len(all)) / wallMs * 1000,
	})
}
