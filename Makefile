# Switchboard build. `make run` and `make test` are the quickstart.
SHELL := /bin/bash
GO    ?= go
BIN   := $(CURDIR)/bin
TOOLS := $(BIN)/tools

PLUGINS := $(wildcard plugins/connectors/* plugins/actions/*)
# Test-only plugins (misbehaving on purpose), built once per test run.
TESTPLUGINS := $(wildcard core/pluginhost/testdata/plugins/connectors/* core/pluginhost/testdata/plugins/actions/*)

# build-plugins DIR, PATHS: builds plugins/<kind>s/<name> into DIR/switchboard-<kind>-<name>.
define build-plugins
	@mkdir -p $(1)
	@for p in $(2); do \
	  kind=$$(basename $$(dirname $$p)); kind=$${kind%s}; \
	  echo "go build -o $(1)/switchboard-$$kind-$$(basename $$p) ./$$p"; \
	  $(GO) build -o $(1)/switchboard-$$kind-$$(basename $$p) ./$$p || exit 1; \
	done
endef

.PHONY: build plugins testplugins test bench lint proto run clean

build: plugins
	$(GO) build -o $(BIN)/switchboard ./cmd/switchboard

plugins:
	$(call build-plugins,$(BIN),$(PLUGINS))

testplugins:
	$(call build-plugins,$(BIN)/testplugins,$(TESTPLUGINS))

# Tests find the plugins through SWITCHBOARD_PLUGIN_DIR and
# SWITCHBOARD_TESTPLUGIN_DIR instead of building them per package.
test: build testplugins
	SWITCHBOARD_PLUGIN_DIR=$(BIN) SWITCHBOARD_TESTPLUGIN_DIR=$(BIN)/testplugins \
	  $(GO) test -race -count=1 -timeout 15m ./...

# One package at a time (-p 1): benchmarks of two packages running at once
# on a small machine would halve each other's figures.
bench: build testplugins
	SWITCHBOARD_PLUGIN_DIR=$(BIN) SWITCHBOARD_TESTPLUGIN_DIR=$(BIN)/testplugins $(GO) test -p 1 -run '^$$' -bench . -benchmem -count=1 ./...

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Regenerates the wire code from sdk/proto with the generators pinned in go.mod.
proto:
	@mkdir -p $(TOOLS)
	$(GO) build -o $(TOOLS)/ google.golang.org/protobuf/cmd/protoc-gen-go google.golang.org/grpc/cmd/protoc-gen-go-grpc
	protoc -I sdk/proto \
	  --plugin=protoc-gen-go=$(TOOLS)/protoc-gen-go --go_out=. --go_opt=module=github.com/switchboard-hub/switchboard \
	  --plugin=protoc-gen-go-grpc=$(TOOLS)/protoc-gen-go-grpc --go-grpc_out=. --go-grpc_opt=module=github.com/switchboard-hub/switchboard \
	  sdk/proto/switchboard/plugin/v1/*.proto

# run starts the quickstart hub (examples/quickstart) with a sink that
# prints the replies, and says how to make it answer.
run: build
	@$(GO) build -o $(BIN)/quickstart-sink ./examples/quickstart/sink
	@echo
	@echo "Starting the sink (prints replies) and the hub. Once the hub says it is serving, send it a message:"
	@echo
	@echo "  curl -X POST http://127.0.0.1:8080/hooks/webhook/demo -H 'Content-Type: application/json' \\"
	@echo "       -d '{\"id\":\"m1\",\"thread\":\"t1\",\"from\":{\"id\":\"buyer-1\",\"name\":\"Ola\"},\"text\":\"Hello, where is my parcel?\"}'"
	@echo
	@echo "or: $(BIN)/switchboard send 'Hello, where is my parcel?'     (Ctrl-C stops both)"
	@echo
	@$(BIN)/quickstart-sink & sink=$$!; trap "kill $$sink 2>/dev/null" EXIT INT TERM; \
	  $(BIN)/switchboard serve -config examples/quickstart -data $(CURDIR)/data/quickstart -plugin-dir $(BIN)

clean:
	rm -rf $(BIN)
