// vcsim for the interop tests and the benchmark: govmomi's simulator (the Debian package ships
// the library, not the vcsim command), on a loopback port, printing its URL as one JSON line.
package main

import (
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/vmware/govmomi/simulator"
)

func main() {
	esx := flag.Bool("esx", false, "simulate a bare ESXi host instead of vCenter")
	vms := flag.Int("vm", 2, "VMs per host")
	flag.Parse()

	model := simulator.VPX()
	if *esx {
		model = simulator.ESX()
	}
	model.Machine = *vms
	if err := model.Create(); err != nil {
		fmt.Fprintln(os.Stderr, "vcsim:", err)
		os.Exit(1)
	}
	model.Service.TLS = new(tls.Config)
	server := model.Service.NewServer()
	ready, _ := json.Marshal(map[string]string{"url": server.URL.String()})
	fmt.Println(string(ready))

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	server.Close()
	model.Remove()
}
