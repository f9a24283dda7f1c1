package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// The bare server's outbound client mirrors Switchboard's pool sizes.
const (
	bareMaxIdleConns        = 512
	bareMaxIdleConnsPerHost = 64
	bareCallTimeout         = 15 * time.Second
	bareMaxResponseBytes    = 1 << 20
)

// bareHandler is the floor to compare Switchboard with: an mcp-go server
// with one tool that posts its arguments to upstream and returns the
// answer. It has no authentication and no validation.
func bareHandler(upstream string) http.Handler {
	client := &http.Client{
		Timeout: bareCallTimeout,
		Transport: &http.Transport{
			MaxIdleConns:        bareMaxIdleConns,
			MaxIdleConnsPerHost: bareMaxIdleConnsPerHost,
			IdleConnTimeout:     90 * time.Second,
		},
	}
	s := mcpserver.NewMCPServer("bare", "1",
		mcpserver.WithToolCapabilities(true), mcpserver.WithRecovery())
	tool := mcpgo.NewTool("send_message",
		mcpgo.WithDescription("Post a message to a channel"),
		mcpgo.WithString("channel", mcpgo.Required(), mcpgo.Description("Channel id")),
		mcpgo.WithString("text", mcpgo.Required(), mcpgo.Description("Message text")),
	)
	s.AddTool(tool, sendMessage(client, upstream+"/api/chat.postMessage"))

	mux := http.NewServeMux()
	mux.Handle("/mcp", mcpserver.NewStreamableHTTPServer(s))
	return mux
}

// sendMessage returns the tool handler: it posts {channel, text} with the
// bot token and returns the upstream's body as text and structured content,
// as Switchboard does.
func sendMessage(client *http.Client, url string) mcpserver.ToolHandlerFunc {
	return func(ctx context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
		body, err := json.Marshal(postMessage{
			Channel: req.GetString("channel", ""),
			Text:    req.GetString("text", ""),
		})
		if err != nil {
			return nil, fmt.Errorf("encode message: %w", err)
		}
		out, err := post(ctx, client, url, body)
		if err != nil {
			return mcpgo.NewToolResultError(err.Error()), nil
		}
		res := mcpgo.NewToolResultText(string(out))
		res.StructuredContent = json.RawMessage(out)
		return res, nil
	}
}

func post(ctx context.Context, client *http.Client, url string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+upstreamToken)
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("post message: %w", err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, bareMaxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("upstream answered HTTP %d", resp.StatusCode)
	}
	return out, nil
}
