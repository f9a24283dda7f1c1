package main

import (
	"encoding/json"
	"net/http"
)

// postMessage is the body both servers send to chat.postMessage.
type postMessage struct {
	Channel string `json:"channel"`
	Text    string `json:"text"`
}

// postedMessage is the fake Slack's answer.
type postedMessage struct {
	OK      bool     `json:"ok"`
	Error   string   `json:"error,omitempty"`
	Channel string   `json:"channel,omitempty"`
	TS      string   `json:"ts,omitempty"`
	Message *message `json:"message,omitempty"`
}

// message is the posted message within a [postedMessage].
type message struct {
	Text string `json:"text"`
}

// upstreamHandler is a fake Slack Web API that answers chat.postMessage
// like Slack does, and refuses requests without the bot token.
func upstreamHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/chat.postMessage", postMessageHandler)
	return mux
}

func postMessageHandler(w http.ResponseWriter, r *http.Request) {
	var in postMessage
	// Reading the whole body keeps the connection reusable.
	err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&in)
	out := postedMessage{OK: true, Channel: in.Channel, TS: "1700000000.000100"}
	switch {
	case r.Header.Get("Authorization") != "Bearer "+upstreamToken:
		out = postedMessage{Error: "not_authed"}
	case err != nil || in.Channel == "":
		out = postedMessage{Error: "invalid_arguments"}
	default:
		out.Message = &message{Text: in.Text}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(out)
}
