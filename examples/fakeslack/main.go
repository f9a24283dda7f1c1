// Command fakeslack answers a few methods of the Slack Web API on a local
// port, so that Switchboard's Slack integration can be tried without a Slack
// workspace. It accepts any bot token, never stores it, and prints each
// request it gets (method and channel, never the token).
//
//	go run ./examples/fakeslack -addr 127.0.0.1:9999
//
// then set the Slack integration's baseUrl to http://127.0.0.1:9999/api and
// start Switchboard with --allow-private-network.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"strings"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9999", "address to listen on")
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/chat.postMessage", postMessage)
	mux.HandleFunc("GET /api/conversations.list", listChannels)
	mux.HandleFunc("POST /api/reactions.add", addReaction)
	srv := &http.Server{Addr: *addr, Handler: authorized(mux), ReadHeaderTimeout: 5 * time.Second}
	log.Printf("fake Slack listening on http://%s/api", *addr)
	log.Fatal(srv.ListenAndServe())
}

// authorized answers Slack's not_authed unless a bot token is presented.
func authorized(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			reply(w, map[string]any{"ok": false, "error": "not_authed"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// channels are the workspace's channels, by id and by name.
var channels = map[string]bool{
	"C0000000001": true, "#general": true, "general": true,
	"C0000000002": true, "#random": true, "random": true,
}

func postMessage(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Channel  string `json:"channel"`
		Text     string `json:"text"`
		ThreadTS string `json:"thread_ts"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || !channels[in.Channel] {
		reply(w, map[string]any{"ok": false, "error": "channel_not_found"})
		return
	}
	log.Printf("chat.postMessage to %s (%d characters)", in.Channel, len(in.Text))
	ts := fmt.Sprintf("%d.000100", time.Now().Unix())
	reply(w, map[string]any{"ok": true, "channel": in.Channel, "ts": ts,
		"message": map[string]any{"text": in.Text, "ts": ts, "thread_ts": in.ThreadTS}})
}

func listChannels(w http.ResponseWriter, r *http.Request) {
	log.Printf("conversations.list")
	reply(w, map[string]any{"ok": true,
		"channels": []map[string]any{
			{"id": "C0000000001", "name": "general", "topic": map[string]any{"value": "Company-wide"}},
			{"id": "C0000000002", "name": "random", "topic": map[string]any{"value": ""}},
		},
		"response_metadata": map[string]any{"next_cursor": ""}})
}

func addReaction(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Channel, Timestamp, Name string
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	if !channels[in.Channel] {
		reply(w, map[string]any{"ok": false, "error": "channel_not_found"})
		return
	}
	log.Printf("reactions.add :%s: in %s", in.Name, in.Channel)
	reply(w, map[string]any{"ok": true})
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
