# The quickstart hub: one webhook connector, whose replies go to the sink
# that `make run` starts on port 9090, and one autoresponder.
hub {
  listen = "127.0.0.1:8080"
}

connector "webhook" "demo" {
  send_url = "http://127.0.0.1:9090/replies"
}
