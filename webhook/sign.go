package webhook

import (
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"time"
)

// SignStandard returns the webhook-signature header of a Standard Webhooks
// message: "v1," and the base64 HMAC-SHA256, under key, of id, the Unix
// time at and body joined by dots.
func SignStandard(key []byte, id string, at time.Time, body []byte) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	sum := mac(sha256.New, key, []byte(id+"."+ts+"."), body)
	return "v1," + base64.StdEncoding.EncodeToString(sum)
}
