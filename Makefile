# kubectl-katib and kubectl-arch: build, test, and the project's own local cluster.
SHELL := /bin/bash
.DEFAULT_GOAL := build

GO        ?= go
BIN       := $(CURDIR)/bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo v0.0.0-dev)
COMMIT    ?= $(shell git rev-parse --verify -q HEAD 2>/dev/null || echo unknown)
BUILDDATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
PKG       := github.com/kubectl-katib/plugins
LDFLAGS   := -s -w -X $(PKG)/pkg/buildinfo.Version=$(VERSION) -X $(PKG)/pkg/buildinfo.GitCommit=$(COMMIT) -X $(PKG)/pkg/buildinfo.BuildDate=$(BUILDDATE)
PLUGINS   := katib arch
# Where `make install` puts the plugins; any directory on PATH works.
PREFIX    ?= /usr/local
INSTALL_DIR ?= $(PREFIX)/bin
# The local cluster (hack/cluster.sh) keeps everything under .cluster/ and prints this file.
KUBECONFIG_LOCAL := $(CURDIR)/.cluster/admin.kubeconfig
STATICCHECK_VERSION := v0.8.2

.PHONY: build
build: ## Build both plugins into bin/
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/kubectl-katib ./cmd/kubectl-arch
	@for p in $(PLUGINS); do printf '#!/usr/bin/env sh\nexec kubectl-%s __complete "$$@"\n' $$p > $(BIN)/kubectl_complete-$$p; chmod +x $(BIN)/kubectl_complete-$$p; done

.PHONY: install
install: build ## Put both plugins (and kubectl's completion helpers) into INSTALL_DIR
	@mkdir -p $(INSTALL_DIR)
	@for p in $(PLUGINS); do install -m 0755 $(BIN)/kubectl-$$p $(BIN)/kubectl_complete-$$p $(INSTALL_DIR)/; done
	@echo "installed kubectl-katib, kubectl-arch and their completion helpers into $(INSTALL_DIR)"

.PHONY: test
test: test-unit test-e2e ## Unit tests, then end-to-end tests on the local cluster (started if needed)

.PHONY: test-unit
test-unit: test-deps ## Unit and golden-file tests (no cluster); the Optuna and Chromium comparisons must run, not skip
	KATIB_REQUIRE_PYTHON=1 KATIB_REQUIRE_CHROMIUM=1 $(GO) test -count=1 ./...

.PHONY: test-deps
test-deps: ## Install Debian's Optuna, scikit-learn and Chromium when missing (the references of the analysis tests)
	hack/deps.sh analysis

.PHONY: golden
golden: ## Rewrite golden files under testdata/ and pkg/arch/knowledge/knowledge.json from the current sources
	$(GO) test ./... -args -update

.PHONY: test-e2e
test-e2e: build cluster-up images operator-up ## End-to-end tests: real binaries through real kubectl on the local cluster
	KUBECONFIG=$(KUBECONFIG_LOCAL) PATH=$(BIN):$(CURDIR)/.cluster/bin:$$PATH \
		$(GO) test -count=1 -tags e2e -timeout 60m ./test/e2e/... $(E2E_FLAGS)

.PHONY: lint
lint: ## gofmt, go vet and staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags e2e ./test/...
	cd hack/tools && $(GO) build -o $(BIN)/staticcheck honnef.co/go/tools/cmd/staticcheck
	$(BIN)/staticcheck ./...

.PHONY: deps
deps: ## Install the Debian packages the local cluster needs when they are missing (containerd, runc, CNI plugins ...)
	hack/deps.sh

# The older Kubernetes version the local cluster can also run (pinned in hack/k8s-v1.34).
KUBE_VERSION_OLD := v1.34.4

.PHONY: test-e2e-old
test-e2e-old: build ## The arch end-to-end tests and katib smoke tests on Kubernetes $(KUBE_VERSION_OLD); wipes the local cluster's state before and after
	hack/cluster.sh down --wipe
	KUBE_VERSION=$(KUBE_VERSION_OLD) hack/cluster.sh up
	hack/images.sh
	KUBECONFIG=$(KUBECONFIG_LOCAL) PATH=$(BIN):$(CURDIR)/.cluster/bin:$$PATH \
		$(GO) test -count=1 -tags e2e -timeout 30m -run 'TestArch|TestRunRandomExperiment|TestFileCollector|TestLeastPrivilege' ./test/e2e/ $(E2E_FLAGS)
	hack/cluster.sh down --wipe

.PHONY: operator-up operator-down
operator-up: cluster-up ## Kubeflow's training operator (PyTorchJob) beside the local cluster, built from the Go module proxy on first use
	hack/operator.sh up
operator-down: ## Stop the training operator
	hack/operator.sh down

.PHONY: cluster-up cluster-down cluster-status cluster-wipe
cluster-up: deps ## Start the local cluster (installs missing Debian packages, builds pinned Kubernetes binaries on first use)
	hack/cluster.sh up
cluster-down: ## Stop exactly what cluster-up started
	hack/cluster.sh down
cluster-wipe: ## Stop the cluster and delete its state
	hack/cluster.sh down --wipe
cluster-status: ## Show the local cluster's components and node
	hack/cluster.sh status

.PHONY: images
images: cluster-up ## Build the trainer, echo-metric, file-collector and pause images and import them into the cluster
	hack/images.sh

.PHONY: demo
demo: build cluster-up images ## Set everything up and run the main job on the local cluster
	hack/demo.sh

.PHONY: clean
clean: ## Remove build output (keeps the cluster and cached Kubernetes binaries)
	rm -rf $(BIN) dist

.PHONY: help
help: ## List targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

# krew release tooling (hack/release.sh) and the pinned krew v0.5.0 tools from hack/tools.
KREW_TOOLS := $(CURDIR)/.cache/tools/krew-v0.5.0

.PHONY: release
release: ## Cross-compile both plugins for 6 platforms into dist/, sha256 sums, fill krew-manifests/ (VERSION=vX.Y.Z)
	VERSION=$(VERSION) GO=$(GO) hack/release.sh

.PHONY: krew-tools
krew-tools: ## Build krew and validate-krew-manifest (v0.5.0, pinned in hack/tools) into .cache/tools
	@mkdir -p $(KREW_TOOLS)
	cd hack/tools && $(GO) build -o $(KREW_TOOLS)/ sigs.k8s.io/krew/cmd/krew sigs.k8s.io/krew/cmd/validate-krew-manifest

.PHONY: validate-krew-manifests
validate-krew-manifests: krew-tools ## Check krew-manifests/*.yaml with krew's own validator (structure, selectors)
	@for m in krew-manifests/*.yaml; do $(KREW_TOOLS)/validate-krew-manifest -manifest $$m -skip-install || exit 1; done

.PHONY: test-krew
test-krew: ## Only the krew tests (release archives, validator, offline krew install); no cluster needed
	$(GO) test -count=1 -tags e2e -timeout 30m -run 'TestKrew' ./test/e2e/... $(E2E_FLAGS)

.PHONY: bench-run
bench-run: build cluster-up images ## Makespan of 20 trials via kubectl katib run vs the same Pods via client-go (floor), and API requests per trial
	KUBECONFIG=$(KUBECONFIG_LOCAL) PATH=$(BIN):$(CURDIR)/.cluster/bin:$$PATH $(GO) run ./hack/bench-run $(BENCH_FLAGS)

.PHONY: bench-scale
bench-scale: build cluster-up images ## 500 one-line trials at parallel 25 via the plugin vs client-go Pods (floor): makespans, peak RSS, requests, bytes and state per trial (BENCH_FLAGS=-trials 100,500)
	KUBECONFIG=$(KUBECONFIG_LOCAL) PATH=$(BIN):$(CURDIR)/.cluster/bin:$$PATH $(GO) run ./hack/bench-scale $(BENCH_FLAGS)

.PHONY: bench-suggest
bench-suggest: ## Search quality of the suggestion algorithms (regret table; BENCH_FLAGS=-quick for fewer seeds)
	$(GO) run ./hack/bench-suggest $(BENCH_FLAGS)

.PHONY: bench-pareto
bench-pareto: ## Pareto search quality: hypervolume of nsga2 vs Optuna's NSGAIISampler on ZDT1 (BENCH_FLAGS=-seeds 5 for fewer)
	$(GO) run ./hack/bench-pareto $(BENCH_FLAGS)

.PHONY: bench-importance
bench-importance: ## Time parameter importance (fANOVA, 64 trees) on 1,000 trials of 6 parameters (target: under 1 s)
	$(GO) test -run '^$$' -bench BenchmarkFanova1000 -benchtime 10x ./pkg/importance/

.PHONY: cluster-scale cluster-scale-down bench-arch-scale
cluster-scale: cluster-up ## Make the local cluster big: kwok plays 1,000 nodes; 10,000 Pods in 50 namespaces, DaemonSets, StatefulSets, 30 CRDs with operators (SCALE_FLAGS=-nodes 100 -pods 1000)
	hack/kwok.sh up
	KUBECONFIG=$(KUBECONFIG_LOCAL) $(GO) run ./hack/kwok-populate $(SCALE_FLAGS)
cluster-scale-down: ## Remove what cluster-scale added and stop kwok
	KUBECONFIG=$(KUBECONFIG_LOCAL) $(GO) run ./hack/kwok-populate -delete
	hack/kwok.sh down
bench-arch-scale: build ## kubectl arch explain cold/warm against kubectl get pods -A cold, and its peak memory, on the cluster cluster-scale made
	hack/bench-arch-scale.sh

.PHONY: bench-arch
bench-arch: build ## Time kubectl arch explain cold and warm against kubectl api-resources cold on the local cluster
	hack/bench-arch.sh
